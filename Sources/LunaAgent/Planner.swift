import Foundation
import LunaConfig
import LunaMemory

/// Turns open findings into proposals: from a reviewed skill where one fits.
///
/// The planner never chooses the identity or the runas user: those come from the
/// configuration. (The model planner arrives behind the same interface.)
public struct Planner: Sendable {
    public var skills: SkillLibrary
    public var identity: String

    public init(skills: SkillLibrary, identity: String) {
        self.skills = skills
        self.identity = identity
    }

    /// What planning one finding gave.
    public enum Plan: Sendable {
        case proposal(Ledger.NewProposal)
        /// No plan, with the reason shown to the operator.
        case none(String)
    }

    /// Plans one finding.
    public func plan(_ finding: FindingRecord) -> Plan {
        let fields = Skill.matchFields(params: finding.params, subject: finding.subject)
        guard let skill = skills.match(check: finding.check, params: fields) else {
            return .none("no skill covers \(finding.check) findings like this one")
        }
        guard let instance = skill.instantiate(params: fields) else {
            return .none("skill \(skill.name) needs parameters the finding does not have")
        }
        return .proposal(Ledger.NewProposal(
            finding: finding, host: finding.host, identity: identity, runas: "root",
            argv: instance.argv, verifyArgv: instance.verify, expect: instance.expect,
            rationale: "\(finding.summary). \(skill.description)",
            source: "skill", skill: skill.name, risk: skill.risk))
    }
}
