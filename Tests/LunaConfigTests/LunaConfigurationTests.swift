import Foundation
import LunaConfig
import Testing

/// The typed configuration: relative paths, defaults and validation errors with file:line:column.
@Suite("Luna configuration")
struct LunaConfigurationTests {
    let checks = ["ports", "sshd", "files", "services", "sudoers", "auth", "suid", "cron", "handshake", "tls",
                  "disk", "memory", "containers", "backup", "quorum", "qdevice", "dns", "vpn", "gitlag"]

    func write(_ text: String) throws -> (dir: String, file: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("luna-cfg-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir + "/ops", withIntermediateDirectories: true)
        let file = dir + "/luna.toml"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return (dir, file)
    }

    @Test func theShippedExampleLoads() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let config = try LunaConfiguration.load(path: root.appendingPathComponent("configs/luna.example.toml").path, knownChecks: checks)
        #expect(config.opsRepo == root.standardizedFileURL.path)
        #expect(config.hosts.map(\.name) == ["localhost"])
        #expect(config.hosts[0].checks == checks)
        #expect(config.sudoersDirectory == root.standardizedFileURL.path + "/configs/sudoers")
    }

    @Test func relativePathsResolveAgainstTheFileAndDefaultsApply() throws {
        let (dir, file) = try write("[luna]\nops_repo = \"ops\"\nstate_dir = \"state\"\n[[hosts]]\nname = \"web1\"\n")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = try LunaConfiguration.load(path: file, knownChecks: checks)
        #expect(config.opsRepo == (dir + "/ops" as NSString).standardizingPath)
        #expect(config.stateDirectory == (dir + "/state" as NSString).standardizingPath)
        #expect(config.execution == .sudo)
        #expect(config.approvalTTLMinutes == 60)
        #expect(config.identity == "luna")
        let overridden = try LunaConfiguration.load(path: file, stateDirectory: "/var/tmp/x", knownChecks: checks)
        #expect(overridden.stateDirectory == "/var/tmp/x")
    }

    @Test(arguments: [
        ("[luna]\nops_repo = \"ops\"\n[[hosts]]\nname = \"../etc\"\n", "luna.toml:4:1:", "host name must be"),
        ("[luna]\nops_repo = \"ops\"\n[[hosts]]\nname = \"a\"\n[[hosts]]\nname = \"a\"\n", "luna.toml:6:1:", "listed twice"),
        ("[luna]\nops_repo = \"ops\"\n[[hosts]]\nname = \"a\"\nchecks = [\"port\"]\n", "luna.toml:5:1:", "unknown check 'port'"),
        ("[luna]\nops_repo = \"ops\"\nexecution = \"yolo\"\n[[hosts]]\nname = \"a\"\n", "luna.toml:3:1:", "execution must be"),
        ("[luna]\nops_repo = \"missing\"\n[[hosts]]\nname = \"a\"\n", "luna.toml:2:1:", "is not a directory"),
        ("[luna]\nops_repo = \"ops\"\n", "luna.toml", "inventory is empty"),
        ("[luna]\nops_repo = \"ops\"\nscan_interval = 5\n[[hosts]]\nname = \"a\"\n", "luna.toml:3:1:", "unknown key"),
        ("[luna]\nops_repo = \"ops\"\n[approvals]\nttl_minutes = 0\n[[hosts]]\nname = \"a\"\n", "luna.toml:4:1:", "ttl_minutes"),
        ("[luna]\nops_repo = \"ops\"\n[[hosts]]\nname = \"a\"\ntransport = \"telnet\"\n", "luna.toml:5:1:", "not supported"),
    ])
    func badValuesNameFileLineAndWhat(text: String, position: String, phrase: String) throws {
        let (dir, file) = try write(text)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            _ = try LunaConfiguration.load(path: file, knownChecks: checks)
            Issue.record("expected an error for:\n\(text)")
        } catch {
            #expect(error.description.contains(position), "\(error)")
            #expect(error.description.contains(phrase), "\(error)")
        }
    }
}
