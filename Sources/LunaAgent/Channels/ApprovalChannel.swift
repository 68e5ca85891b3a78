import Foundation
import LunaHTTP
import LunaModel

/// A way the operator hears about proposals and decides on them.
///
/// A channel publishes each proposal awaiting approval, collects the operators'
/// decisions and hands each to its ``DecisionSink`` (the one path every channel
/// and the CLI decide through), announces every decision (whichever channel
/// made it) and every recorded outcome, tells notices once, and reports its
/// health. It never gets the Ledger: it reads proposals through a
/// ``ProposalView`` and keeps what it posted in its ``ChannelOutbox``.
///
/// The daemon drives every configured channel the same way and knows none by
/// name: after a scan `report(scan)` then `tick(force: true)`, between scans
/// `tick(force: false)`, after a poll that ran something `tick(force: true)`,
/// and each recorder notice `notice(text)`. None of them throws: an
/// unreachable channel never stops the scans. A channel's `tick` runs
/// ``exchange(_:)`` under its ``ChannelBackoff``.
public protocol ApprovalChannel: Sendable {
    /// The channel's name, as recorded with its decisions and health (`discord`).
    var name: String { get }
    /// Publishes a proposal awaiting approval; records it in the channel's outbox as a
    /// `.proposal` item (queued or posted), so it is published once.
    func publish(_ proposal: Proposal) throws
    /// Reads the operators' decisions and hands each to the channel's ``DecisionSink``.
    func collectDecisions() throws
    /// Announces a decision (made on this channel or another) on a proposal it published;
    /// records a `.decision` item.
    func announce(decision: ApprovalRecord, on proposal: Proposal) throws
    /// Announces a recorded outcome of a proposal it published; records an `.outcome` item.
    func announce(outcome proposal: Proposal, execution: ExecutionRecord?) throws
    /// Tells the operator something once (a blocked recorder, a repaired ops repo); never throws.
    func notice(_ text: String)
    /// Sends the daily digest (``Digest``); never throws.
    func digest(_ text: String)
    /// Tells what a scan changed (nothing when there is nothing to say); never throws.
    func report(_ scan: ScanReport?)
    /// Runs an exchange when due (`force`: now, unless backing off or halted); never throws.
    ///
    /// - Returns: Whether an exchange ran and succeeded.
    @discardableResult func tick(force: Bool) -> Bool
    /// The channel's recorded health, or nil when it was never contacted.
    func health() -> ChannelHealth?
}

extension ApprovalChannel {
    /// By default a digest is a notice.
    public func digest(_ text: String) { notice(text) }

    /// The round every channel makes, in this order: publish what awaits approval,
    /// collect decisions, announce the decisions and outcomes not yet announced here.
    ///
    /// - Parameter context: The channel's context (its outbox says what is due).
    public func exchange(_ context: ChannelContext) throws {
        for p in try context.outbox.proposalsToPublish() { try publish(p) }
        try collectDecisions()
        for p in try context.outbox.decisionsToAnnounce() {
            guard let a = try context.proposals.approval(p.id) else { continue }
            try announce(decision: a, on: p)
        }
        for p in try context.outbox.outcomesToAnnounce() {
            try announce(outcome: p, execution: try context.proposals.execution(p.id))
        }
    }
}

/// Where a channel's decisions go: `Ledger.decide` under the channel's name, and nothing else.
///
/// The one path for every channel and the CLI, so expiry, the digest binding
/// and "decided once" hold whichever way the operator answers.
public struct DecisionSink: Sendable {
    /// The channel recorded with each decision (`cli`, `discord`).
    public let channel: String
    private let ledger: Ledger

    /// The sink for `channel`.
    public init(ledger: Ledger, channel: String) {
        self.ledger = ledger
        self.channel = channel
    }

    /// Records an operator's decision.
    ///
    /// - Returns: The proposal after the decision.
    /// - Throws: `AgentError` `.expired` (it expired meanwhile; now `expired`),
    ///   `.conflict` (already decided or not awaiting), `.notFound`.
    @discardableResult
    public func decide(_ id: Int64, _ decision: Decision, approver: String, reason: String? = nil) throws -> Proposal {
        try ledger.decide(id, decision, approver: approver, channel: channel, reason: reason)
    }
}

/// What a channel may read about proposals; it changes none.
public struct ProposalView: Sendable {
    private let ledger: Ledger

    public init(ledger: Ledger) { self.ledger = ledger }

    /// The proposal `id`, if any.
    public func proposal(_ id: Int64) throws -> Proposal? { try ledger.proposal(id) }
    /// The proposals awaiting approval.
    public func awaiting() throws -> [Proposal] { try ledger.proposals(state: .awaitingApproval) }
    /// The decision on `id`, if any.
    public func approval(_ id: Int64) throws -> ApprovalRecord? { try ledger.approval(id) }
    /// What ran for `id`, if anything.
    public func execution(_ id: Int64) throws -> ExecutionRecord? { try ledger.execution(id) }
}

/// Everything a channel is given: its sink, its store, a read-only view of the
/// proposals, the clock, its log, the redactor, and where secrets are looked up.
public struct ChannelContext: Sendable {
    /// The channel's name.
    public let name: String
    public let sink: DecisionSink
    public let outbox: ChannelOutbox
    public let proposals: ProposalView
    /// The wall clock (the agent's environment's).
    public let now: @Sendable () -> Date
    /// The agent's log, each line prefixed with the channel's name.
    public let log: AgentLog
    /// What hides secrets in text that leaves the host (computed per use: `.env` may change).
    public let redactor: @Sendable () -> Redactor
    /// The process environment, for credentials (`CREDENTIALS_DIRECTORY`).
    public let environment: [String: String]
    /// The HTTP transport for the channel's client (the agent's environment's).
    public let http: @Sendable (_ maxResponseBytes: Int) -> HTTPClient

    /// The context of the channel `name` on the agent's ledger, clock and log.
    public init(agent: Agent, name: String, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.name = name
        sink = DecisionSink(ledger: agent.ledger, channel: name)
        outbox = ChannelOutbox(ledger: agent.ledger, channel: name)
        proposals = ProposalView(ledger: agent.ledger)
        now = agent.environment.now
        log = agent.environment.log.prefixed(name + ": ")
        redactor = { agent.redactor() }
        self.environment = environment
        http = agent.environment.http
    }
}
