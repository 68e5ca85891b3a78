import Foundation
@testable import LunaDrift
import LunaFleet
import LunaPolicy
import TestSupport
import Testing

/// The sudoers lines Luna prints for its root collections: pasted into
/// `LUNA_READ`, each parses with the real `visudo -cf`, makes the real sudo allow
/// exactly that collection (and nothing with one more argument), and puts it in
/// the gate's read set. The shipped template and localhost reference hold them.
@Suite("sudoers lines for root collections", .serialized)
struct SudoersLineTests {
    static let user = "lunafleet"
    static let log = "/var/log/auth.log"

    /// Every root collection of the catalog (each form of the ones that vary) and
    /// the line its check prints for it.
    static func collections() -> [(check: any DriftCheck, argv: [String])] {
        let auth = CheckCatalog.named("auth")!
        return [
            (CheckCatalog.named("sshd")!, SSHDCheck.argv),
            (CheckCatalog.named("sudoers")!, SudoersCheck.argv),
            (auth, AuthFailuresCheck.journalArgv(after: nil)),
            (auth, AuthFailuresCheck.journalArgv(after: "cursor:s=0123abcd;i=1f2;b=9e;m=3;t=5f;x=aa")),
            (auth, AuthFailuresCheck.logArgv(file: log, from: .init(lines: 0))),
            (auth, AuthFailuresCheck.logArgv(file: log, from: .init(lines: 41))),
            (CheckCatalog.named("containers")!, ["/usr/bin/docker", "ps", "-a", "--format", "json"]),
            (CheckCatalog.named("containers")!, ["/usr/bin/podman", "ps", "-a", "--format", "json"]),
            (CheckCatalog.named("quorum")!, ["/usr/sbin/corosync-quorumtool", "-s"]),
            (CheckCatalog.named("qdevice")!, ["/usr/sbin/corosync-qdevice-tool", "-s"]),
        ]
    }

    /// Arguments sudoers needs escaped, as a check with a reference-given argument would have them.
    static let awkward = ["/usr/bin/stat", "-c", "%a|%U:%G|%n", "--", "/srv/a b,c=d\\e#f*g?[h]!^"]

    @Test func everyCheckThatNeedsRootSaysSoAndNamesItsProgramByAbsolutePath() {
        let root = Set(CheckCatalog.all.filter(\.needsRoot).map(\.name))
        #expect(root == ["sshd", "sudoers", "auth", "containers", "quorum", "qdevice"])
        for (check, argv) in Self.collections() {
            #expect(check.needsRoot && argv[0].hasPrefix("/"), "\(check.name): \(argv)")
        }
    }

    @Test func literalLinesEscapeWhatSudoersReadsAndRefuseWhatItCannotSay() {
        #expect(SudoersCommand.literal(["/usr/sbin/sshd", "-T"]) == "/usr/sbin/sshd -T")
        #expect(SudoersCommand.literal(["/usr/bin/id"]) == "/usr/bin/id \"\"", "a bare program allows no arguments, not any")
        #expect(SudoersCommand.literal(Self.awkward)
                == ##"/usr/bin/stat -c %a|%U\:%G|%n -- /srv/a\ b\,c\=d\\\\e\#f\*g\?\[h\]\!\^"##)
        #expect(SudoersCommand.literal(["/usr/bin/grep", ""]) == nil, "an empty argument cannot be told apart from none")
        #expect(SudoersCommand.literal(["grep", "x"]) == nil)
        #expect(SudoersCommand.literal(["/usr/bin/x", "a\nb"]) == nil)
        // A saved cursor from the host with anything but cursor characters is never passed on.
        #expect(AuthFailuresCheck.journalArgv(after: "cursor:s=1 --vacuum-size=1").last == "--since=-24h")
    }

    /// Records what it was asked to run and answers as sudo does when it asks for a password.
    final class PasswordSudo: Executor, @unchecked Sendable {
        let host = "h"
        var ran: [[String]] = []
        func run(_ argv: [String], timeout: Duration) throws(FleetError) -> CommandResult {
            ran.append(argv)
            return CommandResult(exitStatus: 1, stderr: Data("sudo: a password is required\n".utf8))
        }
    }

    @Test func aRefusedCollectionNeverRunsAndSudosOwnRefusalIsUnavailable() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("luna-el-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/sshd", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "pubkeyauthentication yes\n".write(toFile: dir + "/sshd/h", atomically: true, encoding: .utf8)
        let refs = References(directory: dir)
        let executor = PasswordSudo()
        let refused = try HostCollection.check([SSHDCheck()], host: "h", executor: executor, references: refs, timeout: .seconds(5),
                                               state: { _ in nil }, elevate: { _, _ in .refused("needs root — add X") }).results
        #expect(refused.map(\.status) == [.unavailable] && refused[0].detail == "needs root — add X")
        #expect(executor.ran.isEmpty, "a refused collection is not run at all")

        let wrapped = SudoExecutor.wrap(SSHDCheck.argv, sudoPath: "/usr/bin/sudo", runas: "root")
        let asked = try HostCollection.check([SSHDCheck()], host: "h", executor: executor, references: refs, timeout: .seconds(5),
                                             state: { _ in nil }, elevate: { _, _ in .sudo(wrapped) }).results
        #expect(executor.ran == [wrapped])
        #expect(asked.map(\.status) == [.unavailable], "\(asked)")
        #expect(asked[0].detail.hasSuffix("sudo refused it on the host: sudo: a password is required"), "\(asked[0].detail)")

        // The command's own exit 1 is the command's, and so is sudo's text when it ran the command.
        #expect(HostCollection.sudoRefusal(CommandResult(exitStatus: 1, stderr: Data("grep: x: No such file\n".utf8))) == nil)
        #expect(HostCollection.sudoRefusal(CommandResult(exitStatus: 0, stderr: Data("sudo: a password is required\n".utf8))) == nil)
        #expect(HostCollection.sudoRefusal(CommandResult(exitStatus: 1, stderr: Data(
            "Sorry, user luna is not allowed to execute '/usr/sbin/sshd -T' as root on h.\n".utf8))) != nil)
    }

    @Test(.enabled(if: SystemRequirements.available(tools: ["sudo", "visudo", "unshare", "mount", "useradd"], needsRoot: true)))
    func printedLinesParseAllowExactlyTheirCollectionAndAreInTheReadSet() throws {
        try SSHFarm.ensureUser(Self.user)
        var cases = Self.collections().map { ($0.argv, $0.check.sudoersCommand(for: $0.argv)) }
        cases.append((Self.awkward, SudoersCommand.literal(Self.awkward)))
        let lines = Array(Set(cases.compactMap(\.1))).sorted()
        #expect(cases.allSatisfy { $0.1 != nil })
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("luna-sl-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/sudoers.d", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let text = "Cmnd_Alias LUNA_READ = " + lines.joined(separator: ", \\\n    ") + "\n"
            + "\(Self.user) ALL = (root) NOPASSWD: LUNA_READ\n"
        try text.write(toFile: dir + "/sudoers.d/luna", atomically: true, encoding: .utf8)
        chmod(dir + "/sudoers.d/luna", 0o440)
        let visudo = try ProcessRunner.run(["visudo", "-cf", dir + "/sudoers.d/luna"])
        #expect(visudo.exitStatus == 0, "\(visudo.stdoutText)\(visudo.stderrText)\n\(text)")

        // Widened: one more argument, or a variable part that reaches into another argument.
        var widened = cases.map { $0.0 + ["--output=/etc/passwd"] }
        widened.append(AuthFailuresCheck.journalArgv(after: nil).dropLast() + ["--after-cursor=s=1 --vacuum-size=1"])
        widened.append(AuthFailuresCheck.logArgv(file: Self.log, from: .init(lines: 0)).dropLast() + ["/etc/shadow"])

        // The real sudo, reading this file as /etc/sudoers.d in a private mount namespace.
        func q(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        var script = "mount --bind \(q(dir + "/sudoers.d")) /etc/sudoers.d || exit 99\n"
        // sudo -l resolves the program: only those installed here are asked (the gate is asked for all).
        let installed = { (argv: [String]) in FileManager.default.isExecutableFile(atPath: argv[0]) }
        let asked = cases.map(\.0).filter(installed)
        let askedWidened = widened.filter(installed)
        for argv in asked + askedWidened {
            script += "sudo -n -l -U \(Self.user) -- \(argv.map(q).joined(separator: " ")) >/dev/null 2>&1; echo $?\n"
        }
        let run = try ProcessRunner.run(["/usr/bin/unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script])
        try #require(run.exitStatus == 0, "\(run.stderrText)")
        let answers = run.stdoutText.split(separator: "\n").map(String.init)
        try #require(answers.count == asked.count + askedWidened.count, "\(run.stdoutText)")
        #expect(asked.count >= 7, "sshd, grep, journalctl, sed and stat are on every test machine")
        for (i, argv) in asked.enumerated() {
            #expect(answers[i] == "0", "sudo does not allow \(argv) with the printed line")
        }
        for (i, argv) in askedWidened.enumerated() {
            #expect(answers[asked.count + i] == "1", "sudo allows the widened \(argv)")
        }

        // The gate reads the same file the same way, and calls each collection read-only.
        try FileManager.default.createDirectory(atPath: dir + "/refs", withIntermediateDirectories: true)
        try text.write(toFile: dir + "/refs/luna-h", atomically: true, encoding: .utf8)
        let gate = Gate(sudoersDirectory: dir + "/refs", hosts: ["h": HostPolicy()], user: Self.user)
        for argv in cases.map(\.0) {
            let verdict = gate.evaluate(host: "h", argv: argv, runas: "root")
            #expect(verdict.runsWithoutApproval, "\(argv): \(verdict)")
        }
        for argv in widened {
            #expect(!gate.evaluate(host: "h", argv: argv, runas: "root").runsWithoutApproval, "the gate allows the widened \(argv)")
        }
    }

    @Test(.enabled(if: SystemRequirements.available(tools: ["visudo"])))
    func theTemplateAndTheLocalhostReferenceHoldEveryRootCollection() throws {
        let configs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("configs/sudoers").path
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("luna-tpl-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let template = try String(contentsOfFile: configs + "/luna.template", encoding: .utf8)
        try template.replacingOccurrences(of: "@HOST@", with: "h").write(toFile: dir + "/luna-h", atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: configs + "/luna-localhost", toPath: dir + "/luna-localhost")
        for file in ["luna-h", "luna-localhost"] {
            let visudo = try ProcessRunner.run(["visudo", "-cf", dir + "/" + file])
            #expect(visudo.exitStatus == 0, "\(file): \(visudo.stdoutText)\(visudo.stderrText)")
        }
        let gate = Gate(sudoersDirectory: dir, hosts: ["h": HostPolicy(), "localhost": HostPolicy()], user: "luna")
        // The template reads either auth source (the journal, or rsyslog's /var/log/auth.log);
        // the localhost example only the journal it uses.
        for (check, argv) in Self.collections() {
            for host in ["h", "localhost"] where host == "h" || argv[0] != "/usr/bin/sed" {
                #expect(gate.evaluate(host: host, argv: argv, runas: "root").runsWithoutApproval, "\(host) \(check.name): \(argv)")
            }
        }
        // The regex lets the line number vary, never the file.
        var other = AuthFailuresCheck.logArgv(file: Self.log, from: .init(lines: 41))
        other[other.count - 1] = "/etc/shadow"
        #expect(!gate.evaluate(host: "h", argv: other, runas: "root").runsWithoutApproval, "only the auth log: \(other)")
        let sed = AuthFailuresCheck().sudoersCommand(for: AuthFailuresCheck.logArgv(file: Self.log, from: .init(lines: 0)))!
        #expect(template.contains("                       " + sed + "\n"))
        #expect(!template.contains("*,") && !template.contains("* "), "no argument wildcard in the template")
    }
}
