/// The gate's answer for one proposed command.
public struct GateVerdict: Sendable, Codable, Equatable, CustomStringConvertible {
    /// What happens to the proposal.
    public enum Outcome: String, Sendable, Codable {
        /// May run as luna (after the operator's approval).
        case allowed
        /// Never runs; the reasons say why.
        case refused
        /// Destructive: becomes a runbook for the operator, never runs as luna.
        case escalate
    }

    /// The outcome.
    public var outcome: Outcome
    /// Sentences a person understands, most important first.
    public var reasons: [String]
    /// sudo's decision, when the reference could be consulted.
    public var sudo: SudoDecision?
    /// The action's classification.
    public var classification: Classification

    /// A readable multi-line verdict for `luna allowed`.
    public var description: String {
        var lines = ["\(outcome.rawValue.uppercased()) (\(classification.actionClass.rawValue))"]
        lines += reasons.map { "  - \($0)" }
        if let sudo { lines.append("  sudo: \(sudo)") }
        return lines.joined(separator: "\n")
    }
}
