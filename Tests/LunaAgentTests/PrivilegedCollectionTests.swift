import Foundation
@testable import LunaDrift
import LunaAgent
import LunaConfig
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Checks that need root, on a stock host over real sshd with the real sudo:
/// they run through `sudo -n -u root --` when the host's declared read set holds
/// their exact collection, say which sudoers line is missing when it does not
/// (and that line fixes it), and a sudo that asks for a password is
/// `unavailable`, never `ok`. The other checks run as the login user.
@Suite("Privileged collection through the read set", .serialized,
       .enabled(if: SSHFarm.available, "needs root, sshd, sudo, visudo and mount namespaces (unshare --mount)"))
struct PrivilegedCollectionTests {
    /// One stock farm host `h`, an ops repo naming it, and a root-only auth log with two failed sudo attempts.
    final class World {
        let farm: SSHFarm
        let host: SSHFarmHost
        let ops: TemporaryOpsRepo
        let authLog: String
        let privateFile: String

        init() throws {
            farm = try SSHFarm()
            authLog = farm.directory + "/h-auth.log"
            privateFile = farm.directory + "/private/inner"
            do {
                host = try farm.start(name: "h", address: "127.0.0.7")
                try farm.knownHosts("known_hosts", [(host, nil)])
                let log = """
                    Dec  1 10:00:00 h sshd[10]: Server listening on 127.0.0.7
                    Dec  1 10:00:01 h sudo:   bob : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/sh
                    Dec  1 10:00:02 h sudo:   eve : user NOT in sudoers ; TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/id

                    """
                FileManager.default.createFile(atPath: authLog, contents: Data(log.utf8), attributes: [.posixPermissions: 0o600])
                try FileManager.default.createDirectory(atPath: farm.directory + "/private", withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
                FileManager.default.createFile(atPath: privateFile, contents: Data(), attributes: [.posixPermissions: 0o600])
                ops = try TemporaryOpsRepo(files: [
                    "configs/sshd/h": "listenaddress \(host.address):\(host.port)\npubkeyauthentication yes\n",
                    "configs/auth/h": "sudo 0\nssh 10\nsource \(authLog)\n",
                    "configs/files/h": "\(privateFile) 0600 root:root\n",
                    "configs/sudoers/luna-h": "# placeholder\n",
                ], config: """
                    [luna]
                    ops_repo = "@ROOT@/repo"
                    state_dir = "@ROOT@/state"
                    identity = "\(farm.user)"
                    execution = "sudo"
                    command_timeout_seconds = 60

                    [ssh]
                    identity_file = "\(farm.clientKey)"
                    known_hosts = "\(farm.directory)/known_hosts"
                    connect_timeout_seconds = 5
                    control_dir = "\(farm.directory)/c"

                    [[hosts]]
                    name = "h"
                    transport = "ssh"
                    address = "\(host.address)"
                    port = \(host.port)
                    user = "\(farm.user)"
                    checks = ["sshd", "sudoers", "auth", "files"]
                    """)
            } catch {
                farm.shutdown()
                throw error
            }
        }

        /// The sudoers text for the login user with `read` as its LUNA_READ.
        func sudoers(_ read: [String], tags: String = "NOPASSWD: ") -> String {
            "Cmnd_Alias LUNA_READ = " + read.joined(separator: ", \\\n    ") + "\n\(farm.user) ALL = (root) \(tags)LUNA_READ\n"
        }

        /// Writes the reference into the ops repo and, when `deployed` is given, installs that on the host (after visudo).
        func setSudoers(reference: String, deployed: String?) throws {
            try ops.write("configs/sudoers/luna-h", reference)
            try host.installSudoers(deployed)
        }

        func scan() throws -> ScanReport {
            let config = try LunaConfiguration.load(path: ops.config, knownChecks: CheckCatalog.names)
            return try Agent(config: config, environment: AgentEnvironment(log: { _ in })).scanner.scan()
        }

        func remove() {
            farm.shutdown()
            ops.remove()
        }
    }

    static let sshdLine = "/usr/sbin/sshd -T"
    static let sudoersLine = SudoersCheck().sudoersCommand(for: SudoersCheck.argv)!
    static func authLine(_ log: String) -> String {
        AuthFailuresCheck().sudoersCommand(for: AuthFailuresCheck.logArgv(file: log, from: .init(lines: 0)))!
    }

    static func result(_ report: ScanReport, _ check: String) throws -> CheckResult {
        try #require(report.results.first { $0.check == check }, "\(report.text)")
    }

    @Test("sshd, sudoers and auth run through sudo when the read set holds them; files runs as the login user")
    func rootChecksRunThroughSudo() throws {
        let world = try World()
        defer { world.remove() }
        let text = world.sudoers([Self.sshdLine, Self.sudoersLine, Self.authLine(world.authLog)])
        try world.setSudoers(reference: text, deployed: text)

        let report = try world.scan()
        // sshd -T as root, in the host's namespace: its own ListenAddress, from its own drop-in.
        let sshd = try Self.result(report, "sshd")
        #expect(sshd.status == .ok, "\(sshd.detail)")
        let sudoers = try Self.result(report, "sudoers")
        #expect(sudoers.status == .ok, "\(sudoers.detail)")
        let auth = try Self.result(report, "auth")
        #expect(auth.status == .drift && auth.items.map(\.subject) == ["failed sudo"], "\(auth.detail)")
        // Not elevated: the login user cannot look into a root-only folder.
        let files = try Self.result(report, "files")
        #expect(files.status == .drift && files.items.map(\.subject) == ["\(world.privateFile) missing"], "\(files.detail)")

        // The host's sshd -T is the host's: a drop-in there changes what the check sees.
        try world.host.sshdDropIn("05-keys", "PubkeyAuthentication no\n")
        let changed = try Self.result(try world.scan(), "sshd")
        #expect(changed.items.map(\.subject) == ["pubkeyauthentication"], "\(changed.detail)")
    }

    @Test("a check whose collection is not in the read set names the exact line, and that line makes it run")
    func theMissingLineIsNamedAndFixesIt() throws {
        let world = try World()
        defer { world.remove() }
        let partial = world.sudoers([Self.sudoersLine])
        try world.setSudoers(reference: partial, deployed: partial)

        let report = try world.scan()
        #expect(try Self.result(report, "sudoers").status == .ok)
        var lines: [String] = []
        for check in ["sshd", "auth"] {
            let result = try Self.result(report, check)
            #expect(result.status == .unavailable, "\(check): \(result.detail)")
            let detail = result.detail
            let prefix = "needs root — add \""
            let suffix = "\" to LUNA_READ in configs/sudoers/luna-h"
            let start = try #require(detail.range(of: prefix), "\(detail)")
            let end = try #require(detail.range(of: suffix, range: start.upperBound..<detail.endIndex), "\(detail)")
            lines.append(String(detail[start.upperBound..<end.lowerBound]))
        }
        #expect(lines == [Self.sshdLine, Self.authLine(world.authLog)])

        // Pasted into the alias (and installed on the host after visudo), each line makes its check run.
        let fixed = world.sudoers([Self.sudoersLine] + lines)
        try world.setSudoers(reference: fixed, deployed: fixed)
        let after = try world.scan()
        #expect(try Self.result(after, "sshd").status == .ok, "\(after.text)")
        #expect(try Self.result(after, "auth").status == .drift, "\(after.text)")
    }

    @Test("a sudo that asks for a password is unavailable with sudo's words, never ok, and resolves nothing")
    func aPasswordPromptIsUnavailable() throws {
        let world = try World()
        defer { world.remove() }
        let reference = world.sudoers([Self.sshdLine, Self.sudoersLine, Self.authLine(world.authLog)])
        try world.setSudoers(reference: reference, deployed: reference)
        let first = try world.scan()
        #expect(try Self.result(first, "auth").items.map(\.subject) == ["failed sudo"], "\(first.text)")

        // The host's sudoers lost NOPASSWD: the gate (reading the reference) would allow it, sudo -n does not.
        try world.host.installSudoers(world.sudoers([Self.sshdLine, Self.sudoersLine, Self.authLine(world.authLog)], tags: ""))
        let second = try world.scan()
        for check in ["sshd", "sudoers", "auth"] {
            let result = try Self.result(second, check)
            #expect(result.status == .unavailable, "\(check): \(result.status) \(result.detail)")
            #expect(result.detail.contains("sudo: a password is required"), "\(check): \(result.detail)")
        }
        // No new failure was logged, so a collection taken as ok would have resolved it.
        #expect(!second.events.contains { if case .resolved = $0 { return true } else { return false } }, "\(second.text)")
        let config = try LunaConfiguration.load(path: world.ops.config, knownChecks: CheckCatalog.names)
        let open = try Agent(config: config, environment: AgentEnvironment(log: { _ in })).ledger.findings()
        #expect(open.contains { $0.check == "auth" && $0.subject == "failed sudo" })
    }
}
