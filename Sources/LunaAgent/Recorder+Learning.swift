import Foundation
import LunaMemory
import LunaStore

extension Recorder {
    /// The memory index over the ops repo's `memory/` folder.
    public var memory: MemoryStore { MemoryStore(db: ledger.db, directory: repo.path + "/memory") }

    /// The skills' lifecycle state.
    public var registry: SkillRegistry { SkillRegistry(db: ledger.db) }

    /// What a finished proposal teaches: a use counted for its skill (which may
    /// suspend it), or, for a verified success no approved skill covers, a draft.
    ///
    /// Runs inside the recording transaction, so it happens once per outcome.
    func learn(_ p: Proposal, execution: ExecutionRecord?, finding: FindingRecord?) throws {
        guard p.state == .succeeded || p.state == .failed else { return }
        let now = Timestamp.string(Date())
        if let skill = p.skill {
            if let notice = try registry.recordUse(skill: skill, proposalID: p.id, succeeded: p.state == .succeeded,
                                                    verified: execution?.verifyPassed, at: now) {
                _ = notice   // shown by the cycle report through `takeNotices()`
            }
            return
        }
        // Only a success whose verification ran and passed is evidence.
        guard p.state == .succeeded, execution?.verifyPassed == true, p.verifyArgv != nil, let finding else { return }
        let library = SkillLibrary.load(directory: repo.path + "/skills")
        try registry.sync(library, now: now)
        let evidence = SkillEvidence(proposalID: p.id, host: p.host, check: finding.check, params: finding.params,
                                     summary: finding.summary, argv: p.argv, verify: p.verifyArgv, expect: p.expect, risk: p.risk)
        _ = try registry.distill(evidence, library: library, now: now)
    }
}
