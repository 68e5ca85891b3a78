import Foundation
import LunaConfig
import LunaDiscord
import Synchronization

/// The Discord approval channel: posts proposals, reads the operator's decisions, replies with outcomes.
///
/// Outbound only: every exchange is a REST call Luna makes. Each ``sync()``
/// 1. queues an approval message for every proposal awaiting approval,
/// 2. posts what is queued (each with its stored nonce, so a retry never posts
///    twice) and adds ✅ ❌ to approval messages,
/// 3. reads the reactions on pending approval messages and the channel's new
///    messages after the stored cursor, keeps only signals from `operator_ids`
///    (others are logged once and ignored), and decides through
///    `Ledger.decide(…, channel: "discord")` — the one path every channel uses,
/// 4. queues a reply naming who decided, and one with the outcome once it is committed,
/// 5. edits each decided approval message to show the proposal's status (so an
///    old card never looks open).
///
/// Everything it needs to resume lives in the state database (the outbox, the
/// cursor), so a restart loses nothing; reactions are re-read and a proposal
/// can be decided only once, so nothing is approved twice. When Discord fails,
/// ``tick(force:)`` backs off and records the channel's health; nothing is ever
/// approved by default.
public final class DiscordApprovals: Sendable {
    public let agent: Agent
    public let settings: DiscordSettings
    public let client: DiscordClient
    /// Seconds between polls when nothing awaits approval.
    public let idleSeconds: Int
    /// The channel name recorded with decisions and health.
    public static let channel = "discord"
    public static let approveEmoji = "✅"
    public static let denyEmoji = "❌"

    struct State {
        /// When the next scheduled poll is due.
        var nextPoll: Date?
        /// No call before this after a failure, even when forced.
        var backoffUntil: Date?
        var failures = 0
    }

    let state = Mutex(State())

    /// Creates the channel.
    ///
    /// - Parameters:
    ///   - agent: The agent whose ledger it reads and decides through.
    ///   - settings: The `[discord]` settings.
    ///   - client: The REST client (its token is the bot's).
    ///   - idleSeconds: Poll interval while nothing is pending; 60 s by default.
    public init(agent: Agent, settings: DiscordSettings, client: DiscordClient, idleSeconds: Int = 60) {
        self.agent = agent
        self.settings = settings
        self.client = client
        self.idleSeconds = max(idleSeconds, settings.pollSeconds)
    }

    /// The channel for the agent's configuration, or nil when it has no `[discord]` section.
    ///
    /// - Parameter environment: Where the systemd credential directory is looked up.
    /// - Throws: `ConfigError` when the token cannot be read safely.
    public static func make(agent: Agent,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws -> DiscordApprovals? {
        guard let settings = agent.config.discord else { return nil }
        let token = try settings.token(environment: environment)
        return DiscordApprovals(agent: agent, settings: settings, client: DiscordClient(apiBase: settings.apiBase, token: token))
    }

    var ledger: Ledger { agent.ledger }
    func log(_ line: String) { agent.environment.log("discord: " + line) }

    // MARK: The loop's hook

    /// Syncs when due (every `poll_seconds` while anything is pending, `idleSeconds`
    /// otherwise); never throws. After a failure nothing is sent until the backoff
    /// (`poll_seconds × 2^failures`, at most 5 min) has passed, forced or not.
    ///
    /// - Parameter force: Sync now rather than at the scheduled time (after a cycle
    ///   or an execution), unless backing off or halted.
    /// - Returns: Whether a sync ran and succeeded.
    @discardableResult
    public func tick(force: Bool = false) -> Bool {
        let now = agent.environment.now()
        if client.haltedBy != nil { return false }
        let due = state.withLock { s in
            if let b = s.backoffUntil, now < b { return false }
            return force || s.nextPoll.map { now >= $0 } ?? true
        }
        guard due else { return false }
        do {
            try sync()
            try ledger.channelSucceeded(Self.channel)
            let pending = (try? ledger.proposals(state: .awaitingApproval).isEmpty == false) ?? false
            state.withLock { s in
                s.failures = 0
                s.backoffUntil = nil
                s.nextPoll = now.addingTimeInterval(Double(pending ? settings.pollSeconds : idleSeconds))
            }
            return true
        } catch {
            let failures = state.withLock { s in s.failures += 1; return s.failures }
            let backoff = min(300, Double(settings.pollSeconds) * pow(2, Double(min(failures, 10))))
            let next = now.addingTimeInterval(backoff)
            state.withLock { s in
                s.nextPoll = next
                s.backoffUntil = next
            }
            let halted = (error as? DiscordError)?.kind == .unauthorized
            _ = try? ledger.channelFailed(Self.channel, state: halted ? "halted" : "degraded", error: "\(error)",
                                          nextAttempt: halted ? nil : next)
            log(halted ? "stopped calling Discord: \(error)" : "unavailable (attempt \(failures), next in \(Int(backoff)) s): \(error)")
            return false
        }
    }

    /// Queues one message with a scan's changes; nothing when nothing changed.
    public func report(_ scan: ScanReport?) {
        guard let scan, let text = agent.discordDriftText(scan, at: agent.environment.now()) else { return }
        do { try ledger.discordEnqueue(kind: "drift", proposalID: nil, content: text) } catch {
            log("could not queue the drift report: \(error)")
        }
    }

    // MARK: One round

    /// One full round: queue, post, read decisions, decide, queue replies, post.
    ///
    /// - Throws: `DiscordError` when Discord fails (what was done so far is kept), or a store error.
    public func sync() throws {
        for p in try ledger.proposalsNeedingDiscordMessage() {
            try ledger.discordEnqueue(kind: "proposal", proposalID: p.id, content: agent.discordProposalText(p))
        }
        try flush()
        try readDecisions()
        try queueReplies()
        try flush()
        try updateCards()
    }

    /// Edits decided approval messages: a status line on top, the how-to line replaced.
    func updateCards() throws {
        for (item, _, status) in try ledger.discordCardsToUpdate() {
            guard let id = item.messageID else { continue }
            let body = item.content.components(separatedBy: "\n")
                .map { $0.hasPrefix("Approve: react") ? "Decided: reactions and replies on this message are no longer read." : $0 }
                .joined(separator: "\n")
            let text = "**Status: \(DiscordText.inert(status))**\n" + body
            try client.editMessage(channelID: settings.channelID, messageID: id, content: DiscordText.clip(text, DiscordText.contentLimit))
            try ledger.discordMarkShown(item.id, status: status)
        }
    }

    /// Posts what is queued and adds the ✅ ❌ reactions to approval messages.
    func flush() throws {
        for item in try ledger.discordUnsent() {
            var replyTo: String?
            if item.kind == "proposal" {
                guard let pid = item.proposalID, try ledger.proposal(pid)?.state == .awaitingApproval else {
                    try ledger.discordDrop(item.id) // decided or expired before it could be posted
                    continue
                }
            } else if let pid = item.proposalID {
                guard let parent = try ledger.discordItem(kind: "proposal", proposalID: pid)?.messageID else { continue }
                replyTo = parent
            }
            let message = try client.createMessage(channelID: settings.channelID, content: item.content, nonce: item.nonce, replyTo: replyTo)
            try ledger.discordMarkSent(item.id, messageID: message.id)
            if try ledger.value("discord.bot_user_id") == nil { try ledger.setValue("discord.bot_user_id", message.authorID) }
        }
        for item in try ledger.discordMissingReactions() {
            guard let id = item.messageID else { continue }
            do {
                try client.addReaction(channelID: settings.channelID, messageID: id, emoji: Self.approveEmoji)
                try client.addReaction(channelID: settings.channelID, messageID: id, emoji: Self.denyEmoji)
            } catch {
                guard error.status == 404 else { throw error }
                try noteDeleted(id, proposal: item.proposalID)
            }
            try ledger.discordMarkReactions(item.id)
        }
    }

    /// A decision signal seen on Discord.
    struct Signal {
        var user: String
        var decision: Decision
        var reason: String?
        var source: String
    }

    /// Reads reactions and replies, and decides what the operators decided.
    func readDecisions() throws {
        let bot = try ledger.value("discord.bot_user_id")
        var signals: [Int64: [Signal]] = [:]
        for (p, messageID) in try ledger.proposalsAwaitingOnDiscord() {
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
                    signals[p.id, default: []].append(Signal(user: user, decision: decision, reason: nil, source: "reaction"))
                }
            }
        }
        var newest: String?
        if let start = try ledger.discordCursor() ?? ledger.discordFirstProposalMessage() {
            for m in try client.messages(channelID: settings.channelID, after: start) {
                newest = m.id
                // Only a reply to an approval message counts, and only for that proposal.
                guard !m.authorIsBot, m.authorID != bot, let ref = m.referencedMessageID,
                      let pid = try ledger.discordProposal(forMessage: ref), let s = Self.parseReply(m.content, user: m.authorID) else { continue }
                signals[pid, default: []].append(s)
            }
        }
        for pid in signals.keys.sorted() {
            try decide(pid, signals[pid]!)
        }
        if let newest { try ledger.setDiscordCursor(newest) }
    }

    /// Logs once that an approval message is gone (a 404), instead of failing every sync.
    func noteDeleted(_ messageID: String, proposal: Int64?) throws {
        let key = "discord.deleted." + messageID
        guard try ledger.value(key) == nil else { return }
        try ledger.setValue(key, Timestamp.string(agent.environment.now()))
        log("the approval message \(messageID) for proposal \(proposal.map(String.init) ?? "?") was deleted on Discord; "
            + "decide it with `luna approve/deny \(proposal.map(String.init) ?? "ID")`")
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
            if try ledger.discordRecordSignal(proposalID: pid, userID: s.user, signal: s.decision.rawValue, source: s.source, counted: isOperator),
               !isOperator {
                log("ignored \(s.source == "reaction" ? emoji : "reply '\(s.decision == .approve ? "approve" : "deny")'") on proposal \(pid) from user \(s.user): "
                    + (settings.operatorIDs.isEmpty ? "operator_ids is empty, so nobody may decide" : "not in operator_ids"))
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
            try ledger.decide(pid, decision, approver: approver, channel: Self.channel, reason: reason)
            log("proposal \(pid) \(decision.rawValue) by \(approver)")
        } catch let error as AgentError where error.kind == .expired {
            log("\(error)")
            try ledger.discordEnqueue(kind: "notice", proposalID: pid,
                                      content: "⌛ Proposal #\(pid) expired before it was decided; it can no longer be approved and did not run.")
        } catch let error as AgentError where error.kind == .conflict {
            log("proposal \(pid) not decided again: \(error)")
        }
    }

    /// Queues the decision and outcome replies that are due.
    func queueReplies() throws {
        for p in try ledger.proposalsNeedingDecisionReply() {
            guard let a = try ledger.approval(p.id) else { continue }
            try ledger.discordEnqueue(kind: "decision", proposalID: p.id, content: agent.discordDecisionText(p, a))
        }
        for p in try ledger.proposalsNeedingOutcomeReply() {
            try ledger.discordEnqueue(kind: "outcome", proposalID: p.id, content: agent.discordOutcomeText(p, try ledger.execution(p.id)))
        }
    }
}
