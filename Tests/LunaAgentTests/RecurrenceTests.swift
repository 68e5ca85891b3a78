import Foundation
import LunaAgent
import LunaConfig
import LunaDrift
import LunaMemory
import Testing
import TestSupport

/// The learning loop on the second occurrence: a finding that comes back is
/// planned again, a fix counts only when the finding's own check resolves it.
@Suite("recurrence", .serialized)
struct RecurrenceTests {
    /// One cycle as the daemon runs it, and the operator's approval of whatever awaits.
    static func cycleAndApprove(_ agent: Agent) throws -> [Proposal] {
        let report = try agent.cycle()
        for p in report.proposed where p.state == .awaitingApproval {
            try agent.ledger.decide(p.id, .approve, approver: "op", channel: "cli")
        }
        return report.proposed
    }

    @Test func anIdenticalRecurrenceIsPlannedFromTheSkillEveryTimeWithoutTheModel() throws {
        let me = try ModelEstate(fake: nil)
        defer { me.remove() }
        // The shipped restore-file-mode skill is approved; a model is configured, and must never be asked.
        try me.estate.ops.write("skills/restore-file-mode/SKILL.md", try Estate.shippedSkill("restore-file-mode"))
        try me.estate.ops.write("skills/restore-file-mode/luna.json", try Estate.shippedSkill("restore-file-mode", file: "luna.json"))
        try me.estate.ops.git("add", "-A")
        try me.estate.ops.git("commit", "-qm", "the shipped skill")
        let fake = try FakeLLM(.anthropic, steps: [])
        defer { fake.stop() }
        let agent = try Agent(config: me.configuration(fake), environment: AgentEnvironment(log: { _ in }))
        for round in 1...10 {
            // The drift (the very same content) comes back.
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: me.estate.target)
            let made = try Self.cycleAndApprove(agent)
            #expect(made.count == 1 && made.first?.skill == "restore-file-mode", "round \(round): \(made.map(\.argv))")
            _ = try agent.cycle()   // executes, re-checks, records
            #expect(try me.estate.mode() == 0o600, "round \(round)")
            let finding = try #require(try agent.ledger.findings(state: nil).first { $0.check == "files" })
            #expect(finding.state == "resolved", "the re-check resolved it at once (round \(round))")
            #expect(finding.occurrence == Int64(round))
        }
        #expect(fake.requests.isEmpty, "zero model requests for a recurrence a skill covers")
        let stats = try #require(try agent.skillRegistry.record("restore-file-mode"))
        #expect(stats.uses == 10 && stats.successes == 10, "\(stats)")
        #expect(try agent.ledger.proposals().allSatisfy { $0.outcome == .succeeded })
        // The stats are in git too (each outcome commit), so they survive the loss of the state directory.
        let committed = try me.estate.ops.git("show", "HEAD:skills/restore-file-mode/stats.json")
        #expect(committed.contains("\"uses\" : 10") && committed.contains("\"successes\" : 10"), "\(committed)")
        try FileManager.default.removeItem(atPath: me.estate.ops.state)
        let rebuilt = try Agent(config: me.configuration(fake), environment: AgentEnvironment(log: { _ in }))
        _ = try rebuilt.curation.reconcileMemory()
        let again = try #require(try rebuilt.skillRegistry.record("restore-file-mode"))
        #expect(again.uses == 10 && again.successes == 10 && again.hosts == ["localhost"], "\(again)")
    }

    @Test func aRecurrenceWithoutASkillAsksTheModelOncePerOccurrence() throws {
        let me = try ModelEstate(fake: nil)
        defer { me.remove() }
        let fake = try FakeLLM(.anthropic, steps: [.text("No idea."), .text("Still no idea.")])
        defer { fake.stop() }
        let agent = try Agent(config: me.configuration(fake), environment: AgentEnvironment(log: { _ in }))
        let first = try agent.cycle()
        #expect(first.unplanned.count == 1 && fake.requests.count == 1)
        _ = try agent.cycle()
        #expect(fake.requests.count == 1, "the same occurrence is not asked about twice")
        // Fixed by hand, then back: a new occurrence is planned (asked) again, and said.
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: me.estate.target)
        _ = try agent.cycle()
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: me.estate.target)
        let again = try agent.cycle()
        #expect(fake.requests.count == 2, "the recurrence is planned again")
        #expect(again.unplanned.count == 1, "and the operator is told there is no plan: \(again.unplanned)")
    }

    @Test func aFixTheCheckDoesNotConfirmFailsAndThreeSuspendTheSkill() throws {
        // A skill whose step does not fix the drift (touch keeps the mode) but whose own verification passes.
        let skill = """
            ---
            name: touch-it
            description: A fix that does not fix.
            check: files
            match: {"aspect": "mode"}
            argv: ["/usr/bin/touch", "{path}"]
            verify: ["/usr/bin/stat", "-c", "%04a", "{path}"]
            risk: mutating
            ---
            Test skill.
            """
        let estate = try Estate(sudoers: "luna ALL = (root) NOPASSWD: /usr/bin/touch @ROOT@/target/app.conf\n",
                                files: ["skills/touch-it/SKILL.md": skill])
        defer { estate.remove() }
        try estate.ops.git("rm", "-rq", "skills/restore-file-mode")
        try estate.ops.git("commit", "-qm", "only the bad skill")
        let agent = try Agent(config: estate.configuration(), environment: AgentEnvironment(log: { _ in }))
        for round in 1...3 {
            let made = try Self.cycleAndApprove(agent)
            #expect(made.map(\.skill) == ["touch-it"], "round \(round)")
            _ = try agent.cycle()
            let p = try #require(try agent.ledger.proposal(made[0].id))
            #expect(p.outcome == .failed, "verify exited 0, but the files check still reports the mode (round \(round))")
            let e = try #require(try agent.ledger.execution(p.id))
            #expect(e.verifyPassed == true && e.checkResolved == false)
            #expect(e.checkDetail?.contains("still reports it") == true, "\(e.checkDetail ?? "nil")")
            // The operator fixes it by hand; it comes back: a new occurrence.
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: estate.target)
            _ = try agent.cycle()
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: estate.target)
        }
        let r = try #require(try agent.skillRegistry.record("touch-it"))
        #expect(r.status == "suspended" && r.uses == 3 && r.successes == 0, "\(r)")
        let fourth = try agent.cycle()
        #expect(fourth.proposed.isEmpty, "a suspended skill plans nothing")
    }

    @Test func aSuccessWithoutAnExpectationIsDraftedWithWhatTheVerificationPrinted() throws {
        let estate = try Estate()
        defer { estate.remove() }
        try estate.ops.git("rm", "-rq", "skills/restore-file-mode")
        try estate.ops.git("commit", "-qm", "no skills")
        let agent = try Agent(config: estate.configuration(), environment: AgentEnvironment(log: { _ in }))
        _ = try agent.scanner.scan()
        let finding = try #require(try agent.ledger.findings().first)
        let made = try agent.gating.gateProposal(try agent.ledger.insert(Ledger.NewProposal(
            finding: finding, host: "localhost", identity: "luna", argv: ["/usr/bin/chmod", "0600", estate.target],
            verifyArgv: ["/usr/bin/stat", "-c", "%04a", estate.target], expect: nil, rationale: "by hand",
            source: "model", risk: "mutating")))
        try agent.ledger.decide(made.id, .approve, approver: "op", channel: "cli")
        _ = try agent.execution.executeApproved()
        _ = try agent.recorder.recordPending()
        let draft = try #require(try agent.skillRegistry.records(status: "pending").first)
        let skill = try Skill.parse(try #require(draft.draft), file: "draft")
        #expect(skill.expect == "{expected}", "the observed 0600, templated: the draft checks the mode, not only an exit status")
        #expect(skill.match["path"] == estate.target, "drafted from one fix: that path only")
    }

    @Test func aVerificationThatPrintsASecretIsNotTakenAsTheDraftsExpectation() throws {
        let estate = try Estate(readOnly: ["/usr/bin/cat @ROOT@/target/token"])
        defer { estate.remove() }
        try estate.ops.git("rm", "-rq", "skills/restore-file-mode")
        try estate.ops.git("commit", "-qm", "no skills")
        let secret = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"
        try "GITHUB_TOKEN=\(secret)\n".write(toFile: estate.ops.root + "/target/token", atomically: true, encoding: .utf8)
        let agent = try Agent(config: estate.configuration(), environment: AgentEnvironment(log: { _ in }))
        _ = try agent.scanner.scan()
        let finding = try #require(try agent.ledger.findings().first)
        let made = try agent.gating.gateProposal(try agent.ledger.insert(Ledger.NewProposal(
            finding: finding, host: "localhost", identity: "luna", argv: ["/usr/bin/chmod", "0600", estate.target],
            verifyArgv: ["/usr/bin/cat", estate.ops.root + "/target/token"], expect: nil, rationale: "by hand",
            source: "model", risk: "mutating")))
        #expect(made.state == .awaitingApproval, "\(made.gateReasons)")
        try agent.ledger.decide(made.id, .approve, approver: "op", channel: "cli")
        _ = try agent.execution.executeApproved()
        _ = try agent.recorder.recordPending()
        let draft = try #require(try agent.skillRegistry.records(status: "pending").first?.draft)
        #expect(!draft.contains(secret), "host output with a secret never becomes part of a skill")
        let skill = try Skill.parse(draft, file: "draft")
        #expect(skill.expect == nil, "the draft checks the exit status (and the files check) only")
    }
}
