import Foundation
import LunaConfig
import Testing

/// `transport = "ssh"` hosts, `[ssh]` and `[scan]`.
@Suite("Fleet settings")
struct FleetSettingsTests {
    let checks = ["ports", "sshd", "files", "services"]

    func load(_ text: String) throws -> LunaConfiguration {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("luna-fleet-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir + "/ops", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try text.write(toFile: dir + "/luna.toml", atomically: true, encoding: .utf8)
        return try LunaConfiguration.load(path: dir + "/luna.toml", knownChecks: checks)
    }

    static let base = "[luna]\nops_repo = \"ops\"\nstate_dir = \"/var/lib/luna\"\nidentity = \"luna\"\n"

    @Test("ssh hosts with defaults: port 22, user = identity, known_hosts in the ops repo, control dir under the state dir")
    func defaults() throws {
        let config = try load(Self.base + """
            [ssh]
            identity_file = "/etc/luna/id_ed25519"
            bastion_address = "10.0.0.1"

            [[hosts]]
            name = "web1"
            transport = "ssh"
            address = "10.0.0.5"
            """)
        let ssh = try #require(config.fleet.ssh)
        #expect(ssh.knownHostsFile.hasSuffix("/ops/configs/known_hosts"))
        #expect(ssh.controlDirectory == "/var/lib/luna/ssh")
        #expect(ssh.bastion == SSHHostSettings(address: "10.0.0.1", port: 22, user: "luna"))
        #expect(ssh.maxParallel == 8)
        #expect(ssh.connectTimeoutSeconds == 10)
        #expect(config.hosts[0].transport == .ssh)
        #expect(config.hosts[0].ssh == SSHHostSettings(address: "10.0.0.5", port: 22, user: "luna"))
        #expect(config.fleet.reminderHours == 24)
        #expect(config.fleet.dailyScan == nil)
    }

    @Test("[scan] reminder_hours and daily_scan")
    func scanSection() throws {
        let config = try load(Self.base + "[scan]\nreminder_hours = 4\ndaily_scan = \"06:30\"\n[[hosts]]\nname = \"h\"\n")
        #expect(config.fleet.reminderHours == 4)
        #expect(config.fleet.dailyScan == DailyTime("06:30"))
    }

    @Test("refusals name file:line:column", arguments: [
        ("[[hosts]]\nname = \"h\"\ntransport = \"ssh\"\naddress = \"10.0.0.5\"\n", "needs an [ssh] section"),
        ("[ssh]\nidentity_file = \"/k\"\n[[hosts]]\nname = \"h\"\ntransport = \"ssh\"\n", "needs address"),
        ("[ssh]\nidentity_file = \"/k\"\n[[hosts]]\nname = \"h\"\ntransport = \"ssh\"\naddress = \"-oProxyCommand=x\"\n", "plain IP address"),
        ("[[hosts]]\nname = \"h\"\naddress = \"10.0.0.5\"\n", "only applies to hosts with transport = \"ssh\""),
        ("[ssh]\nidentity_file = \"/k\"\nbastion_user = \"x\"\n[[hosts]]\nname = \"h\"\n", "needs bastion_address"),
        ("[ssh]\nidentity_file = \"/k\"\ncontrol_dir = \"/\(String(repeating: "d", count: 80))\"\n[[hosts]]\nname = \"h\"\n", "longer than 66 bytes"),
        ("[ssh]\nidentity_file = \"/k\"\nmax_parallel = 0\n[[hosts]]\nname = \"h\"\n", "max_parallel"),
        ("[ssh]\nidentity_file = \"/k\"\nbastion = \"x\"\n[[hosts]]\nname = \"h\"\n", "bastion"),
        ("[scan]\ndaily_scan = \"6am\"\n[[hosts]]\nname = \"h\"\n", "daily_scan must be a local time HH:MM"),
    ])
    func refusals(text: String, message: String) {
        #expect {
            _ = try load(Self.base + text)
        } throws: { error in
            let description = "\(error)"
            return description.contains(message) && description.contains("luna.toml:")
        }
    }
}
