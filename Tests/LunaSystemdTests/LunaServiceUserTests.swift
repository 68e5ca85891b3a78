import Foundation
import Testing
import TestSupport

/// The sysusers.d and tmpfiles.d files, applied for real by systemd-sysusers and
/// systemd-tmpfiles to a scratch root (`--root=`), create the user and the
/// directories the unit expects, owned by that user.
@Suite(.enabled(if: SystemRequirements.available(tools: ["systemd-sysusers", "systemd-tmpfiles"], needsRoot: true)))
struct LunaServiceUserTests {
    @Test func sysusersAndTmpfilesPrepareWhatTheUnitNeeds() throws {
        let root = try RepoFiles.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root.appendingPathComponent("etc"), withIntermediateDirectories: true)

        let sysusers = try ToolRun.run(
            "systemd-sysusers", ["--root=\(root.path)", "-"], input: RepoFiles.systemd("luna.sysusers.conf"))
        #expect(sysusers.status == 0, "systemd-sysusers: \(sysusers.stderr)")
        let tmpfiles = try ToolRun.run(
            "systemd-tmpfiles", ["--root=\(root.path)", "--create", "-"], input: RepoFiles.systemd("luna.tmpfiles.conf"))
        #expect(tmpfiles.status == 0, "systemd-tmpfiles: \(tmpfiles.stderr)")

        let passwd = try String(contentsOf: root.appendingPathComponent("etc/passwd"), encoding: .utf8)
        let entry = try #require(
            passwd.split(separator: "\n").map { $0.split(separator: ":", omittingEmptySubsequences: false) }
                .first { $0.first == "luna" },
            "no luna user in:\n\(passwd)")
        try #require(entry.count == 7)
        let uid = try #require(Int(entry[2]))
        #expect(uid > 0 && uid < 1000, "a system user")

        // HOME must be the unit's state directory: ProtectHome=yes hides /home.
        let unit = try UnitFile(contentsOf: RepoFiles.systemd("luna.service"))
        let stateDirectory = try #require(unit.values("StateDirectory").first)
        #expect(String(entry[5]) == "/var/lib/\(stateDirectory)")
        #expect(String(entry[6]) == "/usr/sbin/nologin")

        // Every writable path of the unit exists, belongs to luna and is private to it.
        for (path, mode) in [("/var/lib/luna", 0o700), ("/var/lib/luna/.ssh", 0o700), ("/srv/luna/ops", 0o750)] {
            let attributes = try FileManager.default.attributesOfItem(atPath: root.path + path)
            #expect((attributes[.ownerAccountID] as? NSNumber)?.intValue == uid, "\(path) owner")
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == mode, "\(path) mode")
        }
        // A path prefixed with "-" is optional (systemd skips it when missing): node_exporter's textfile directory.
        for path in unit.words("ReadWritePaths") where !path.hasPrefix("-") {
            #expect(FileManager.default.fileExists(atPath: root.path + path), "\(path) is created by tmpfiles")
        }
    }
}
