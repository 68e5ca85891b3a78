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

/// Who made a proposal: a reviewed skill, the model planner, the operator by hand,
/// or an interactive agent over MCP (`mcp:<client>`). Shown on cards and in commits.
public struct ProposalSource: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }

    public static let skill: ProposalSource = "skill"
    public static let model: ProposalSource = "model"
    public static let manual: ProposalSource = "manual"
    /// An MCP client, by the name it gave in `initialize`.
    public static func mcp(client: String) -> ProposalSource { ProposalSource(rawValue: "mcp:" + client) }

    /// Whether an agent other than Luna's own planners proposed it.
    public var isInteractiveAgent: Bool { rawValue.hasPrefix("mcp:") }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}
