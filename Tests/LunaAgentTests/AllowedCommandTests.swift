import Foundation
import Testing
import LunaFleet
import TestSupport

/// `luna allowed` (in process; a relative `--sudoers` through the binary, from its own working
/// directory): sudo's verdict sets the exit status,
/// the gate's view is shown beside it.
@Suite("luna allowed", .serialized)
struct AllowedCommandTests {
    @Test func hostModeUsesTheInventoryReference() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let yes = try estate.luna("allowed", "--host", "localhost", "--", "/usr/bin/chmod", "0600", estate.target)
        #expect(yes.status == 0, "\(yes.err)")
        #expect(yes.out.contains("ALLOWED"))
        #expect(yes.out.contains("luna-localhost:4"))
        let no = try estate.luna("allowed", "--host", "localhost", "--", "/usr/bin/chmod", "0777", estate.target)
        #expect(no.status == 1)
        #expect(no.out.contains("DENIED"))
        let shell = try estate.luna("allowed", "--host", "localhost", "--json", "--", "/bin/sh", "-c", "id")
        #expect(shell.status == 1)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(shell.out.utf8)) as? [String: Any])
        let gate = try #require(json["gate"] as? [String: Any])
        #expect(gate["outcome"] as? String == "refused")
        #expect((gate["reasons"] as? [String])?.first?.contains("shell") == true || (gate["reasons"] as? [String])?.first?.contains("sh ") == true)
        let unknown = try estate.luna("allowed", "--host", "nowhere", "--", "/usr/bin/true")
        #expect(unknown.status == 2)
        #expect(unknown.err.contains("not in the inventory"))
        let list = try estate.luna("allowed", "--list", "--host", "localhost")
        #expect(list.status == 0)
        #expect(list.out.contains("/usr/bin/chmod 0600 \(estate.target)"))
        #expect(list.out.split(separator: "\n").count < 25, "one screen")
    }

    @Test func fileModeWithUserGroupsRunasAndSyntaxErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("luna-allowed-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let good = dir + "/ref"
        try """
            %ops ALL = (www-data) NOPASSWD: /usr/bin/systemctl reload nginx
            luna ALL = (root) /usr/bin/cat /var/log/messages*
            """.write(toFile: good, atomically: true, encoding: .utf8)
        func run(_ args: String...) throws -> (Int32, String, String) {
            let r = LunaCLITestRunner.run(Array(args))
            return (r.status, r.out, r.err)
        }
        // The manual's pitfall: the wildcard also matches a second file argument.
        #expect(try run("allowed", "--sudoers", good, "--", "/usr/bin/cat", "/var/log/messages", "/etc/shadow").0 == 0)
        #expect(try run("allowed", "--sudoers", good, "--runas", "www-data", "--", "/usr/bin/systemctl", "reload", "nginx").0 == 1)
        #expect(try run("allowed", "--sudoers", good, "--groups", "ops", "--runas", "www-data", "--", "/usr/bin/systemctl", "reload", "nginx").0 == 0)
        #expect(try run("allowed", "--sudoers", good, "--user", "bob", "--", "/usr/bin/cat", "/var/log/messages").0 == 1)
        let bad = dir + "/bad"
        try "luna ALL = (root /usr/bin/true\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let syntax = try run("allowed", "--sudoers", bad, "--", "/usr/bin/true")
        #expect(syntax.0 == 2)
        #expect(syntax.2.contains("\(bad):1:"), "\(syntax.2)")
        let noCommand = try run("allowed", "--sudoers", good)
        #expect(noCommand.0 == 2)
    }

    @Test("a bare relative --sudoers file works, --uid matches #uid rules, and fail-closed denials say why")
    func relativeFileUidAndReasons() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("luna-allowed-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try """
            #4242 ALL = (root) /usr/bin/id
            luna ALL = NOTAFTER=20170301083000Z /usr/bin/ls
            luna ALL = CWD=/tmp /usr/bin/cat
            """.write(toFile: dir + "/s", atomically: true, encoding: .utf8)
        func run(_ args: String) throws -> CommandResult {
            try ProcessRunner.run(["/bin/sh", "-c", "cd '\(dir)' && exec '\(LunaBinary.path)' allowed --sudoers s " + args])
        }
        let relative = try run("-- /usr/bin/id")
        #expect(relative.exitStatus == 1, "a bare file name is read, not a trap: \(relative.stderrText)")
        #expect(relative.stdoutText.contains("DENIED"))
        let uid = try run("--uid 4242 -- /usr/bin/id")
        #expect(uid.exitStatus == 0, "\(uid.stdoutText)\(uid.stderrText)")
        let badUid = try run("--uid x -- /usr/bin/id")
        #expect(badUid.exitStatus == 2)
        #expect(try run("--uid 4242 -- /usr/bin/ls").exitStatus == 1, "the rule expired in 2017")
        let cwd = try run("-- /usr/bin/cat")
        #expect(cwd.exitStatus == 1)
        #expect(cwd.stdoutText.contains("CWD=/tmp") && cwd.stdoutText.contains("fails closed"), "\(cwd.stdoutText)")
    }
}
