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
    /// Whether the command is in the host's declared read set (nil when the
    /// reference was not consulted or did not allow the command).
    public var readSet: ReadSetVerdict?

    /// Creates a verdict.
    public init(outcome: Outcome, reasons: [String], sudo: SudoDecision?, classification: Classification,
                readSet: ReadSetVerdict? = nil) {
        self.outcome = outcome
        self.reasons = reasons
        self.sudo = sudo
        self.classification = classification
        self.readSet = readSet
    }

    /// Whether Luna may run the command without an approval: the gate allows
    /// it, the operator declared it read-only, and the classifier does not know
    /// it to change anything. `inspect`, verification and collection through
    /// sudo require this; everything else needs an approval.
    public var runsWithoutApproval: Bool { outcome == .allowed && readSet?.runsWithoutApproval == true }

    /// A readable multi-line verdict for `luna allowed`.
    public var description: String {
        var lines = ["\(outcome.rawValue.uppercased()) (\(classification.actionClass.rawValue))"]
        lines += reasons.map { "  - \($0)" }
        if let sudo { lines.append("  sudo: \(sudo)") }
        if let readSet { lines.append("  read set: \(readSet.reason)") }
        return lines.joined(separator: "\n")
    }
}

/// Whether a command belongs to the read set the operator declared in the host's reference.
public struct ReadSetVerdict: Sendable, Codable, Equatable {
    /// A rule whose command comes from a declared read-only alias allows it.
    public var declared: Bool
    /// Declared, and the classifier does not know it to be mutating or destructive.
    public var runsWithoutApproval: Bool
    /// Why, in a sentence (the deciding read-only rule, or what is missing).
    public var reason: String

    /// Creates a read-set verdict.
    public init(declared: Bool, runsWithoutApproval: Bool, reason: String) {
        self.declared = declared
        self.runsWithoutApproval = runsWithoutApproval
        self.reason = reason
    }
}
