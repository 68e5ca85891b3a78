import Foundation
import Testing
import LunaAgent
import LunaConfig
import LunaDrift
@testable import LunaFleet
import TestSupport

/// Warm scans: the first `[ssh] warm_hosts` ssh hosts keep their master connection
/// (and the bastion its shared one) for longer than the scan interval, so the next
/// scan needs no handshake; the rest connect afresh, and an idle master closes itself.
@Suite("warm scans: ControlPersist sized to the scan interval")
struct WarmScanTests {
    static func config(warm: String?) throws -> (TemporaryOpsRepo, LunaConfiguration) {
        let toml = """
            [luna]
            ops_repo = "@ROOT@/repo"
            state_dir = "/tmp/lw-\(UUID().uuidString.prefix(6))"
            scan_interval_seconds = 300

            [git]
            author_name = "Luna Test"
            author_email = "luna@test.invalid"

            [ssh]
            identity_file = "@ROOT@/id"
            bastion_address = "127.0.0.10"
            \(warm.map { "warm_hosts = \($0)" } ?? "")

            [[hosts]]
            name = "a"
            transport = "ssh"
            address = "127.0.0.11"

            [[hosts]]
            name = "b"
            transport = "ssh"
            address = "127.0.0.12"

            [[hosts]]
            name = "c"
            transport = "ssh"
            address = "127.0.0.13"

            """
        let ops = try TemporaryOpsRepo(files: [:], config: toml)
        return (ops, try LunaConfiguration.load(path: ops.config, knownChecks: CheckCatalog.names))
    }

    static func persist(_ host: String, _ config: LunaConfiguration) throws -> (host: String?, bastion: String?) {
        let h = try #require(config.host(host))
        let argv = try AgentEnvironment.sshExecutor(h, config).sshArgv(remoteCommand: "'true'")
        let own = argv.first { $0.hasPrefix("ControlPersist=") }
        let proxy = argv.first { $0.hasPrefix("ProxyCommand=") } ?? ""
        let bastion = proxy.range(of: "'ControlPersist=[0-9]+'", options: .regularExpression).map { String(proxy[$0]) }
        return (own, bastion)
    }

    @Test func theFirstWarmHostsOutliveTheIntervalAndTheRestDoNot() throws {
        let (ops, config) = try Self.config(warm: "2")
        defer { ops.remove(); try? FileManager.default.removeItem(atPath: config.stateDirectory) }
        #expect(config.fleet.ssh?.warmHosts == 2)
        #expect(try Self.persist("a", config).host == "ControlPersist=360")
        #expect(try Self.persist("b", config).host == "ControlPersist=360")
        #expect(try Self.persist("c", config).host == "ControlPersist=60", "beyond warm_hosts: a cold connection each scan")
        // The bastion's shared master is opened by openBastion; its persistence is in the options.
        #expect(try AgentEnvironment.sshOptions(config)?.bastionPersist == .seconds(360))
    }

    @Test func noWarmHostsMeansEveryConnectionIsColdAndTheDefaultIsSizedForTheMachine() throws {
        let (ops, config) = try Self.config(warm: "0")
        defer { ops.remove(); try? FileManager.default.removeItem(atPath: config.stateDirectory) }
        for h in ["a", "b", "c"] { #expect(try Self.persist(h, config).host == "ControlPersist=60") }
        #expect(try AgentEnvironment.sshOptions(config)?.bastionPersist == .seconds(60))
        let (ops2, defaulted) = try Self.config(warm: nil)
        defer { ops2.remove(); try? FileManager.default.removeItem(atPath: defaulted.stateDirectory) }
        let n = try #require(defaulted.fleet.ssh?.warmHosts)
        #expect((8...256).contains(n) && n == SSHSettings.defaultWarmHosts)
        #expect(throws: ConfigError.self) { _ = try Self.config(warm: "-1") }
    }
}
