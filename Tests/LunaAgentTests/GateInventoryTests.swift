import Foundation
import LunaAgent
import LunaConfig
import LunaPolicy
import Testing

/// The inventory's host facts reach the gate, and the executor runs exactly the target the gate judged.
@Suite("gate inventory and executor target")
struct GateInventoryTests {
    func load(_ hostExtra: String) throws -> (String, LunaConfiguration) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("luna-gateinv-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir + "/ops/configs/sudoers", withIntermediateDirectories: true)
        let text = "[luna]\nops_repo = \"ops\"\nstate_dir = \"state\"\n[[hosts]]\nname = \"web1\"\ntransport = \"local\"\n" + hostExtra
        try text.write(toFile: dir + "/luna.toml", atomically: true, encoding: .utf8)
        return (dir, try LunaConfiguration.load(path: dir + "/luna.toml", knownChecks: ["files"]))
    }

    @Test("addresses, uid, accounts and shells of a host reach the gate's policy")
    func inventoryFacts() throws {
        let (dir, config) = try load("""
            addresses = ["192.0.2.10/24", "fd00::10/64"]
            uid = 1234
            accounts = ["nobody:65534:/usr/sbin/nologin", "postgres:105:/bin/bash"]
            login_shells = ["/bin/sh", "/bin/bash"]
            """)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let policy = try #require(Agent.makeGate(config).hosts["web1"])
        #expect(policy.addresses == ["192.0.2.10/24", "fd00::10/64"])
        #expect(policy.uid == 1234)
        #expect(policy.accounts == [SudoAccount(name: "nobody", uid: 65534, shell: "/usr/sbin/nologin"),
                                    SudoAccount(name: "postgres", uid: 105, shell: "/bin/bash")])
        #expect(policy.loginShells == ["/bin/sh", "/bin/bash"])

        // Unknown facts stay unknown (nil), so the gate fails closed on them.
        let (dir2, bare) = try load("")
        defer { try? FileManager.default.removeItem(atPath: dir2) }
        let unknown = try #require(Agent.makeGate(bare).hosts["web1"])
        #expect(unknown.addresses == nil && unknown.uid == nil && unknown.loginShells == nil && unknown.accounts.isEmpty)
    }

    @Test("bad inventory facts name the key", arguments: [
        ("addresses = [\"web1\"]", "addresses"), ("addresses = [\"10.0.0.1/40\"]", "addresses"),
        ("accounts = [\"nobody\"]", "accounts"), ("login_shells = [\"bash\"]", "login_shells"), ("uid = -1", "uid"),
    ])
    func badFacts(extra: String, key: String) throws {
        do {
            let (dir, _) = try load(extra + "\n")
            try? FileManager.default.removeItem(atPath: dir)
            Issue.record("expected an error for \(extra)")
        } catch {
            #expect("\(error)".contains(key), "\(error)")
        }
    }

    @Test("the executor always passes -u with the target the gate judged, root included")
    func explicitTarget() throws {
        let (dir, config) = try load("")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let agent = try Agent(config: config, environment: AgentEnvironment(log: { _ in }))
        #expect(agent.spawnArgv(["/usr/bin/id"], runas: "root") == [config.sudoPath, "-n", "-u", "root", "--", "/usr/bin/id"])
        #expect(agent.spawnArgv(["/usr/bin/id"], runas: "luna") == [config.sudoPath, "-n", "-u", "luna", "--", "/usr/bin/id"])
    }
}
