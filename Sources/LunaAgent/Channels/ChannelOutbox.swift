import Foundation
import LunaStore

/// What a channel posts about.
public enum ChannelMessageKind: String, Sendable, CaseIterable {
    /// The card a proposal is decided on.
    case proposal
    /// Who decided a proposal (on any channel).
    case decision
    /// A recorded outcome.
    case outcome
    /// A scan's changes.
    case drift
    /// Something the operator should hear once.
    case notice
}

/// One message a channel posts (or has posted).
public struct ChannelOutboxItem: Sendable, Equatable {
    public var id: Int64
    public var kind: ChannelMessageKind
    public var proposalID: Int64?
    public var content: String
    /// The same on every retry, so a channel that supports it posts the message once (Discord: `enforce_nonce`).
    public var nonce: String
    /// The channel's id of the posted message, once posted.
    public var externalID: String?
    /// Whether the channel finished what follows posting (Discord: the ✅ ❌ reactions on a card).
    public var setupDone: Bool
    /// The proposal status the posted card last showed.
    public var shownStatus: String?
    /// The message this one answers, when it is not the card of its proposal.
    public var replyTo: String? = nil
}

/// How an approval channel is doing.
public enum ChannelState: String, Sendable, Codable, Equatable {
    case ok
    /// Failing; luna backs off and tries again.
    case degraded
    /// A 401/403: it needs the operator (a working token) and a restart.
    case halted
}

/// An approval channel's health, for `luna status`.
public struct ChannelHealth: Sendable, Codable, Equatable {
    /// The channel's name (`discord`).
    public var channel: String
    public var state: ChannelState
    /// Consecutive failures.
    public var failures: Int
    public var lastOKAt: String?
    public var lastError: String?
    public var lastErrorAt: String?
    /// When the next attempt is due (while degraded).
    public var nextAttemptAt: String?
}

/// One channel's outbox, signal log, values and health in the state database.
///
/// Every channel gets the same store, keyed by its name; the SQL about channels
/// lives here and nowhere else. Everything a channel needs to resume after a
/// restart is in it (what is queued, what was posted and under which id, its
/// cursor), so nothing is lost or posted twice. It reads proposals but never
/// changes one: decisions go through the ``DecisionSink``.
public struct ChannelOutbox: Sendable {
    /// The channel's name, the key of every row it reads and writes.
    public let channel: String
    private let db: Database
    private let now: @Sendable () -> Date

    /// The store for `channel`, on the ledger's database and clock.
    public init(ledger: Ledger, channel: String) {
        self.db = ledger.db
        self.now = ledger.now
        self.channel = channel
    }

    private var stamp: String { Timestamp.string(now()) }
    private var name: SQLValue { .text(channel) }

    private func item(_ row: Row) -> ChannelOutboxItem {
        ChannelOutboxItem(id: row.int("id") ?? 0, kind: ChannelMessageKind(rawValue: row.string("kind") ?? "") ?? .notice,
                          proposalID: row.int("proposal_id"), content: row.string("content") ?? "", nonce: row.string("nonce") ?? "",
                          externalID: row.string("external_id"), setupDone: (row.int("setup_done") ?? 0) != 0,
                          shownStatus: row.string("shown_status"), replyTo: row.string("reply_to"))
    }

    // MARK: The outbox

    /// Queues a message; at most one of each kind per proposal.
    ///
    /// - Parameter replyTo: The message it answers, when not its proposal's card (then it
    ///   takes no proposal, so any number of answers can be queued).
    /// - Returns: Whether a new item was queued.
    @discardableResult
    public func enqueue(_ kind: ChannelMessageKind, proposalID: Int64?, content: String, replyTo: String? = nil) throws -> Bool {
        var bytes = [UInt8](repeating: 0, count: 8)
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255) }
        let nonce = "luna" + bytes.map { String(format: "%02x", $0) }.joined()
        try db.run("INSERT OR IGNORE INTO channel_outbox(channel, kind, proposal_id, content, nonce, created_at, reply_to) VALUES (?,?,?,?,?,?,?)",
                   [name, .text(kind.rawValue), proposalID.map { .integer($0) } ?? .null, .text(content), .text(nonce), .text(stamp),
                    replyTo.map { .text($0) } ?? .null])
        return db.changes == 1
    }

    /// Items not yet posted, oldest first.
    public func unsent() throws -> [ChannelOutboxItem] {
        try db.query("SELECT * FROM channel_outbox WHERE channel=? AND external_id IS NULL ORDER BY id", [name]).map(item)
    }

    /// Posted proposal cards whose setup (``ChannelOutboxItem/setupDone``) is not done.
    public func awaitingSetup() throws -> [ChannelOutboxItem] {
        try db.query("SELECT * FROM channel_outbox WHERE channel=? AND kind='proposal' AND external_id IS NOT NULL AND setup_done=0 ORDER BY id",
                     [name]).map(item)
    }

    /// Every posted proposal card, oldest first.
    public func postedCards() throws -> [ChannelOutboxItem] {
        try db.query("SELECT * FROM channel_outbox WHERE channel=? AND kind='proposal' AND external_id IS NOT NULL ORDER BY id", [name]).map(item)
    }

    /// Records that an item was posted under `externalID`.
    public func markSent(_ id: Int64, externalID: String) throws {
        try db.run("UPDATE channel_outbox SET external_id=?, sent_at=? WHERE id=? AND channel=?", [.text(externalID), .text(stamp), .integer(id), name])
    }

    /// Records that a posted card's setup is done.
    public func markSetupDone(_ id: Int64) throws {
        try db.run("UPDATE channel_outbox SET setup_done=1 WHERE id=? AND channel=?", [.integer(id), name])
    }

    /// Records the status a posted card now shows.
    public func markShown(_ id: Int64, status: String) throws {
        try db.run("UPDATE channel_outbox SET shown_status=? WHERE id=? AND channel=?", [.text(status), .integer(id), name])
    }

    /// Drops an item that was never posted (a card whose proposal was decided first).
    public func drop(_ id: Int64) throws {
        try db.run("DELETE FROM channel_outbox WHERE id=? AND channel=? AND external_id IS NULL", [.integer(id), name])
    }

    /// The item of `kind` for a proposal, if queued.
    public func item(_ kind: ChannelMessageKind, proposalID: Int64) throws -> ChannelOutboxItem? {
        try db.queryOne("SELECT * FROM channel_outbox WHERE channel=? AND kind=? AND proposal_id=?",
                        [name, .text(kind.rawValue), .integer(proposalID)]).map(item)
    }

    /// The proposal whose card was posted as `externalID` (a reply to any other message counts for nothing).
    public func proposal(forCard externalID: String) throws -> Int64? {
        try db.queryOne("SELECT proposal_id FROM channel_outbox WHERE channel=? AND kind='proposal' AND external_id=?",
                        [name, .text(externalID)])?.int("proposal_id")
    }

    // MARK: What is due

    /// Proposals awaiting approval with no card queued on this channel yet.
    public func proposalsToPublish() throws -> [Proposal] {
        try db.query("""
            SELECT p.* FROM proposals p WHERE p.state='awaiting_approval'
            AND NOT EXISTS (SELECT 1 FROM channel_outbox o WHERE o.channel=? AND o.kind='proposal' AND o.proposal_id=p.id) ORDER BY p.id
            """, [name]).map(Proposal.init)
    }

    /// Proposals awaiting approval whose card is posted, with the card's id.
    public func awaitingOnCards() throws -> [(Proposal, String)] {
        try db.query("""
            SELECT p.*, o.external_id AS card_id FROM proposals p JOIN channel_outbox o
              ON o.channel=? AND o.kind='proposal' AND o.proposal_id=p.id AND o.external_id IS NOT NULL
            WHERE p.state='awaiting_approval' ORDER BY p.id
            """, [name]).map { (Proposal(row: $0), $0.string("card_id") ?? "") }
    }

    /// Proposals with a card on this channel and a decision (from any channel), but no decision announced here.
    public func decisionsToAnnounce() throws -> [Proposal] {
        try db.query("""
            SELECT p.* FROM proposals p
            WHERE EXISTS (SELECT 1 FROM approvals a WHERE a.proposal_id=p.id)
              AND EXISTS (SELECT 1 FROM channel_outbox o WHERE o.channel=?1 AND o.kind='proposal' AND o.proposal_id=p.id)
              AND NOT EXISTS (SELECT 1 FROM channel_outbox o WHERE o.channel=?1 AND o.kind='decision' AND o.proposal_id=p.id)
            ORDER BY p.id
            """, [name]).map(Proposal.init)
    }

    /// Proposals with a card on this channel whose outcome is committed, but not announced here.
    public func outcomesToAnnounce() throws -> [Proposal] {
        try db.query("""
            SELECT p.* FROM proposals p
            WHERE p.commit_id IS NOT NULL
              AND EXISTS (SELECT 1 FROM channel_outbox o WHERE o.channel=?1 AND o.kind='proposal' AND o.proposal_id=p.id)
              AND NOT EXISTS (SELECT 1 FROM channel_outbox o WHERE o.channel=?1 AND o.kind='outcome' AND o.proposal_id=p.id)
            ORDER BY p.id
            """, [name]).map(Proposal.init)
    }

    /// Posted cards whose proposal moved on since the card last showed its status, with that status.
    public func cardsToUpdate() throws -> [(ChannelOutboxItem, String)] {
        try db.query("""
            SELECT o.*, coalesce(p.outcome, p.state) AS status
            FROM channel_outbox o JOIN proposals p ON p.id=o.proposal_id
            WHERE o.channel=? AND o.kind='proposal' AND o.external_id IS NOT NULL AND p.state!='awaiting_approval'
              AND coalesce(o.shown_status,'') != coalesce(p.outcome, p.state)
            ORDER BY o.id
            """, [name]).map { (item($0), $0.string("status") ?? "") }
    }

    // MARK: Signals and values

    /// Records a decision signal (a reaction, a reply) once.
    ///
    /// - Returns: Whether it was new (so it is logged once, not at every poll).
    @discardableResult
    public func recordSignal(proposalID: Int64, userID: String, signal: String, source: String, counted: Bool) throws -> Bool {
        try db.run("INSERT OR IGNORE INTO channel_signals(channel, proposal_id, user_id, signal, source, counted, at) VALUES (?,?,?,?,?,?,?)",
                   [name, .integer(proposalID), .text(userID), .text(signal), .text(source), .integer(counted ? 1 : 0), .text(stamp)])
        return db.changes == 1
    }

    /// The channel's value for `key` (a cursor, its own user id), if any.
    public func value(_ key: String) throws -> String? {
        try db.queryOne("SELECT value FROM channel_values WHERE channel=? AND key=?", [name, .text(key)])?.string("value")
    }

    /// Stores the channel's value for `key`.
    public func setValue(_ key: String, _ value: String) throws {
        try db.run("INSERT INTO channel_values(channel, key, value) VALUES (?,?,?) ON CONFLICT(channel, key) DO UPDATE SET value=excluded.value",
                   [name, .text(key), .text(value)])
    }

    // MARK: Health

    /// The channel's recorded health, or nil when it was never contacted.
    public func health() throws -> ChannelHealth? {
        try db.queryOne("SELECT * FROM channel_health WHERE channel=?", [name]).map {
            ChannelHealth(channel: $0.string("channel") ?? "", state: ChannelState(rawValue: $0.string("state") ?? "") ?? .degraded, failures: Int($0.int("failures") ?? 0),
                          lastOKAt: $0.string("last_ok_at"), lastError: $0.string("last_error"),
                          lastErrorAt: $0.string("last_error_at"), nextAttemptAt: $0.string("next_attempt_at"))
        }
    }

    /// Records a successful exchange.
    public func succeeded() throws {
        try db.run("""
            INSERT INTO channel_health(channel, state, failures, last_ok_at) VALUES (?, 'ok', 0, ?)
            ON CONFLICT(channel) DO UPDATE SET state='ok', failures=0, last_ok_at=excluded.last_ok_at, next_attempt_at=NULL
            """, [name, .text(stamp)])
    }

    /// Records a failure: `degraded` with the next attempt, or `halted` (no next attempt).
    ///
    /// - Returns: The consecutive failure count.
    @discardableResult
    public func failed(halted: Bool, error: String, nextAttempt: Date?) throws -> Int {
        try db.run("""
            INSERT INTO channel_health(channel, state, failures, last_error, last_error_at, next_attempt_at) VALUES (?,?,1,?,?,?)
            ON CONFLICT(channel) DO UPDATE SET state=excluded.state, failures=channel_health.failures+1,
              last_error=excluded.last_error, last_error_at=excluded.last_error_at, next_attempt_at=excluded.next_attempt_at
            """, [name, .text((halted ? ChannelState.halted : .degraded).rawValue), .text(error), .text(stamp), nextAttempt.map { .text(Timestamp.string($0)) } ?? .null])
        return Int(try db.queryOne("SELECT failures FROM channel_health WHERE channel=?", [name])?.int("failures") ?? 1)
    }
}
