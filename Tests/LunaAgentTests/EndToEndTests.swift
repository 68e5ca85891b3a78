import Foundation
import LunaDrift
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The whole loop through `luna`, a real git repo and real files: the first test and the
/// daemon tests spawn the real binary, the rest run the same commands in process.
@Suite("end to end", .serialized)
struct EndToEndTests {
    @Test func driftIsProposedApprovedExecutedVerifiedAndCommitted() throws {
        let estate = try Estate()
        defer { estate.remove() }

        let first = try estate.spawned(["run", "--once"])
        #expect(first.status == 0, "\(first.err)")
        #expect(first.out.contains("mode 0644, reference 0600"))
        #expect(first.out.contains("Awaiting your approval"))
        #expect(first.out.contains("approve 1"))
        #expect(try estate.mode() == 0o644, "nothing runs before approval")

        let pending = try estate.spawned(["proposals", "--state", "awaiting_approval", "--json"])
        let list = try #require(try JSONSerialization.jsonObject(with: Data(pending.out.utf8)) as? [[String: Any]])
        #expect(list.count == 1)
        #expect(list.first?["argv"] as? [String] == ["/usr/bin/chmod", "0600", estate.target])
        #expect(list.first?["skill"] as? String == "restore-file-mode")

        // The operator has work in progress in the ops repo: it must survive untouched.
        try estate.ops.write("configs/files/localhost", "# operator is editing\n" + estate.target + " 0600 *\n")
        try estate.ops.write("notes-staged.md", "staged by the operator\n")
        try estate.ops.git("add", "notes-staged.md")
        let statusBefore = try estate.ops.git("status", "--porcelain")

        let approve = try estate.spawned(["approve", "1"])
        #expect(approve.status == 0, "\(approve.err)")
        let again = try estate.spawned(["approve", "1"])
        #expect(again.status == 2)
        #expect(again.err.contains("already approved"))

        let second = try estate.spawned(["run", "--once"])
        #expect(second.status == 0, "\(second.err)")
        #expect(try estate.mode() == 0o600)
        // The scan of this cycle ran before the fix: the report says fixed, not DRIFT.
        #expect(!second.out.contains("DRIFT"), "\(second.out)")
        #expect(second.out.contains("fixed       files     1 difference fixed in this cycle"), "\(second.out)")
        #expect(second.out.contains("— fixed by proposal 1"))
        #expect(second.out.contains("  fixed     localhost/files: "))

        let show = try estate.spawned(["show", "1", "--json"])
        let record = try #require(try JSONSerialization.jsonObject(with: Data(show.out.utf8)) as? [String: Any])
        let proposal = try #require(record["proposal"] as? [String: Any])
        #expect(proposal["state"] as? String == "recorded")
        #expect(proposal["outcome"] as? String == "succeeded")
        let approval = try #require(record["approval"] as? [String: Any])
        #expect(approval["channel"] as? String == "cli")
        #expect(approval["digest"] as? String == proposal["digest"] as? String)
        let execution = try #require(record["execution"] as? [String: Any])
        #expect(execution["exitStatus"] as? Int == 0)
        #expect(execution["verifyPassed"] as? Bool == true)
        let commit = try #require(proposal["commitID"] as? String)

        let message = try estate.ops.git("log", "-1", "--format=%B", commit)
        for trailer in ["Proposal: 1", "Host: localhost", "Argv: [\"/usr/bin/chmod\",\"0600\",\"\(estate.target)\"]",
                        "Channel: cli", "Exit-status: 0", "Outcome: succeeded", "Skill: restore-file-mode",
                        "Approved-by: \(approval["approver"] as? String ?? "?")"] {
            #expect(message.contains(trailer), "missing trailer \(trailer) in:\n\(message)")
        }
        #expect(message.hasPrefix("luna: succeeded on localhost"))
        let parsed = try estate.ops.git("log", "-1", "--format=%(trailers:key=Proposal,valueonly)", commit)
        #expect(parsed == "1", "git must see the trailers as trailers")
        #expect(try estate.ops.git("log", "-1", "--format=%an <%ae>", commit) == "Luna Test <luna@test.invalid>")

        // Only Luna's note and the skill's stats are in Luna's commit; the operator's changes are as they were.
        let changed = try estate.ops.git("show", "--name-only", "--format=", commit)
        #expect(changed.split(separator: "\n").allSatisfy { $0.hasPrefix("memory/outcomes/") || $0 == "skills/restore-file-mode/stats.json" }, "\(changed)")
        #expect(changed.contains("skills/restore-file-mode/stats.json"), "the use is counted in git")
        #expect(try estate.ops.git("status", "--porcelain") == statusBefore)

        // The files check ran again right after the fix: the finding is resolved, and that is the verification.
        #expect(message.replacingOccurrences(of: "\n", with: " ").contains("Re-checked: the files check no longer reports it."), "\(message)")
        #expect(try estate.spawned(["show", "1"]).out.contains("re-checked:  resolved"))
        let third = try estate.spawned(["scan", "--json"])
        #expect(third.status == 0)
        #expect(!third.out.contains("\"drift\""), "\(third.out)")
        #expect(try estate.spawned(["proposals", "--json"]).out.components(separatedBy: "\"id\"").count == 2)
    }

    // Killing luna while an action runs: NothingLostTests (luna alone, and its whole tree).

    @Test func pendingApprovalsSurviveRestartsAndAreNotProposedTwice() throws {
        let estate = try Estate()
        defer { estate.remove() }
        for _ in 1...3 {
            let run = try estate.luna("run", "--once")
            #expect(run.status == 0, "\(run.err)")
        }
        let all = try estate.luna("proposals", "--json")
        let list = try #require(try JSONSerialization.jsonObject(with: Data(all.out.utf8)) as? [[String: Any]])
        #expect(list.count == 1)
        #expect(list.first?["state"] as? String == "awaiting_approval")
        let deny = try estate.luna("deny", "1", "--reason", "the mode is intended; update the reference")
        #expect(deny.status == 0)
        #expect(try estate.luna("run", "--once").status == 0)
        let message = try estate.ops.git("log", "-1", "--format=%B")
        #expect(message.contains("Outcome: denied"))
        #expect(message.contains("the mode is intended"))
        #expect(try estate.mode() == 0o644)
    }

    @Test func badCallsAreClearErrors() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let unknown = try estate.luna("approve", "99")
        #expect(unknown.status == 2)
        #expect(unknown.err.contains("no proposal 99"))
        let notANumber = try estate.luna("approve", "abc")
        #expect(notANumber.status == 2)
        #expect(notANumber.err.contains("not a proposal id"))
        let noCommand = try LunaBinary.run([])
        #expect(noCommand.exitStatus == 2)
        let help = try LunaBinary.run(["--help"])
        #expect(help.exitStatus == 0)
        #expect(help.stdoutText.contains("Exit status:"))
        for command in ["run", "scan", "proposals", "show", "approve", "deny", "allowed", "plan", "status", "baseline", "memory", "skills"] {
            let r = LunaCLITestRunner.run([command, "--help"])
            #expect(r.status == 0 && r.out.contains("Usage: luna \(command)"), "\(command) --help")
        }
        // `luna scan --help` names every check the catalog has.
        let scanHelp = LunaCLITestRunner.run(["scan", "--help"]).out
        for check in CheckCatalog.names {
            #expect(scanHelp.range(of: "\\b\(check)\\b", options: .regularExpression) != nil, "scan --help does not name \(check)")
        }
        let bogus = try estate.luna("scan", "--bogus")
        #expect(bogus.status == 2)
        #expect(bogus.err.contains("unknown option --bogus"))
    }

    @Test func aMalformedConfigStopsTheDaemonWithFileLineColumn() throws {
        let estate = try Estate()
        defer { estate.remove() }
        try "[luna]\nops_repo = \"\(estate.ops.repo)\"\nscan_interval_seconds = \"often\"\n[[hosts]]\nname = \"localhost\"\n"
            .write(toFile: estate.ops.config, atomically: true, encoding: .utf8)
        let r = try estate.luna("run", "--once")
        #expect(r.status == 2)
        #expect(r.err.contains("luna.toml:3:1:"), "\(r.err)")
        #expect(r.err.contains("scan_interval_seconds"))
        try "[luna\n".write(toFile: estate.ops.config, atomically: true, encoding: .utf8)
        let broken = try estate.luna("run", "--once")
        #expect(broken.status == 2)
        #expect(broken.err.contains("luna.toml:1:"), "\(broken.err)")
        #expect(!FileManager.default.fileExists(atPath: estate.ops.state + "/luna.db"), "nothing starts half-configured")
    }

    @Test func underSystemdItNotifiesReadyAndStopsOnSIGTERM() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let socketPath = estate.ops.root + "/notify.sock"
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in socketPath.utf8.enumerated() { raw[i] = b }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))

        let child = Process()
        child.executableURL = URL(fileURLWithPath: LunaBinary.path)
        child.arguments = ["--config", estate.ops.config, "run"]
        var env = ProcessInfo.processInfo.environment
        env["NOTIFY_SOCKET"] = socketPath
        env["WATCHDOG_USEC"] = "2000000"
        child.environment = env
        child.standardOutput = FileHandle.nullDevice
        child.standardError = FileHandle.nullDevice
        try child.run()

        func receive() -> String? {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = recv(fd, &buffer, buffer.count, 0)
            return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : nil
        }
        var messages: [String] = []
        while let m = receive() {
            messages.append(m)
            if messages.contains(where: { $0.contains("STATUS=last scan") }) && messages.contains("WATCHDOG=1") { break }
        }
        #expect(messages.first?.contains("READY=1") == true, "\(messages)")
        #expect(messages.contains("WATCHDOG=1"), "\(messages)")
        kill(child.processIdentifier, SIGTERM)
        let stopBy = Date().addingTimeInterval(30)
        while child.isRunning && Date() < stopBy { Thread.sleep(forTimeInterval: 0.1) }
        if child.isRunning {
            Issue.record("luna did not stop within 30 s of SIGTERM")
            kill(child.processIdentifier, SIGKILL)
        }
        child.waitUntilExit()
        #expect(child.terminationStatus == 0)
        var rest: [String] = []
        while let m = receive() { rest.append(m); if m.contains("STOPPING=1") { break } }
        #expect(rest.contains { $0.contains("STOPPING=1") }, "\(rest)")
    }
}
