import Foundation
import LunaText
import LunaConfig
import LunaDrift
import LunaFleet
import LunaMemory
import LunaPolicy
import LunaStore

/// Planning: each open finding without a proposal for its occurrence goes to the
/// planners in turn — a reviewed skill first, the model when no skill fits — and
/// what they propose passes the gate.
public struct PlanningService: AgentService {
    public let context: AgentContext

    /// The planners, in the order they are asked: approved, non-suspended,
    /// non-retired skills (Curation/CurationService.swift), then the model.
    ///
    /// - Parameter sleep: How the model client waits between retries (injectable for tests).
    public func planners(sleep: (@Sendable (Duration) -> Void)? = nil) throws -> [any Planner] {
        [SkillPlanner(skills: try CurationService(context: context).usableSkills(), identity: config.identity,
                      gating: ProposalGate(context: context)),
         ModelPlanner(context: context, sleep: sleep)]
    }

    /// Asks the planners in turn until one plans; the last one's answer stands.
    func plan(_ finding: FindingRecord, with planners: [any Planner], force: Bool) throws -> PlanResult {
        var declined: [String] = []
        for planner in planners {
            switch try planner.plan(finding, declined: declined, force: force) {
            case .planned(let result): return result
            case .declined(let why): declined.append(why)
            }
        }
        var result = PlanResult()
        result.unplannedReason = declined.joined(separator: "; ")
        return result
    }

    /// Plans every open finding that has no proposal for its occurrence yet.
    ///
    /// - Returns: The proposals made, and the findings left without a plan with the reason.
    public func plan() throws -> (proposals: [Proposal], unplanned: [(FindingRecord, String)]) {
        let planners = try self.planners()
        let waived = ScanService(context: context).currentWaivers().active(at: environment.now())
        var made: [Proposal] = []
        var unplanned: [(FindingRecord, String)] = []
        // A waived finding is accepted as it is: never planned while the waiver holds.
        for finding in try ledger.findingsNeedingPlan() where waived[finding.key] == nil {
            let result: PlanResult
            do {
                result = try plan(finding, with: planners, force: false)
            } catch let error as AgentError where error.kind == .conflict {
                continue   // planned meanwhile by another process (`luna plan`); that proposal stands
            }
            made += result.proposals
            if let why = result.unplannedReason { unplanned.append((finding, why)) }
        }
        return (made, unplanned)
    }

    /// Plans one finding now (`luna plan`): an approved skill first, otherwise the model,
    /// even when the model already planned this finding's content.
    ///
    /// - Parameter findingID: An open finding without an active proposal.
    /// - Returns: What came of it.
    /// - Throws: `AgentError` — `.notFound`, `.conflict` (resolved, or a proposal is already active).
    public func planFinding(_ findingID: Int64, sleep: (@Sendable (Duration) -> Void)? = nil) throws -> PlanResult {
        guard let finding = try ledger.finding(findingID) else { throw AgentError(.notFound, "no finding \(findingID)") }
        guard finding.state == "open" else { throw AgentError(.conflict, "finding \(findingID) is \(finding.state), not open") }
        if let w = ScanService(context: context).currentWaivers().active(at: environment.now())[finding.key] {
            throw AgentError(.conflict, "finding \(findingID) is \(w.shown); remove the waiver first (luna unwaive \(w.key))")
        }
        if let active = try ledger.proposals().first(where: { $0.findingID == findingID && $0.state.isActive }) {
            throw AgentError(.conflict, "finding \(findingID) already has proposal \(active.id) (\(active.state.rawValue))")
        }
        return try plan(finding, with: try planners(sleep: sleep), force: true)
    }
}
