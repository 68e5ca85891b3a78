import Foundation
import LunaFleet
import Testing
@testable import LunaDrift

func text(_ name: String) throws -> String { String(decoding: try fixture(name), as: UTF8.self) }

/// `CommandSequence` output for recorded step outputs, as find would print it.
func sequence(_ steps: [(String, String, Bool)]) -> Data {
    var s = ""
    for (label, out, ok) in steps {
        s += "\n==luna-step \(label)\n" + out + "\n==luna-status \(ok ? "ok" : "failed")\n"
    }
    return Data(s.utf8)
}

@Suite("command sequence")
struct CommandSequenceTests {
    @Test func refusesElementsFindWouldMisread() {
        #expect(CommandSequence.argv([.init(label: "a", argv: ["echo", ";"])]) == nil)
        #expect(CommandSequence.argv([.init(label: "a", argv: ["echo", "x{}"])]) == nil)
        #expect(CommandSequence.argv([.init(label: "a\nb", argv: ["echo"])]) == nil)
        #expect(CommandSequence.argv([.init(label: "a", argv: ["git", "rev-parse", "@{u}"])]) != nil)
    }

    @Test func runsEachStepInOrderWithItsStatus() throws {
        let argv = try #require(CommandSequence.argv([
            .init(label: "one", argv: ["printf", "a b\\nc"]),
            .init(label: "two", argv: ["false"]),
            .init(label: "three $x;", argv: ["echo", "; $(id) *"]),
        ]))
        let result = try LocalExecutor().run(argv, timeout: .seconds(20))
        let steps = CommandSequence.split(result.stdoutText)
        #expect(steps.map(\.label) == ["one", "two", "three $x;"])
        #expect(steps[0].output == "a b\nc" && steps[0].succeeded == true)
        #expect(steps[1].succeeded == false)
        #expect(steps[2].output == "; $(id) *")
    }

    @Test func outputCannotForgeAStepBoundary() throws {
        let argv = try #require(CommandSequence.argv([
            .init(label: "a", argv: ["printf", "x\\n==luna-step b\\n==luna-status ok\\n==luna-step-1 c\\n"]),
        ]))
        let steps = CommandSequence.split(try LocalExecutor().run(argv, timeout: .seconds(20)).stdoutText)
        #expect(steps.map(\.label) == ["a"])
        #expect(steps[0].output == "x\n==luna-step b\n==luna-status ok\n==luna-step-1 c")
    }

    @Test func truncatedOutputLeavesTheLastStepOpen() {
        let steps = CommandSequence.split("\n==luna-step a\nx\n==luna-status ok\n\n==luna-step b\npartial")
        #expect(steps.count == 2)
        #expect(steps[1].succeeded == nil && steps[1].output == "partial")
    }
}

@Suite("ports: loopback-aware")
struct PortsLoopbackTests {
    @Test(arguments: [("127.0.0.53%lo:53", true), ("[::1]:631", true), ("127.0.0.1:9000", true), ("[::ffff:127.0.0.1]:80", true),
                      ("*:80", false), ("0.0.0.0:22", false), ("[::]:22", false), ("10.0.0.1:443", false), ("[fe80::1%eth0]:53", false)])
    func classifiesAddresses(address: String, loopback: Bool) {
        #expect(PortsCheck.isLoopback(address: address) == loopback)
    }

    @Test func reportKeepsPublicAndLoopbackApart() throws {
        let data = try fixture("ss-tulpn-debian12.txt")
        let result = PortsCheck().evaluate(host: "h", output: output(data), reference: try baseline("tcp 0.0.0.0:22\ntcp [::]:22\n"))
        #expect(result.status == .drift)
        let scopes = Dictionary(result.items.map { ($0.subject, $0.params["scope"] ?? "") }, uniquingKeysWith: { a, _ in a })
        #expect(scopes["+tcp *:80"] == "public")
        #expect(scopes["+tcp [::1]:631"] == "loopback")
        #expect(scopes["+tcp 127.0.0.1:9000"] == "loopback")
        #expect(result.items.contains { $0.summary == "new loopback listener tcp 127.0.0.1:9000 (Web Content)" })
        let detail = result.detail
        let publicPart = try #require(detail.range(of: "public:"))
        let loopbackPart = try #require(detail.range(of: "loopback only:"))
        #expect(publicPart.lowerBound < loopbackPart.lowerBound)
        #expect(detail[loopbackPart.upperBound...].contains("5432"))
        #expect(!detail[..<loopbackPart.lowerBound].contains("5432"))
    }

    @Test func ignoreLoopbackComparesPublicListenersOnlyAndCaptureKeepsIt() throws {
        let data = try fixture("ss-tulpn-debian12.txt")
        let reference = try baseline("ignore loopback\ntcp 0.0.0.0:22\ntcp [::]:22\ntcp 127.0.0.1:1 # a loopback line is not compared either\n")
        let result = PortsCheck().evaluate(host: "h", output: output(data), reference: reference)
        #expect(result.items.allSatisfy { $0.params["scope"] == "public" }, "\(result.items.map(\.summary))")
        #expect(result.items.contains { $0.subject == "+tcp *:80" })
        #expect(!result.items.contains { $0.subject == "-tcp 127.0.0.1:1" })
        let captured = try PortsCheck().capture(output: output(data), current: reference)
        #expect(captured.first == "ignore loopback")
        #expect(!captured.dropFirst().contains { PortsCheck.isLoopback(address: String($0.split(separator: " ")[1])) })
        let clean = PortsCheck().evaluate(host: "h", output: output(data), reference: try baseline(captured.joined(separator: "\n") + "\n"))
        #expect(clean.status == .ok && clean.detail.contains("loopback not compared"), "\(clean.detail)")
        // Without the line, the same loopback listeners are findings.
        #expect(PortsCheck().evaluate(host: "h", output: output(data), reference: try baseline("tcp 0.0.0.0:22\n")).items.contains { $0.params["scope"] == "loopback" })
    }
}

@Suite("sshd hardening exceptions")
struct SSHDExceptionTests {
    @Test func exceptionIsHonouredAndNamed() throws {
        let ref = try baseline("permitrootlogin prohibit-password  # exception: backup pulls\npasswordauthentication no\n")
        let data = Data("permitrootlogin without-password\npermitrootlogin prohibit-password\npasswordauthentication no\n".utf8)
        let result = SSHDCheck().evaluate(host: "h", output: output(Data("permitrootlogin prohibit-password\npasswordauthentication no\n".utf8)), reference: ref)
        #expect(result.status == .ok)
        #expect(result.detail.contains("exception: backup pulls"))
        _ = data
    }

    @Test func weakeningWithoutExceptionIsABadReference() throws {
        let ref = try baseline("port 22\npermitrootlogin yes\n", file: "configs/sshd/h")
        let result = SSHDCheck().evaluate(host: "h", output: output(Data("permitrootlogin yes\nport 22\n".utf8)), reference: ref)
        #expect(result.status == .error)
        #expect(result.detail.contains("configs/sshd/h:2: permitrootlogin yes weakens the hardening policy"))
    }

    @Test func driftOnAnExceptionSaysSo() throws {
        let ref = try baseline("kbdinteractiveauthentication yes # exception: legacy scanner\n")
        let result = SSHDCheck().evaluate(host: "h", output: output(try fixture("sshd-T-debian12.txt")), reference: ref)
        #expect(result.status == .drift)
        #expect(result.items.first?.summary.contains("expected yes (exception: legacy scanner), found no") == true)
    }
}

@Suite("sudoers: semantic drift")
struct SudoersDriftTests {
    func grepOutput(_ files: [(String, String)]) -> Data {
        var data = Data()
        for (path, text) in files {
            for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
                data += Data(path.utf8) + Data([0]) + Data(line.utf8) + Data("\n".utf8)
            }
        }
        return data
    }

    func reference(_ text: String) -> Baseline {
        Baseline(file: "configs/sudoers/luna-h", lines: text.split(separator: "\n", omittingEmptySubsequences: false)
            .enumerated().map { Baseline.Line(number: $0.offset + 1, text: String($0.element)) })
    }

    let rule = "luna ALL=(root) NOPASSWD: /usr/bin/systemctl restart nginx\n"

    @Test func recordedDebianSudoersLacksLunaRules() throws {
        let data = try fixture("sudoers-grep-debian12.bin")
        #expect(SudoersCheck.parseFiles(data).map(\.path) == ["/etc/sudoers", "/etc/sudoers.d/README"])
        let result = SudoersCheck().evaluate(host: "h", output: output(data), reference: reference(rule))
        #expect(result.status == .drift)
        #expect(result.items.count == 1)
        #expect(result.items[0].summary.hasPrefix("only in configs/sudoers/luna-h: (root) NOPASSWD: /usr/bin/systemctl restart nginx"))
    }

    @Test func includedirIsFollowedInSudoOrderAndIgnoredNamesSkipped() throws {
        let main = "Defaults env_reset\nroot ALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d\n"
        let data = grepOutput([("/etc/sudoers", main),
                               ("/etc/sudoers.d/luna", "# Luna\nluna   ALL = (root)   NOPASSWD: /usr/bin/systemctl restart nginx\n"),
                               ("/etc/sudoers.d/luna.bak", "luna ALL=(ALL) NOPASSWD: ALL\n"),
                               ("/etc/sudoers.d/old~", "luna ALL=(ALL) NOPASSWD: ALL\n"),
                               ("/etc/sudoers.d/sub/x", "luna ALL=(ALL) NOPASSWD: ALL\n")])
        let result = SudoersCheck().evaluate(host: "h", output: output(data), reference: reference("# formatting differs\n" + rule))
        #expect(result.status == .ok, "\(result.detail)")
    }

    @Test func addedRuleOnTheHostIsDrift() throws {
        let data = grepOutput([("/etc/sudoers", "#includedir /etc/sudoers.d\n"),
                               ("/etc/sudoers.d/luna", rule + "luna ALL=(root) NOPASSWD: /bin/bash\n")])
        let result = SudoersCheck().evaluate(host: "h", output: output(data), reference: reference(rule))
        #expect(result.status == .drift)
        #expect(result.items.map(\.summary) == ["only in h:/etc/sudoers: (root) NOPASSWD: /bin/bash"])
    }

    @Test func unreadableIsUnavailableWithTheReason() {
        let result = SudoersCheck().evaluate(host: "h", output: output(Data(), exit: 2, stderr: "grep: /etc/sudoers: Permission denied\n"),
                                             reference: reference(rule))
        #expect(result.status == .unavailable)
        #expect(result.detail.contains("needs root"))
    }

    @Test func nonUTF8AndTruncatedOutput() {
        var data = grepOutput([("/etc/sudoers", rule)])
        data += Data("/etc/sudoers.d/x".utf8) + Data([0, 0xff, 0xfe, 0x0a])
        #expect(SudoersCheck.parseFiles(data).count == 2)
        let cut = SudoersCheck().evaluate(host: "h", output: output(data, truncated: true), reference: reference(rule))
        #expect(cut.status == .error)
    }
}

@Suite("failed logins")
struct AuthFailuresTests {
    @Test func countsJournalSampleWithoutDoubleCounting() throws {
        let counts = AuthFailuresCheck.count(try text("journalctl-auth-sample.txt"))
        #expect(counts.sudo == 2)
        #expect(counts.ssh == 3)
        #expect(AuthFailuresCheck.cursor(try text("journalctl-auth-sample.txt"))?.hasPrefix("s=8d1f0a6b2c3e4d5f;i=1a2b") == true)
    }

    @Test func overThresholdIsDriftAndCursorIsKept() throws {
        let ref = try baseline("sudo 1\nssh 5\n")
        let out = output(try fixture("journalctl-auth-sample.txt"))
        let result = AuthFailuresCheck().evaluate(host: "h", output: out, reference: ref)
        #expect(result.status == .drift)
        #expect(result.items.map(\.subject) == ["failed sudo"])
        #expect(result.items[0].summary == "2 failed sudo attempts since the last scan (threshold 1)")
        let next = AuthFailuresCheck().nextState(host: "h", output: out, reference: ref, previous: nil)
        #expect(next?.hasPrefix("cursor:s=8d1f") == true)
    }

    @Test func noJournalIsUnavailableAndNoEntriesIsZero() throws {
        let ref = try baseline("sudo 0\n")
        let none = AuthFailuresCheck().evaluate(host: "h", output: output(try fixture("journalctl-nojournal.txt"), exit: 1, stderr: "No journal files were found.\n"), reference: ref)
        #expect(none.status == .unavailable)
        #expect(none.detail.contains("source /var/log/auth.log"))
        let empty = AuthFailuresCheck().evaluate(host: "h", output: output(Data("-- No entries --\n".utf8), exit: 1), reference: ref)
        #expect(empty.status == .ok)
    }

    @Test func planResumesAfterTheCursor() throws {
        let dir = try TempReferences(["auth/h": "sudo 0\n"])
        defer { dir.remove() }
        guard case .run(let first, _) = AuthFailuresCheck().plan(host: "h", references: dir.references, state: nil),
              case .run(let again, _) = AuthFailuresCheck().plan(host: "h", references: dir.references, state: "cursor:s=abc;i=1") else {
            Issue.record("expected runs"); return
        }
        #expect(first.last == "--since=-24h")
        #expect(again.last == "--after-cursor=s=abc;i=1")
    }

    @Test func authLogSampleCounts() throws {
        let counts = AuthFailuresCheck.count(try text("authlog-sample.txt"))
        #expect(counts.sudo == 1 && counts.ssh == 2)
    }
}

@Suite("SUID/SGID inventory")
struct SUIDTests {
    @Test func recordedFindOutputParses() throws {
        let live = SUIDCheck.parse(try fixture("find-suid-debian12.bin"))
        #expect(live["/usr/bin/sudo"] == "4755")
        #expect(live["/usr/bin/chage"] == "2755")
        #expect(live.count >= 10)
    }

    @Test func newEntryAlertsAndGoneOnlyWhenComplete() throws {
        var data = try fixture("find-suid-debian12.bin")
        data += Data("4755 /usr/local/bin/with space\u{FFFD}".utf8) + Data([0])
        data += Data("6755 /usr/local/bin/bad".utf8) + Data([0xff, 0])
        let ref = try baseline("root /usr\n/usr/bin/sudo\n/usr/bin/gone\n")
        let result = SUIDCheck().evaluate(host: "h", output: output(data), reference: ref)
        #expect(result.items.contains { $0.subject == "+/usr/local/bin/with space\u{FFFD}" })
        #expect(result.items.contains { $0.subject == "+/usr/local/bin/bad\u{FFFD}" })
        #expect(result.items.contains { $0.subject == "-/usr/bin/gone" })
        let partial = SUIDCheck().evaluate(host: "h", output: output(data, exit: 1, stderr: "find: '/usr/x': Permission denied"), reference: ref)
        #expect(!partial.items.contains { $0.subject == "-/usr/bin/gone" })
        #expect(SUIDCheck().evaluate(host: "h", output: output(Data()), reference: try baseline("root /usr\n")).status == .ok)
    }
}

@Suite("cron inventory")
struct CronTests {
    @Test func recordedSequenceParses() throws {
        let steps = CommandSequence.split(try text("cron-sequence-debian12.txt"))
        #expect(steps.map(\.label) == ["cron", "timers"])
        let items = CronCheck.parseCron(steps[0].output)
        #expect(items.contains("cron /etc/crontab: 17 * * * * root cd / && run-parts --report /etc/cron.hourly"))
        #expect(items.count == 8)
        #expect(CronCheck.parseTimers("apt-daily.timer loaded active waiting Daily apt download activities\nlogrotate.timer loaded active waiting Daily rotation of log files\n")
                == ["timer apt-daily.timer", "timer logrotate.timer"])
    }

    @Test func newJobIsDriftNoSystemdNoted() throws {
        let recorded = try text("cron-sequence-debian12.txt")
        let items = CronCheck.parseCron(CommandSequence.split(recorded)[0].output)
        let ref = try baseline(items.dropLast().joined(separator: "\n"))
        let result = CronCheck().evaluate(host: "h", output: output(Data(recorded.utf8)), reference: ref)
        #expect(result.status == .drift)
        #expect(result.items.count == 1)
        #expect(result.detail.contains("no systemd"))
        let ok = CronCheck().evaluate(host: "h", output: output(Data(recorded.utf8)), reference: try baseline(items.joined(separator: "\n")))
        #expect(ok.status == .ok)
    }
}

@Suite("TLS expiry")
struct TLSTests {
    let now = TLSCheck.parseDate("Nov 29 15:00:00 2026 GMT")!

    @Test func parsesBothRecordedFormats() throws {
        let end = try #require(TLSCheck.parseDate("Dec  9 14:45:48 2026 GMT"))
        #expect(TLSCheck.notAfter(try text("openssl-x509-enddate.txt")) == end)
        #expect(TLSCheck.notAfter(try text("openssl-s_client-debian12.txt")) == end)
        #expect(TLSCheck.notAfter("") == nil)
        #expect(TLSCheck.parseDate("Foo 1 00:00:00 2026 GMT") == nil)
    }

    @Test func belowThresholdIsDriftAndUnreadableIsAFinding() throws {
        let ref = try baseline("file /etc/ssl/a.pem 14\nendpoint 127.0.0.1:8443 5\nendpoint [::1]:9443 5\n")
        let data = sequence([("file /etc/ssl/a.pem", try text("openssl-x509-enddate.txt"), true),
                             ("endpoint 127.0.0.1:8443", try text("openssl-s_client-debian12.txt"), true),
                             ("endpoint [::1]:9443", "", false)])
        let result = TLSCheck().evaluate(host: "h", output: output(data), reference: ref, now: now)
        #expect(result.items.map(\.subject) == ["file /etc/ssl/a.pem", "endpoint [::1]:9443"])
        #expect(result.items[0].summary == "file /etc/ssl/a.pem expires in 9 days (threshold 14)")
    }
}

@Suite("disk and memory")
struct DiskMemoryTests {
    @Test func recordedDfParsesAndMountsWithBlanks() throws {
        let usage = DiskCheck.parse(try text("df-P-debian12.txt") + "/dev/sdb1 100 95 5 95% /mnt/my disk\n")
        #expect(usage.contains { $0.mount == "/" })
        #expect(usage.last == DiskCheck.Usage(filesystem: "/dev/sdb1", usedPercent: 95, mount: "/mnt/my disk"))
        let result = DiskCheck().evaluate(host: "h", output: output(Data("Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/sdb1 100 95 5 95% /mnt/my disk\n".utf8)),
                                          reference: try baseline("/ 90\n"))
        #expect(result.items.map(\.summary) == ["/ is not mounted"])
        #expect(DiskCheck().evaluate(host: "h", output: output(Data()), reference: try baseline("/ 90")).status == .error)
    }

    @Test func recordedMeminfo() throws {
        let info = MemoryCheck.parse(try text("meminfo-debian12.txt"))
        #expect(info["MemTotal"] != nil && info["MemAvailable"] != nil)
        let low = MemoryCheck().evaluate(host: "h", output: output(Data("MemTotal: 1000000 kB\nMemAvailable: 50000 kB\n".utf8)),
                                         reference: try baseline("min_available_percent 10\n"))
        #expect(low.status == .drift)
        #expect(low.items[0].summary == "48 MiB available (5% of 976 MiB): below 10%")
        let cut = MemoryCheck().evaluate(host: "h", output: output(Data("MemTotal: 100".utf8), truncated: true), reference: try baseline("min_available_mib 1"))
        #expect(cut.status == .error)
    }
}

@Suite("containers")
struct ContainersTests {
    @Test func dockerRestartLoopAndUnhealthy() throws {
        let ref = try baseline("engine docker\nexpect web\nexpect oneshot\nexpect ghost\n")
        let result = ContainersCheck().evaluate(host: "h", output: output(try fixture("docker-ps-json.txt")), reference: ref)
        #expect(result.items.map(\.subject) == ["app worker restarting", "redis unhealthy", "oneshot stopped", "ghost missing"])
    }

    @Test func podmanArrayWithRestartCount() throws {
        let ref = try baseline("engine podman\nmax_restarts 5\n")
        let result = ContainersCheck().evaluate(host: "h", output: output(try fixture("podman-ps-json.txt")), reference: ref)
        #expect(result.items.map(\.subject) == ["db unhealthy", "proxy restarting"])
    }

    @Test func noDaemonIsUnavailableAndGarbageIsAnError() throws {
        let ref = try baseline("engine docker\n")
        let down = ContainersCheck().evaluate(host: "h", output: output(Data(), exit: 1, stderr: try text("docker-nodaemon.txt")), reference: ref)
        #expect(down.status == .unavailable)
        #expect(ContainersCheck().evaluate(host: "h", output: output(Data("{\"Names\":\"x\"".utf8), truncated: true), reference: ref).status == .error)
        #expect(ContainersCheck().evaluate(host: "h", output: output(Data()), reference: ref).status == .ok)
    }
}

@Suite("backup freshness")
struct BackupTests {
    @Test func newestPerGroupAgainstThreshold() throws {
        let newest = try #require(BackupCheck.newestPerGroup(try fixture("pbs-snapshot-list.json")))
        #expect(newest["vm/100"] == Date(timeIntervalSince1970: 1764396000))
        let ref = try baseline("repository root@pam@127.0.0.1:store\ngroup vm/100\ngroup vm/999\n")
        let now = Date(timeIntervalSince1970: 1764396000 + 3600 * 5)
        let result = BackupCheck().evaluate(host: "h", output: output(try fixture("pbs-snapshot-list.json")), reference: ref, now: now)
        #expect(result.items.map(\.subject) == ["ct/101", "vm/999"])
        #expect(result.items[0].summary == "newest snapshot of ct/101 is 101 h old (threshold 24 h)")
        #expect(BackupCheck.newestPerGroup(Data("[{\"backup-type\":".utf8)) == nil)
    }
}

@Suite("quorum and qdevice")
struct QuorumTests {
    @Test func quorateAndNot() throws {
        let ref = try baseline("expected_votes 3\n")
        #expect(QuorumCheck().evaluate(host: "h", output: output(try fixture("corosync-quorumtool-s-quorate.txt")), reference: ref).status == .ok)
        let lost = QuorumCheck().evaluate(host: "h", output: output(try fixture("corosync-quorumtool-s-inquorate.txt"), exit: 2), reference: ref)
        #expect(lost.items.map(\.subject) == ["quorate"])
        let down = QuorumCheck().evaluate(host: "h", output: output(Data(), exit: 1, stderr: "Cannot initialize QUORUM service"), reference: ref)
        #expect(down.status == .unavailable)
    }

    /// Outputs recorded from a real single-node corosync 3.1.7 with a quorum device
    /// (Debian 12; the set-up of CorosyncLiveTests): blocked without qnetd, quorate with it.
    @Test func recordedCorosyncWithAQuorumDevice() throws {
        let ref = try baseline("expected_votes 2\nmin_nodes 1\n")
        let blocked = QuorumCheck().evaluate(host: "h", output: output(try fixture("corosync-quorumtool-s-blocked-debian12.txt"), exit: 2), reference: ref)
        #expect(blocked.status == .drift && blocked.items.map(\.subject) == ["quorate"], "\(blocked)")
        #expect(blocked.items.first?.summary == "the cluster partition is not quorate (total votes 1, quorum 2 Activity blocked)")
        let ok = QuorumCheck().evaluate(host: "h", output: output(try fixture("corosync-quorumtool-s-qdevice-debian12.txt")), reference: ref)
        #expect(ok.status == .ok, "\(ok)")
        let connected = QDeviceCheck().evaluate(host: "h", output: output(try fixture("corosync-qdevice-tool-s-connected-debian12.txt")),
                                                reference: try baseline("qnetd 127.0.0.1\n"))
        #expect(connected.status == .ok && connected.detail == "quorum device connected to 127.0.0.1:5403", "\(connected)")
        let failed = QDeviceCheck().evaluate(host: "h", output: output(try fixture("corosync-qdevice-tool-s-connect-failed-debian12.txt")),
                                             reference: try baseline("qnetd 127.0.0.1\n"))
        #expect(failed.items.map(\.subject) == ["qnetd"] && failed.items.first?.observed == "Connect failed", "\(failed)")
        let elsewhere = QDeviceCheck().evaluate(host: "h", output: output(try fixture("corosync-qdevice-tool-s-connected-debian12.txt")),
                                                reference: try baseline("qnetd 192.168.10.5\n"))
        #expect(elsewhere.items.map(\.subject) == ["server"], "\(elsewhere)")
    }

    @Test func qdeviceConnected() throws {
        let out = try text("corosync-qdevice-tool-s.txt")
        #expect(QDeviceCheck().evaluate(host: "h", output: output(Data(out.utf8)), reference: try baseline("qnetd 192.168.10.5")).status == .ok)
        let lost = QDeviceCheck().evaluate(host: "h", output: output(Data(out.replacingOccurrences(of: "Connected", with: "Connect failed").utf8)),
                                           reference: try baseline(""))
        #expect(lost.items.first?.summary == "the quorum device is Connect failed, not Connected")
    }
}

@Suite("DNS, VPN, git lag")
struct DNSVPNGitTests {
    @Test func digAnswersAndFailures() throws {
        let ref = try baseline("resolver 127.0.0.1#15353\nresolver ::1\nname luna.test\nname missing.test AAAA\n")
        let data = sequence([("@127.0.0.1#15353 luna.test A", try text("dig-short-answer.txt"), true),
                             ("@127.0.0.1#15353 missing.test AAAA", try text("dig-short-nxdomain.txt"), true),
                             ("@::1 luna.test A", try text("dig-short-refused.txt"), false)])
        let result = DNSCheck().evaluate(host: "h", output: output(data), reference: ref)
        #expect(result.items.map(\.subject) == ["@127.0.0.1#15353 missing.test AAAA", "@::1 luna.test A", "@::1 missing.test AAAA"])
        #expect(result.items[1].summary.contains("communications error"))
        let none = DNSCheck().evaluate(host: "h", output: output(Data(), stderr: "find: 'dig': No such file or directory\n"), reference: ref)
        #expect(none.status == .unavailable)
    }

    @Test func tailscaleNodes() throws {
        let status = try #require(VPNCheck.parse(try fixture("tailscale-status.json")))
        #expect(status.nodes["pve1"] == true && status.nodes["backup box"] == false && status.nodes["backup-box"] == false)
        let result = VPNCheck().evaluate(host: "h", output: output(try fixture("tailscale-status.json")), reference: try baseline("node web1\nnode pve1\nnode backup-box\nnode nas\n"))
        #expect(result.items.map(\.summary) == ["node backup-box is offline", "node nas is not in the tailnet"])
        #expect(VPNCheck.parse(Data("{".utf8)) == nil)
    }

    @Test func gitLagFromStepOutputs() throws {
        let head = "*|aaa|refs/heads/main|refs/remotes/origin/main\n |bbb|refs/heads/dev|\n"
        #expect(try GitLagCheck.lag(head: head, upstream: "aaa", behind: "0", remote: "aaa\tHEAD\naaa\trefs/heads/main\n").get() == .init(behind: 0, exact: true))
        #expect(try GitLagCheck.lag(head: head, upstream: "ccc", behind: "4", remote: "ccc\trefs/heads/main\n").get() == .init(behind: 4, exact: true))
        #expect(try GitLagCheck.lag(head: head, upstream: "aaa", behind: "0", remote: "ddd\trefs/heads/main\n").get() == .init(behind: 1, exact: false))
        #expect(throws: GitLagCheck.LagError.self) { try GitLagCheck.lag(head: "*|aaa||\n", upstream: "", behind: "", remote: "").get() }
    }
}

/// A throwaway `configs` folder for plan tests.
struct TempReferences {
    let directory: String
    var references: References { References(directory: directory) }

    init(_ files: [String: String]) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("luna-refs-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (path, content) in files {
            let full = directory + "/" + path
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try content.write(toFile: full, atomically: true, encoding: .utf8)
        }
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

@Suite("forced-command handshake")
struct HandshakeTests {
    let ref = "target luna-fc@127.0.0.1\nkey /etc/luna/fc_ed25519\nbanner LUNA-FC 1 ready\nport 2222\nknown_hosts /etc/luna/known_hosts\n"

    @Test func planIsBatchModeSSHWithTheDedicatedKey() throws {
        let refs = try TempReferences(["handshake/h": ref])
        defer { refs.remove() }
        guard case .run(let argv, _) = HandshakeCheck().plan(host: "h", references: refs.references) else { Issue.record("expected a run"); return }
        #expect(argv == ["ssh", "-T", "-i", "/etc/luna/fc_ed25519", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=10",
                         "-o", "UserKnownHostsFile=/etc/luna/known_hosts", "-o", "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes", "-p", "2222", "--", "luna-fc@127.0.0.1"])
        guard case .done(let none) = HandshakeCheck().plan(host: "other", references: refs.references) else { Issue.record("expected done"); return }
        #expect(none.status == .unavailable)
    }

    @Test func bannerDecides() throws {
        let b = try baseline(ref)
        #expect(HandshakeCheck().evaluate(host: "h", output: output(Data("LUNA-FC 1 ready\nbye\n".utf8)), reference: b).status == .ok)
        let wrong = HandshakeCheck().evaluate(host: "h", output: output(Data([0xff, 0x0a])), reference: b)
        #expect(wrong.status == .drift)
        let down = HandshakeCheck().evaluate(host: "h", output: output(Data(), exit: 255, stderr: "ssh: connect to host 127.0.0.1 port 2222: Connection refused"), reference: b)
        #expect(down.items.first?.summary.contains("Connection refused") == true)
    }

    @Test func optionLikeValuesAreRefused() throws {
        let refs = try TempReferences(["handshake/h": "target -oProxyCommand=x\nkey /k\nbanner b\n"])
        defer { refs.remove() }
        guard case .done(let r) = HandshakeCheck().plan(host: "h", references: refs.references) else { Issue.record("must not run"); return }
        #expect(r.status == .error)
    }
}
