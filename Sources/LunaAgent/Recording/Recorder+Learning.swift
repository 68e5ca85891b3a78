import Foundation
import LunaMemory
import LunaModel
import LunaStore

extension Recorder {
    /// The memory index over the ops repo's `memory/` folder.
    public var memory: MemoryStore { ledger.memory(directory: repo.path + "/memory") }

    /// The skills' lifecycle state.
    public var registry: SkillRegistry { ledger.skills }

    /// The skill's `stats.json` after this outcome, for the outcome commit; nil when the proposal used no skill
    /// (or its use was counted already).
    ///
    /// Written in the same commit as the outcome, so the counts, the failure
    /// streak and a suspension survive the loss of the state directory.
    func skillState(_ p: Proposal, execution: ExecutionRecord?, at: String) throws -> (path: String, state: SkillStateFile)? {
        guard p.state == .succeeded || p.state == .failed, let skill = p.skill,
              let state = try registry.stateAfterUse(skill: skill, proposalID: p.id, succeeded: p.state == .succeeded,
                                                     verified: execution?.verifyPassed, host: p.host, at: at) else { return nil }
        return ("skills/\(skill)/\(SkillStateFile.fileName)", state)
    }

    /// What a finished proposal teaches: a use counted for its skill (which may
    /// suspend it), or, for a verified success no approved skill covers, a draft.
    ///
    /// Runs inside the recording transaction, so it happens once per outcome.
    /// `state` is what the outcome commit wrote as the skill's `stats.json`.
    func learn(_ p: Proposal, execution: ExecutionRecord?, finding: FindingRecord?, state: SkillStateFile? = nil, at: String) throws {
        guard p.state == .succeeded || p.state == .failed else { return }
        if let skill = p.skill {
            if let notice = try registry.recordUse(skill: skill, proposalID: p.id, succeeded: p.state == .succeeded,
                                                    verified: execution?.verifyPassed, host: p.host, state: state, at: at) {
                _ = notice   // shown by the cycle report through `takeNotices()`
            }
            return
        }
        guard let evidence = Self.evidence(p, execution: execution, finding: finding, redactor: repo.redactor()) else { return }
        let library = try registry.sync(directory: repo.path + "/skills", now: at)
        _ = try registry.distill(evidence, library: library, now: at)
    }

    /// What a finished proposal proves, or nil when it proves nothing.
    ///
    /// Only a success whose finding's own check no longer reported it is
    /// evidence (a proposal executed before that re-check existed counts when
    /// its verification ran and passed). The verification that was observed
    /// goes with it: the proposal's verify argv, and as `expect` what it
    /// printed when the proposal gave none, so a draft checks more than an exit status.
    /// The finding's summary is host data that ends up in the draft's prose (and, once
    /// approved, in a commit), so it is redacted like every other text leaving the host.
    static func evidence(_ p: Proposal, execution: ExecutionRecord?, finding: FindingRecord?, redactor: Redactor) -> SkillEvidence? {
        guard p.state == .succeeded || p.outcome == .succeeded, let finding, let execution else { return nil }
        let checked = execution.checkResolved ?? (execution.verifyPassed == true && p.verifyArgv != nil)
        guard checked, execution.verifyPassed != false else { return nil }
        var expect = p.expect
        if expect == nil, p.verifyArgv != nil, execution.verifyPassed == true, let printed = execution.verifyOutput,
           !printed.hasSuffix("[truncated]") {
            let trimmed = printed.trimmingCharacters(in: .whitespacesAndNewlines)
            // Host output that becomes part of a skill (and, once approved, a commit): one short
            // line, and never a value the redactor would hide — then the draft checks the exit status only.
            if !trimmed.isEmpty, trimmed.count <= 200, !trimmed.contains("\n"), redactor.redact(trimmed) == trimmed { expect = trimmed }
        }
        return SkillEvidence(proposalID: p.id, host: p.host, check: finding.check, params: finding.params, subject: finding.subject,
                             summary: redactor.redact(finding.summary), argv: p.argv, verify: p.verifyArgv, expect: expect, risk: p.risk)
    }
}
