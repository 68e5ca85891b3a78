import Foundation
import LunaHTTP
import LunaConfig
import LunaDiscord

/// The Discord approval channel: posts proposals, reads the operators' decisions, replies with outcomes.
///
/// Outbound only: every exchange is a REST call Luna makes. Each ``sync()``
/// 1. queues an approval card for every proposal awaiting approval (``publish(_:)``),
/// 2. posts what is queued (each with its stored nonce, so a retry never posts
///    twice) and adds ✅ ❌ to the cards,
/// 3. reads the reactions on pending cards and the channel's new messages after
///    the stored cursor, keeps only signals from `operator_ids` (others are
///    logged once and ignored), and decides through its ``DecisionSink``
///    (channel `discord`) — the one path every channel uses,
/// 4. queues a reply naming who decided, and one with the outcome once it is committed,
/// 5. posts those and edits each decided card to show the proposal's status (so
///    an old card never looks open).
///
/// Everything it needs to resume lives in its ``ChannelOutbox`` (the outbox, the
/// cursor, the bot's user id), so a restart loses nothing; reactions are re-read
/// and a proposal can be decided only once, so nothing is approved twice. When
/// Discord fails, ``tick(force:)`` backs off (``ChannelBackoff``) and records the
/// channel's health; nothing is ever approved by default.
public final class DiscordApprovals: ApprovalChannel {
    public let settings: DiscordSettings
    public let client: DiscordClient
    public let context: ChannelContext
    /// Seconds between polls when nothing awaits approval.
    public let idleSeconds: Int
    /// The channel name recorded with decisions and health.
    public static let channel = "discord"
    public static let approveEmoji = "✅"
    public static let denyEmoji = "❌"
    /// The longest rate-limit wait the client sleeps through inside the loop; a longer
    /// one defers the channel's next exchange instead (``ChannelFailure/wait(until:)``).
    public static let longestWait: Duration = .seconds(1)

    /// The backoff every exchange runs under.
    public let backoff: ChannelBackoff

    public var name: String { Self.channel }
    /// The channel's store.
    public var outbox: ChannelOutbox { context.outbox }

    /// Creates the channel.
    ///
    /// - Parameters:
    ///   - settings: The `[channels.discord]` settings.
    ///   - client: The REST client (its token is the bot's).
    ///   - context: The channel's sink, store, proposal view, clock and log.
    ///   - idleSeconds: Poll interval while nothing is pending; 60 s by default.
    public init(settings: DiscordSettings, client: DiscordClient, context: ChannelContext, idleSeconds: Int = 60) {
        self.settings = settings
        self.client = client
        self.context = context
        self.idleSeconds = max(idleSeconds, settings.pollSeconds)
        backoff = ChannelBackoff(base: Double(settings.pollSeconds))
    }

    /// The channel for `settings` (the registry's line).
    ///
    /// - Throws: `ConfigError` when the token cannot be read safely.
    @Sendable public static func make(settings: DiscordSettings, context: ChannelContext) throws -> DiscordApprovals {
        let token = try settings.token(environment: context.environment)
        return DiscordApprovals(settings: settings, client: DiscordClient(apiBase: settings.apiBase, token: token,
                                                                             http: context.http(4 << 20), maxWait: longestWait),
                                context: context)
    }

    /// The channel for the agent's configuration, or nil when it configures no Discord channel.
    ///
    /// - Parameter environment: Where the systemd credential directory is looked up.
    /// - Throws: `ConfigError` when the token cannot be read safely.
    public static func make(agent: Agent,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws -> DiscordApprovals? {
        guard let settings = agent.config.discord else { return nil }
        return try make(settings: settings, context: ChannelContext(agent: agent, name: channel, environment: environment))
    }

    var log: AgentLog { context.log }

    // MARK: The loop's hooks

    /// Syncs when due (every `poll_seconds` while anything is pending, `idleSeconds`
    /// otherwise); never throws. After a failure nothing is sent until the backoff
    /// (`poll_seconds × 2^failures`, at most 5 min) has passed, forced or not; a
    /// 401/403 halts the channel until restart; a rate limit longer than
    /// ``longestWait`` defers the next sync to its end.
    ///
    /// - Parameter force: Sync now rather than at the scheduled time (after a cycle
    ///   or an execution), unless backing off or halted.
    /// - Returns: Whether a sync ran and succeeded.
    @discardableResult
    public func tick(force: Bool = false) -> Bool {
        if client.haltedBy != nil { return false }
        let now = context.now()
        return backoff.attempt(at: now, force: force, outbox: outbox, log: log, classify: { Self.classify($0, now: now) }, pollIn: {
            let pending = (try? context.proposals.awaiting().isEmpty == false) ?? false
            return Double(pending ? settings.pollSeconds : idleSeconds)
        }) { try sync() }
    }

    /// What a failed sync means: a 401/403 halts, a long rate limit waits, anything else backs off.
    static func classify(_ error: any Error, now: Date) -> ChannelFailure {
        guard let error = error as? DiscordError else { return .retry }
        switch error.kind {
        case .unauthorized: return .halt
        case .rateLimited: return .wait(until: now.addingTimeInterval(error.retryAfter ?? 1))
        default: return .retry
        }
    }

    /// Queues one message with a scan's changes; nothing when nothing changed.
    public func report(_ scan: ScanReport?) {
        guard let scan, let text = DiscordMessages.drift(scan, at: context.now(), redactor: context.redactor()) else { return }
        do { try outbox.enqueue(.drift, proposalID: nil, content: text) } catch {
            log(.error, "could not queue the drift report: \(error)")
        }
    }

    public func notice(_ text: String) {
        do { try outbox.enqueue(.notice, proposalID: nil, content: DiscordMessages.notice(text, redactor: context.redactor())) } catch {
            log(.error, "cannot queue the notice: \(error)")
        }
    }

    public func digest(_ text: String) {
        do { try outbox.enqueue(.notice, proposalID: nil, content: DiscordMessages.digest(text, redactor: context.redactor())) } catch {
            log(.error, "cannot queue the digest: \(error)")
        }
    }

    public func health() -> ChannelHealth? { try? outbox.health() }

    /// The channel-messages cursor (the newest message id read), if any.
    public func cursor() throws -> String? { try outbox.value(Self.cursorKey) }

    static let cursorKey = "after"
    static let botUserKey = "bot_user_id"

    // MARK: One round

    /// One full round: queue cards, post, read decisions, decide, queue replies, post, update cards.
    ///
    /// - Throws: `DiscordError` when Discord fails (what was done so far is kept), or a store error.
    public func sync() throws {
        try exchange(context)
        try flush()
        try updateCards()
    }

    public func publish(_ proposal: Proposal) throws {
        try outbox.enqueue(.proposal, proposalID: proposal.id, content: DiscordMessages.proposal(proposal, redactor: context.redactor()))
    }

    /// Posts the cards queued so far, then reads the operators' decisions and decides them.
    public func collectDecisions() throws {
        try flush()
        try readDecisions()
    }

    public func announce(decision: ApprovalRecord, on proposal: Proposal) throws {
        try outbox.enqueue(.decision, proposalID: proposal.id, content: DiscordMessages.decision(proposal, decision))
    }

    public func announce(outcome proposal: Proposal, execution: ExecutionRecord?) throws {
        try outbox.enqueue(.outcome, proposalID: proposal.id,
                           content: DiscordMessages.outcome(proposal, execution, redactor: context.redactor()))
    }

    /// Edits decided cards: a status line on top, the how-to line replaced.
    func updateCards() throws {
        for (item, status) in try outbox.cardsToUpdate() {
            guard let id = item.externalID else { continue }
            try client.editMessage(channelID: settings.channelID, messageID: id, content: DiscordMessages.decidedCard(item.content, status: status))
            try outbox.markShown(item.id, status: status)
        }
    }

    /// Posts what is queued and adds the ✅ ❌ reactions to cards.
    func flush() throws {
        for item in try outbox.unsent() {
            var replyTo = item.replyTo
            if item.kind == .proposal {
                guard let pid = item.proposalID, try context.proposals.proposal(pid)?.state == .awaitingApproval else {
                    try outbox.drop(item.id) // decided or expired before it could be posted
                    continue
                }
            } else if replyTo == nil, let pid = item.proposalID {
                guard let parent = try outbox.item(.proposal, proposalID: pid)?.externalID else { continue }
                replyTo = parent
            }
            let message = try client.createMessage(channelID: settings.channelID, content: item.content, nonce: item.nonce, replyTo: replyTo)
            try outbox.markSent(item.id, externalID: message.id)
            if try outbox.value(Self.botUserKey) == nil { try outbox.setValue(Self.botUserKey, message.authorID) }
        }
        for item in try outbox.awaitingSetup() {
            guard let id = item.externalID else { continue }
            do {
                try client.addReaction(channelID: settings.channelID, messageID: id, emoji: Self.approveEmoji)
                try client.addReaction(channelID: settings.channelID, messageID: id, emoji: Self.denyEmoji)
            } catch {
                guard error.status == 404 else { throw error }
                try noteDeleted(id, proposal: item.proposalID)
            }
            try outbox.markSetupDone(item.id)
        }
    }

    /// A decision signal seen on Discord.
    struct Signal {
        var user: String
        var decision: Decision
        var reason: String?
        var source: String
        /// The reply's message, or the card a reaction is on.
        var messageID: String? = nil
    }

    /// Reads reactions and replies, and decides what the operators decided.
    func readDecisions() throws {
        let bot = try outbox.value(Self.botUserKey)
        var signals: [Int64: [Signal]] = [:]
        for (p, messageID) in try outbox.awaitingOnCards() {
            for (emoji, decision) in [(Self.approveEmoji, Decision.approve), (Self.denyEmoji, Decision.deny)] {
                let users: [String]
                do {
                    users = try client.reactionUsers(channelID: settings.channelID, messageID: messageID, emoji: emoji)
                } catch {
                    // Someone deleted the card: this proposal can still be decided with the CLI.
                    guard error.status == 404 else { throw error }
                    try noteDeleted(messageID, proposal: p.id)
                    break
                }
                for user in users where user != bot {
                    signals[p.id, default: []].append(Signal(user: user, decision: decision, reason: nil, source: "reaction", messageID: messageID))
                }
            }
        }
        var newest: String?
        if let start = try cursor() ?? firstCard() {
            for m in try client.messages(channelID: settings.channelID, after: start) {
                newest = m.id
                // Only a reply to a card counts, and only for that proposal.
                guard !m.authorIsBot, m.authorID != bot, let ref = m.referencedMessageID,
                      let pid = try outbox.proposal(forCard: ref), var s = Self.parseReply(m.content, user: m.authorID) else { continue }
                s.messageID = m.id
                // A decision on a card already decided changes nothing: say so on Discord, where it was made.
                if let p = try context.proposals.proposal(pid), p.state != .awaitingApproval {
                    try answer(m.id, DiscordMessages.alreadyDecided(p, try context.proposals.approval(pid)))
                    log(.info, "reply '\(s.decision == .approve ? "approve" : "deny")' from user \(s.user) on proposal \(pid), already \((p.outcome ?? p.state).rawValue): not counted")
                    continue
                }
                signals[pid, default: []].append(s)
            }
        }
        for pid in signals.keys.sorted() {
            try decide(pid, signals[pid]!)
        }
        // Stored only after the decisions are: a crash in between reads the same messages again.
        if let newest { try outbox.setValue(Self.cursorKey, newest) }
    }

    /// The oldest card Luna posted (where reading starts without a cursor): the smallest snowflake.
    func firstCard() throws -> String? {
        try outbox.postedCards().compactMap(\.externalID).min { (UInt64($0) ?? 0) < (UInt64($1) ?? 0) }
    }

    /// Logs once that a card is gone (a 404), instead of failing every sync.
    func noteDeleted(_ messageID: String, proposal: Int64?) throws {
        let key = "deleted." + messageID
        guard try outbox.value(key) == nil else { return }
        try outbox.setValue(key, Timestamp.string(context.now()))
        log(.warning, "the approval message \(messageID) for proposal \(proposal.map(String.init) ?? "?") was deleted on Discord; "
            + "decide it with `luna approve/deny \(proposal.map(String.init) ?? "ID")`")
    }

    /// Queues one answer to the message `messageID` (once, even when the message is read again after a crash).
    func answer(_ messageID: String, _ content: String, key: String? = nil) throws {
        let key = "answered." + (key ?? messageID)
        guard try outbox.value(key) == nil else { return }
        try outbox.enqueue(.notice, proposalID: nil, content: content, replyTo: messageID)
        try outbox.setValue(key, Timestamp.string(context.now()))
    }

    /// `approve`, or `deny [reason]`, as the whole reply (case-insensitive); anything else is chatter.
    static func parseReply(_ content: String, user: String) -> Signal? {
        let text = content.trimmingCharacters(in: .whitespacesAndNewlines)
        let lower = text.lowercased()
        if lower == "approve" { return Signal(user: user, decision: .approve, reason: nil, source: "reply") }
        if lower == "deny" { return Signal(user: user, decision: .deny, reason: nil, source: "reply") }
        if lower.hasPrefix("deny"), let next = lower.dropFirst(4).first, next.isWhitespace {
            let reason = String(text.dropFirst(4)).trimmingCharacters(in: .whitespacesAndNewlines)
            return Signal(user: user, decision: .deny, reason: String(reason.prefix(500)), source: "reply")
        }
        return nil
    }

    /// Applies the operators' signals on one proposal; others are logged once and ignored.
    func decide(_ pid: Int64, _ all: [Signal]) throws {
        var counted: [Signal] = []
        for s in all {
            let isOperator = settings.operatorIDs.contains(s.user)
            let emoji = s.decision == .approve ? Self.approveEmoji : Self.denyEmoji
            if try outbox.recordSignal(proposalID: pid, userID: s.user, signal: s.decision.rawValue, source: s.source, counted: isOperator),
               !isOperator {
                let what = s.source == "reaction" ? emoji : "reply '\(s.decision == .approve ? "approve" : "deny")'"
                let why = settings.operatorIDs.isEmpty ? "operator_ids is empty, so nobody may decide" : "not in operator_ids"
                log(.warning, "ignored \(what) on proposal \(pid) from user \(s.user): \(why)")
                // Said on Discord too, so a stranger's ✅ never makes a card look approved.
                if let message = s.messageID {
                    try answer(message, DiscordMessages.ignored(pid, user: s.user, what: what, noOperators: settings.operatorIDs.isEmpty),
                               key: "\(message).\(s.user).\(s.source).\(s.decision.rawValue)")
                }
            }
            if isOperator { counted.append(s) }
        }
        guard let first = counted.first else { return }
        let denies = counted.filter { $0.decision == .deny }
        let decision: Decision
        let approver: String
        var reason: String?
        if let deny = denies.first {
            decision = .deny
            approver = deny.user
            let stated = denies.compactMap(\.reason).first { !$0.isEmpty }
            if counted.contains(where: { $0.decision == .approve }) {
                reason = "conflicting signals on Discord (✅ and ❌): denied" + (stated.map { "; " + $0 } ?? "")
            } else {
                reason = stated ?? "denied with \(deny.source == "reaction" ? "❌" : "a reply") on Discord"
            }
        } else {
            decision = .approve
            approver = first.user
        }
        do {
            try context.sink.decide(pid, decision, approver: approver, reason: reason)
            log(.debug, "proposal \(pid) \(decision.rawValue) by \(approver)")
        } catch let error as AgentError where error.kind == .expired {
            log(.warning, "\(error)")
            try outbox.enqueue(.notice, proposalID: pid, content: DiscordMessages.expired(pid))
        } catch let error as AgentError where error.kind == .conflict {
            log(.info, "proposal \(pid) not decided again: \(error)")
        }
    }
}
