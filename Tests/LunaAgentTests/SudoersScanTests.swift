import Foundation
import LunaAgent
import LunaConfig
import LunaDrift
import Testing
import TestSupport

/// The sudoers drift check compares for the configured identity and its groups on the host.
@Suite("sudoers drift uses the host's groups", .serialized)
struct SudoersScanTests {
    static var debianSudoers: Bool {
        ((try? String(contentsOfFile: "/etc/sudoers", encoding: .utf8)) ?? "").contains("%sudo")
    }

    func scan(groups: [String]) throws -> CheckResult {
        let ops = try TemporaryOpsRepo(files: ["configs/sudoers/luna-localhost": "# luna may do nothing here\n"], config: """
            [luna]
            ops_repo = "@ROOT@/repo"
            state_dir = "@ROOT@/state"
            # The test runs as root: the check reads the files itself (with "sudo" it
            # would need its line in the reference's LUNA_READ, PrivilegedCollectionTests).
            execution = "direct"
            [[hosts]]
            name = "localhost"
            groups = [\(groups.map { "\"\($0)\"" }.joined(separator: ", "))]
            checks = ["sudoers"]
            """)
        defer { ops.remove() }
        let config = try LunaConfiguration.load(path: ops.config, knownChecks: CheckCatalog.names)
        let agent = try Agent(config: config, environment: AgentEnvironment(log: { _ in }))
        return try #require(try agent.scanner.scan().results.first { $0.check == "sudoers" })
    }

    @Test(.enabled(if: SystemRequirements.available(tools: ["sudo"], needsRoot: true) && debianSudoers))
    func aGroupRuleCountsOnlyForAMemberOfThatGroup() throws {
        // Debian's /etc/sudoers gives %sudo everything: nothing for luna alone,
        // everything for luna in the sudo group — which the reference does not allow.
        let alone = try scan(groups: [])
        #expect(alone.status == .ok, "\(alone.detail)")
        let member = try scan(groups: ["sudo"])
        #expect(member.status == .drift, "\(member.detail)")
    }
}
