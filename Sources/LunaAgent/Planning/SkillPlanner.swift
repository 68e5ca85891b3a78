import Foundation
import LunaConfig
import LunaMemory

/// What planning one finding gave.
public struct PlanResult: Sendable {
    /// Proposals made (each already through the gate: awaiting approval or refused).
    public var proposals: [Proposal] = []
    /// Every refusal of model output, with its reason.
    public var refusals: [String] = []
    /// Runbooks committed under docs/runbooks/.
    public var runbooks: [String] = []
    /// Memory note candidates stored as pending.
    public var notes: [String] = []
    /// Read-only commands run for the model.
    public var inspections: Int = 0
    /// The model's own words (its last text), for the operator.
    public var text: String = ""
    /// Why the finding stays without a plan; nil when a proposal awaits approval.
    public var unplannedReason: String?

    public init() {}
}

/// A planner's answer for one finding.
public enum PlannerAnswer: Sendable {
    /// It planned (its proposals passed the gate, or were refused by it).
    case planned(PlanResult)
    /// It has no plan for this finding, and why; the next planner is asked.
    case declined(String)
}

/// Turns a finding into proposals. Planners are asked in turn (a reviewed skill,
/// then the model) until one plans; they never choose the identity or the runas
/// user (those come from the configuration) and propose only through the gate.
public protocol Planner: Sendable {
    /// - Parameters:
    ///   - finding: An open finding without an active proposal.
    ///   - declined: Why the planners asked before this one had no plan.
    ///   - force: Plan again even where this planner already answered for the finding's content (`luna plan`).
    func plan(_ finding: FindingRecord, declined: [String], force: Bool) throws -> PlannerAnswer
}

/// Plans from a reviewed skill where one fits: its template filled from the finding.
public struct SkillPlanner: Planner {
    public var skills: SkillLibrary
    public var identity: String
    public var gating: ProposalGate

    public init(skills: SkillLibrary, identity: String, gating: ProposalGate) {
        self.skills = skills
        self.identity = identity
        self.gating = gating
    }

    /// The proposal the best-matching skill makes for a finding, or why none does.
    public func proposal(for finding: FindingRecord) -> Result<Ledger.NewProposal, AgentError> {
        let fields = Skill.matchFields(params: finding.params, subject: finding.subject)
        guard let skill = skills.match(check: finding.check, params: fields) else {
            return .failure(AgentError(.notFound, "no skill covers \(finding.check) findings like this one"))
        }
        guard let instance = skill.instantiate(params: fields) else {
            return .failure(AgentError(.notFound, "skill \(skill.name) needs parameters the finding does not have"))
        }
        return .success(Ledger.NewProposal(
            finding: finding, host: finding.host, identity: identity, runas: "root",
            argv: instance.argv, verifyArgv: instance.verify, expect: instance.expect,
            rationale: "\(finding.summary). \(skill.description)",
            source: "skill", skill: skill.name, risk: skill.risk))
    }

    /// - Throws: `AgentError.conflict` when another process planned the finding meanwhile.
    public func plan(_ finding: FindingRecord, declined: [String], force: Bool) throws -> PlannerAnswer {
        switch proposal(for: finding) {
        case .failure(let why):
            return .declined(why.message)
        case .success(let new):
            var result = PlanResult()
            result.proposals = [try gating.propose(new)]
            if result.proposals[0].state != .awaitingApproval { result.unplannedReason = "the skill's proposal was refused by the gate" }
            return .planned(result)
        }
    }
}
