import Foundation
import LunaFleet
import Testing
import TestSupport
@testable import LunaDrift

/// The auth check's log-file state (`file:N:FP:PATH`) and the rotation decision, on recorded sed outputs.
@Suite("auth.log position and rotation")
struct AuthLogRotationTests {
    let file = "/var/log/auth.log"
    let fpA = AuthFailuresCheck.fingerprint(Data("Nov 29 00:00:01 web1 rsyslogd: [origin] start".utf8))

    /// What `sed -n -e SCRIPT -- FILE` prints: the first line, one word per failure, the line count.
    func sed(_ first: String?, _ words: [String] = [], total: Int = 0) -> CommandResult {
        guard let first else { return output(Data()) }
        return output(Data(([first] + words + [String(total)]).joined(separator: "\n").utf8 + [0x0A]))
    }

    @Test func stateFormatsOldAndNew() {
        typealias P = AuthFailuresCheck.LogPosition
        #expect(AuthFailuresCheck.position(nil, file: file) == P(lines: 0))
        #expect(AuthFailuresCheck.position("file:12:\(file)", file: file) == P(lines: 12, fingerprint: nil))
        #expect(AuthFailuresCheck.position("file:12:\(fpA):\(file)", file: file) == P(lines: 12, fingerprint: fpA))
        #expect(AuthFailuresCheck.position("file:12:\(fpA):/var/log/other.log", file: file) == P(lines: 0))
        #expect(AuthFailuresCheck.position("file:12:/var/log/other.log", file: file) == P(lines: 0))
        #expect(AuthFailuresCheck.position("file:-3:\(file)", file: file) == P(lines: 0))
        #expect(AuthFailuresCheck.position("file:12:XYZ:\(file)", file: file) == P(lines: 0))
        #expect(AuthFailuresCheck.position("cursor:s=1", file: file) == P(lines: 0))
        #expect(AuthFailuresCheck.position("file:\(Int.max):\(file)", file: file) == P(lines: 0))
        let kept = P(lines: 7, fingerprint: fpA)
        #expect(AuthFailuresCheck.position(AuthFailuresCheck.state(kept, file: file), file: file) == kept)
        #expect(AuthFailuresCheck.state(P(lines: 0), file: file) == "file:0:\(file)")
        #expect(fpA.count == 16 && fpA != AuthFailuresCheck.fingerprint(Data("Nov 29 00:00:02 web1 x".utf8)))
    }

    @Test func argvStartsAfterTheLinesReadAndAlwaysPrintsLineOne() {
        let first = AuthFailuresCheck.logArgv(file: file, from: .init(lines: 0))
        #expect(first.prefix(4) == ["/usr/bin/sed", "--sandbox", "-n", "-e"] && first.suffix(2) == ["--", file])
        #expect(first[4].hasPrefix("1p;1,${") && first[4].hasSuffix("};$="))
        #expect(AuthFailuresCheck.logArgv(file: file, from: .init(lines: 41, fingerprint: fpA))[4].hasPrefix("1p;42,${"))
    }

    @Test func firstRunCountsEveryLineOnce() throws {
        // N = 0: line 1 printed as is AND, being a failure, as a word: counted once.
        let read = try AuthFailuresCheck.readLog(sed("Nov 29 web1 sudo: bob : NOT in sudoers", ["sudo", "ssh"], total: 9), previous: .init(lines: 0))
        #expect(read == .init(sudo: 1, ssh: 1, rotated: nil,
                              next: .init(lines: 9, fingerprint: AuthFailuresCheck.fingerprint(Data("Nov 29 web1 sudo: bob : NOT in sudoers".utf8)))))
    }

    @Test func normalGrowthCountsOnlyTheNewLines() throws {
        let first = "Nov 29 00:00:01 web1 rsyslogd: [origin] start"
        let grown = try AuthFailuresCheck.readLog(sed(first, ["ssh", "ssh"], total: 15), previous: .init(lines: 10, fingerprint: fpA))
        #expect(grown == .init(sudo: 0, ssh: 2, rotated: nil, next: .init(lines: 15, fingerprint: fpA)))
        let same = try AuthFailuresCheck.readLog(sed(first, total: 10), previous: .init(lines: 10, fingerprint: fpA))
        #expect(same == .init(rotated: nil, next: .init(lines: 10, fingerprint: fpA)))
    }

    @Test func oldStateWithoutFingerprintSkipsTheFirstLineCheckOnce() throws {
        let read = try AuthFailuresCheck.readLog(sed("anything at all", ["sudo"], total: 5), previous: .init(lines: 4))
        #expect(read.rotated == nil && read.sudo == 1)
        #expect(read.next == .init(lines: 5, fingerprint: AuthFailuresCheck.fingerprint(Data("anything at all".utf8))))
    }

    @Test func rotationToAShorterFile() throws {
        let read = try AuthFailuresCheck.readLog(sed("Nov 30 00:00:01 web1 rsyslogd: [origin] start", total: 3),
                                                 previous: .init(lines: 10, fingerprint: fpA))
        #expect(read == .init(rotated: "it has 3 lines, fewer than the 10 read before", next: .init(lines: 0)))
        // Shorter with the same first line (truncated in place) is a rotation too, also from an old state.
        let old = try AuthFailuresCheck.readLog(sed("Nov 29 00:00:01 web1 rsyslogd: [origin] start", total: 3), previous: .init(lines: 10))
        #expect(old.rotated != nil && old.next == .init(lines: 0))
    }

    @Test func rotationToALongerFileWithAnotherFirstLine() throws {
        // 20 lines now, 10 read before: sed printed failures on lines 11… of the NEW file; none are counted.
        let read = try AuthFailuresCheck.readLog(sed("Nov 30 00:00:01 web1 rsyslogd: [origin] start", ["sudo", "ssh"], total: 20),
                                                 previous: .init(lines: 10, fingerprint: fpA))
        #expect(read == .init(rotated: "its first line changed", next: .init(lines: 0)))
    }

    @Test func emptyFile() throws {
        #expect(try AuthFailuresCheck.readLog(sed(nil), previous: .init(lines: 0)) == .init(rotated: nil, next: .init(lines: 0)))
        let emptied = try AuthFailuresCheck.readLog(sed(nil), previous: .init(lines: 10, fingerprint: fpA))
        #expect(emptied == .init(rotated: "it is now empty", next: .init(lines: 0)))
    }

    @Test func unexpectedOutputIsRefused() {
        #expect(throws: AuthFailuresCheck.LogReadError.self) {
            try AuthFailuresCheck.readLog(sed("first", ["sudo"], total: 5).with(truncated: true), previous: .init(lines: 0))
        }
        #expect(throws: AuthFailuresCheck.LogReadError.self) {
            try AuthFailuresCheck.readLog(output(Data("first\nsudo\nnot a count\n".utf8)), previous: .init(lines: 0))
        }
        #expect(throws: AuthFailuresCheck.LogReadError.self) {
            try AuthFailuresCheck.readLog(output(Data("first\nsomething else\n4\n".utf8)), previous: .init(lines: 0))
        }
    }

    @Test func evaluateReportsRotationAndNextStateRestarts() throws {
        let ref = try baseline("source \(file)\nsudo 0\nssh 0\n")
        let previous = "file:10:\(fpA):\(file)"
        let out = sed("Nov 30 00:00:01 web1 rsyslogd: [origin] start", ["sudo", "sudo", "ssh"], total: 30)
        let result = AuthFailuresCheck().evaluate(host: "h", output: out, reference: ref, previous: previous)
        #expect(result.status == .ok, "\(result.detail)")
        #expect(result.detail.hasPrefix("\(file) was rotated (its first line changed); nothing counted this time"))
        #expect(AuthFailuresCheck().nextState(host: "h", output: out, reference: ref, previous: previous) == "file:0:\(file)")
        // The same output without a rotation counts its words.
        let grown = sed("Nov 29 00:00:01 web1 rsyslogd: [origin] start", ["sudo", "sudo", "ssh"], total: 30)
        let drift = AuthFailuresCheck().evaluate(host: "h", output: grown, reference: ref, previous: previous)
        #expect(drift.items.map(\.summary) == ["2 failed sudo attempts since the last scan (threshold 0)",
                                               "1 failed SSH logins since the last scan (threshold 0)"])
        #expect(AuthFailuresCheck().nextState(host: "h", output: grown, reference: ref, previous: previous) == "file:30:\(fpA):\(file)")
        let missing = AuthFailuresCheck().evaluate(host: "h", output: output(Data(), exit: 2, stderr: "sed: can't read \(file): No such file or directory\n"),
                                                   reference: ref, previous: previous)
        #expect(missing.status == .unavailable)
    }
}

extension CommandResult {
    /// This result with standard output marked as cut at the limit.
    func with(truncated: Bool) -> CommandResult {
        var copy = self
        copy.stdoutTruncated = truncated
        return copy
    }
}

/// The same, with GNU sed on real temp files through the local executor and the scan's state plumbing.
@Suite("auth.log rotation, live")
struct AuthLogRotationLiveTests {
    let local = LocalExecutor()
    let sudoLine = "Nov 29 14:00:00 web1 sudo:   eve : user NOT in sudoers ; TTY=pts/3 ; COMMAND=/bin/sh\n"
    let sshLine = "Nov 29 14:00:01 web1 sshd[77]: Failed password for root from 192.0.2.9 port 4000 ssh2\n"
    let noise = "Nov 29 14:00:02 web1 CRON[12]: pam_unix(cron:session): session opened for user root\n"

    func append(_ text: String, to path: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
    }

    @Test(.enabled(if: SystemRequirements.available(tools: ["sed"])))
    func sedCountsWhatCountCounts() throws {
        // The sed script's regexes must agree with `count(_:)` on recorded journal and auth.log lines,
        // plus a non-UTF-8 line and a sudo line that mentions a failed ssh (counted as neither).
        let dir = try TempReferences([:])
        defer { dir.remove() }
        for sample in ["journalctl-auth-sample.txt", "authlog-sample.txt"] {
            var data = try fixture(sample)
            data += Data("\n".utf8) + Data([0xff, 0xfe]) + Data(" x sshd[9]: Failed publickey for git from ::1\n".utf8)
            data += Data("Nov 29 web1 sudo: bob : Failed password for x ; weird\n".utf8)
            let path = dir.directory + "/" + sample
            try data.write(to: URL(fileURLWithPath: path))
            let expected = AuthFailuresCheck.count(String(decoding: data, as: UTF8.self))
            let read = try AuthFailuresCheck.readLog(try local.run(AuthFailuresCheck.logArgv(file: path, from: .init(lines: 0)), timeout: .seconds(10)),
                                                     previous: .init(lines: 0))
            #expect(read.sudo == expected.sudo && read.ssh == expected.ssh, "\(sample): sed \(read.sudo)/\(read.ssh), count \(expected)")
            #expect(expected.ssh > 0 && expected.sudo > 0)
        }
    }

    @Test(.enabled(if: SystemRequirements.available(tools: ["sed", "sh"])))
    func sedArgvSurvivesTheRemoteBatchScript() throws {
        // Over ssh the argv travels quoted through RemoteBatch's fixed sh script: run that script
        // here with /bin/sh and check the framed output parses the same as a direct run.
        let dir = try TempReferences([:])
        defer { dir.remove() }
        let path = dir.directory + "/it's auth.log"
        try (sudoLine + noise + sshLine).write(toFile: path, atomically: true, encoding: .utf8)
        let argv = AuthFailuresCheck.logArgv(file: path, from: .init(lines: 1, fingerprint: AuthFailuresCheck.fingerprint(Data(sudoLine.dropLast().utf8))))
        let marker = RemoteBatch.newMarker()
        let batch = try local.run(RemoteBatch.argv([["true"], argv], marker: marker), timeout: .seconds(10))
        let framed = try #require(RemoteBatch.split(batch, marker: marker, count: 2)[1])
        let direct = try local.run(argv, timeout: .seconds(10))
        #expect(framed.stdout == direct.stdout)
        let read = try AuthFailuresCheck.readLog(framed, previous: .init(lines: 1, fingerprint: AuthFailuresCheck.fingerprint(Data(sudoLine.dropLast().utf8))))
        #expect(read.rotated == nil && read.sudo == 0 && read.ssh == 1 && read.next.lines == 3)
    }

    @Test(.enabled(if: SystemRequirements.available(tools: ["sed", "mv"])))
    func rotatedLogIsNoticedAndNothingIsCountedTwiceOrMissed() throws {
        let refs = try TempReferences([:])
        defer { refs.remove() }
        let log = refs.directory + "/auth.log"
        try FileManager.default.createDirectory(atPath: refs.directory + "/auth", withIntermediateDirectories: true)
        try "source \(log)\nsudo 0\nssh 0\n".write(toFile: refs.directory + "/auth/h", atomically: true, encoding: .utf8)
        var store: [String: String] = [:]
        func scan() throws -> CheckResult {
            let (results, states) = try HostCollection.check([AuthFailuresCheck()], host: "h", executor: local, references: refs.references,
                                                             timeout: .seconds(20), state: { store[$0] })
            for (key, value) in states { store[key] = value }
            return try #require(results.first)
        }
        let key = AuthFailuresCheck().stateKey(host: "h")

        // A failed login on line 1 and two more later: each counted once on the first run.
        try (sudoLine + noise + sshLine + sudoLine).write(toFile: log, atomically: true, encoding: .utf8)
        let first = try scan()
        #expect(first.items.map(\.summary) == ["2 failed sudo attempts since the last scan (threshold 0)",
                                               "1 failed SSH logins since the last scan (threshold 0)"], "\(first.detail)")
        #expect(store[key]?.hasPrefix("file:4:") == true)
        let again = try scan()
        #expect(again.status == .ok && again.detail.hasPrefix("0 failed sudo, 0 failed SSH"), "\(again.detail)")

        // Growth: only the appended line.
        try append(noise + sshLine, to: log)
        let grown = try scan()
        #expect(grown.items.map(\.summary) == ["1 failed SSH logins since the last scan (threshold 0)"], "\(grown.detail)")
        #expect(store[key]?.hasPrefix("file:6:") == true)

        // Rotation to a LONGER file with another first line: reported, nothing counted.
        try FileManager.default.moveItem(atPath: log, toPath: log + ".1")
        try (noise + String(repeating: sshLine, count: 6) + sudoLine).write(toFile: log, atomically: true, encoding: .utf8)
        let rotated = try scan()
        #expect(rotated.status == .ok, "\(rotated.detail)")
        #expect(rotated.detail.hasPrefix("\(log) was rotated (its first line changed)"), "\(rotated.detail)")
        #expect(store[key] == "file:0:\(log)")
        // The next scan counts the whole new file, once.
        let after = try scan()
        #expect(after.items.map(\.summary) == ["1 failed sudo attempts since the last scan (threshold 0)",
                                               "6 failed SSH logins since the last scan (threshold 0)"], "\(after.detail)")
        #expect(try scan().status == .ok)

        // Rotation to a SHORTER file (same first line, e.g. truncated and rewritten): reported, then counted.
        try (noise + sudoLine).write(toFile: log, atomically: true, encoding: .utf8)
        let shorter = try scan()
        #expect(shorter.status == .ok && shorter.detail.contains("was rotated (it has 2 lines, fewer than the 8 read before)"), "\(shorter.detail)")
        #expect(try scan().items.map(\.summary) == ["1 failed sudo attempts since the last scan (threshold 0)"])

        // Rotation to an EMPTY file (logrotate's create): reported; then new lines are counted.
        try Data().write(to: URL(fileURLWithPath: log))
        let emptied = try scan()
        #expect(emptied.status == .ok && emptied.detail.contains("was rotated (it is now empty)"), "\(emptied.detail)")
        try append(sshLine, to: log)
        #expect(try scan().items.map(\.summary) == ["1 failed SSH logins since the last scan (threshold 0)"])
        #expect(try scan().status == .ok)

        // An old-format state (no fingerprint) is continued from its line count.
        try append(sudoLine, to: log)
        store[key] = "file:1:\(log)"
        #expect(try scan().items.map(\.summary) == ["1 failed sudo attempts since the last scan (threshold 0)"])
        #expect(AuthFailuresCheck.position(store[key], file: log).fingerprint != nil)
    }
}
