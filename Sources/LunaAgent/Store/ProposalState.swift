/// A proposal's place in its life, as stored in SQLite.
///
/// `proposed → refused` (gate said no) · `proposed → awaiting_approval →
/// approved | denied | expired` · `approved → executing → succeeded | failed |
/// interrupted` · `approved → refused` (the gate or the approval no longer holds
/// when it is time to run) · `succeeded | failed → recorded`.
public enum ProposalState: String, Sendable, Codable, CaseIterable {
    case proposed
    case refused
    case awaitingApproval = "awaiting_approval"
    case approved
    case denied
    case expired
    case executing
    case succeeded
    case failed
    case interrupted
    case recorded

    /// The states this one may move to.
    public var successors: Set<ProposalState> {
        switch self {
        case .proposed: [.refused, .awaitingApproval]
        case .awaitingApproval: [.approved, .denied, .expired]
        case .approved: [.executing, .refused]
        case .executing: [.succeeded, .failed, .interrupted]
        case .succeeded, .failed: [.recorded]
        case .refused, .denied, .expired, .interrupted, .recorded: []
        }
    }

    /// Whether the proposal's story is over (it only waits to be committed, or was).
    public var isTerminal: Bool {
        switch self {
        case .refused, .denied, .expired, .interrupted, .succeeded, .failed, .recorded: true
        default: false
        }
    }

    /// Whether the proposal still occupies its finding (no new proposal is made for it).
    public var isActive: Bool {
        switch self {
        case .proposed, .awaitingApproval, .approved, .executing: true
        default: false
        }
    }
}
