import Foundation
import LunaStore

extension Schema {
    /// The Discord outbox (every message Luna posts, with its nonce and,
    /// once posted, its message id), the signals seen from people who may not
    /// approve (logged once), and each approval channel's health. The messages
    /// `after` cursor lives in `kv` under `discord.after`.
    static let discord = Migration("channels-001-discord", """
    CREATE TABLE discord_outbox(
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK(kind IN ('proposal','decision','outcome','drift','notice')),
        proposal_id INTEGER REFERENCES proposals(id),
        content TEXT NOT NULL,
        nonce TEXT NOT NULL UNIQUE,
        message_id TEXT,
        reactions_added INTEGER NOT NULL DEFAULT 0,
        shown_status TEXT,
        created_at TEXT NOT NULL,
        sent_at TEXT,
        UNIQUE(kind, proposal_id)
    );
    CREATE INDEX discord_outbox_by_message ON discord_outbox(message_id);
    CREATE TABLE discord_signals(
        id INTEGER PRIMARY KEY,
        proposal_id INTEGER NOT NULL REFERENCES proposals(id),
        user_id TEXT NOT NULL,
        signal TEXT NOT NULL,
        source TEXT NOT NULL,
        counted INTEGER NOT NULL,
        at TEXT NOT NULL,
        UNIQUE(proposal_id, user_id, signal, source)
    );
    CREATE TABLE channel_health(
        channel TEXT PRIMARY KEY,
        state TEXT NOT NULL CHECK(state IN ('ok','degraded','halted')),
        failures INTEGER NOT NULL DEFAULT 0,
        last_ok_at TEXT,
        last_error TEXT,
        last_error_at TEXT,
        next_attempt_at TEXT
    );
    """, supersedes: ["002-discord"])
}

/// One message Luna posts (or has posted) on Discord.
public struct DiscordOutboxItem: Sendable, Equatable {
    public var id: Int64
    /// `proposal`, `decision`, `outcome`, `drift` or `notice`.
    public var kind: String
    public var proposalID: Int64?
    public var content: String
    /// Sent with `enforce_nonce`, the same on every retry, so the message is posted once.
    public var nonce: String
    /// Discord's id once posted.
    public var messageID: String?
    public var reactionsAdded: Bool
}

/// An approval channel's health, for `luna status`.
public struct ChannelHealth: Sendable, Codable, Equatable {
    /// `discord`.
    public var channel: String
    /// `ok`, `degraded` (failing, backing off) or `halted` (401/403: needs the operator).
    public var state: String
    /// Consecutive failures.
    public var failures: Int
    public var lastOKAt: String?
    public var lastError: String?
    public var lastErrorAt: String?
    /// When the next attempt is due (while degraded).
    public var nextAttemptAt: String?
}

extension Ledger {
    static let discordCursorKey = "discord.after"

    func outboxItem(_ row: Row) -> DiscordOutboxItem {
        DiscordOutboxItem(id: row.int("id") ?? 0, kind: row.string("kind") ?? "", proposalID: row.int("proposal_id"),
                          content: row.string("content") ?? "", nonce: row.string("nonce") ?? "",
                          messageID: row.string("message_id"), reactionsAdded: (row.int("reactions_added") ?? 0) != 0)
    }

    /// Queues a message; at most one of each kind per proposal.
    ///
    /// - Returns: Whether a new item was queued.
    @discardableResult
    public func discordEnqueue(kind: String, proposalID: Int64?, content: String) throws -> Bool {
        var bytes = [UInt8](repeating: 0, count: 8)
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255) }
        let nonce = "luna" + bytes.map { String(format: "%02x", $0) }.joined()
        try db.run("INSERT OR IGNORE INTO discord_outbox(kind, proposal_id, content, nonce, created_at) VALUES (?,?,?,?,?)",
                   [.text(kind), proposalID.map { .integer($0) } ?? .null, .text(content), .text(nonce), .text(stamp)])
        return db.changes == 1
    }

    /// Items not yet posted, oldest first.
    public func discordUnsent() throws -> [DiscordOutboxItem] {
        try db.query("SELECT * FROM discord_outbox WHERE message_id IS NULL ORDER BY id").map(outboxItem)
    }

    /// Posted proposal messages still missing the bot's ✅ ❌ reactions.
    func discordMissingReactions() throws -> [DiscordOutboxItem] {
        try db.query("SELECT * FROM discord_outbox WHERE kind='proposal' AND message_id IS NOT NULL AND reactions_added=0 ORDER BY id")
            .map(outboxItem)
    }

    func discordMarkSent(_ id: Int64, messageID: String) throws {
        try db.run("UPDATE discord_outbox SET message_id=?, sent_at=? WHERE id=?", [.text(messageID), .text(stamp), .integer(id)])
    }

    func discordMarkReactions(_ id: Int64) throws {
        try db.run("UPDATE discord_outbox SET reactions_added=1 WHERE id=?", [.integer(id)])
    }

    func discordDrop(_ id: Int64) throws {
        try db.run("DELETE FROM discord_outbox WHERE id=? AND message_id IS NULL", [.integer(id)])
    }

    /// The item of `kind` for a proposal, if queued.
    public func discordItem(kind: String, proposalID: Int64) throws -> DiscordOutboxItem? {
        try db.queryOne("SELECT * FROM discord_outbox WHERE kind=? AND proposal_id=?", [.text(kind), .integer(proposalID)])
            .map(outboxItem)
    }

    /// The proposal whose approval message is `messageID` (replies to any other message count for nothing).
    func discordProposal(forMessage messageID: String) throws -> Int64? {
        try db.queryOne("SELECT proposal_id FROM discord_outbox WHERE kind='proposal' AND message_id=?", [.text(messageID)])?
            .int("proposal_id")
    }

    /// Awaiting proposals with no approval message queued yet.
    func proposalsNeedingDiscordMessage() throws -> [Proposal] {
        try db.query("""
            SELECT p.* FROM proposals p WHERE p.state='awaiting_approval'
            AND NOT EXISTS (SELECT 1 FROM discord_outbox o WHERE o.kind='proposal' AND o.proposal_id=p.id) ORDER BY p.id
            """).map(Proposal.init)
    }

    /// Awaiting proposals whose approval message is posted, with its id.
    func proposalsAwaitingOnDiscord() throws -> [(Proposal, String)] {
        try db.query("""
            SELECT p.*, o.message_id AS discord_message_id FROM proposals p JOIN discord_outbox o
              ON o.kind='proposal' AND o.proposal_id=p.id AND o.message_id IS NOT NULL
            WHERE p.state='awaiting_approval' ORDER BY p.id
            """).map { (Proposal(row: $0), $0.string("discord_message_id") ?? "") }
    }

    /// Proposals with a posted approval message and a decision, but no decision reply queued.
    func proposalsNeedingDecisionReply() throws -> [Proposal] {
        try db.query("""
            SELECT p.* FROM proposals p
            WHERE EXISTS (SELECT 1 FROM approvals a WHERE a.proposal_id=p.id)
              AND EXISTS (SELECT 1 FROM discord_outbox o WHERE o.kind='proposal' AND o.proposal_id=p.id)
              AND NOT EXISTS (SELECT 1 FROM discord_outbox o WHERE o.kind='decision' AND o.proposal_id=p.id)
            ORDER BY p.id
            """).map(Proposal.init)
    }

    /// Proposals with an approval message whose outcome is committed, but no outcome reply queued.
    func proposalsNeedingOutcomeReply() throws -> [Proposal] {
        try db.query("""
            SELECT p.* FROM proposals p
            WHERE p.commit_id IS NOT NULL
              AND EXISTS (SELECT 1 FROM discord_outbox o WHERE o.kind='proposal' AND o.proposal_id=p.id)
              AND NOT EXISTS (SELECT 1 FROM discord_outbox o WHERE o.kind='outcome' AND o.proposal_id=p.id)
            ORDER BY p.id
            """).map(Proposal.init)
    }

    /// Posted approval messages whose proposal moved on since the message last showed its status.
    func discordCardsToUpdate() throws -> [(DiscordOutboxItem, Proposal, String)] {
        try db.query("""
            SELECT p.*, o.id AS o_id, o.kind AS o_kind, o.content AS o_content, o.nonce AS o_nonce, o.message_id AS o_message_id,
                   o.reactions_added AS o_reactions, coalesce(p.outcome, p.state) AS status
            FROM discord_outbox o JOIN proposals p ON p.id=o.proposal_id
            WHERE o.kind='proposal' AND o.message_id IS NOT NULL AND p.state!='awaiting_approval'
              AND coalesce(o.shown_status,'') != coalesce(p.outcome, p.state)
            ORDER BY o.id
            """).map {
            (DiscordOutboxItem(id: $0.int("o_id") ?? 0, kind: "proposal", proposalID: $0.int("id"), content: $0.string("o_content") ?? "",
                               nonce: $0.string("o_nonce") ?? "", messageID: $0.string("o_message_id"),
                               reactionsAdded: ($0.int("o_reactions") ?? 0) != 0),
             Proposal(row: $0), $0.string("status") ?? "")
        }
    }

    func discordMarkShown(_ id: Int64, status: String) throws {
        try db.run("UPDATE discord_outbox SET shown_status=? WHERE id=?", [.text(status), .integer(id)])
    }

    /// Records a signal (a reaction or a reply) once.
    ///
    /// - Returns: Whether it was new (so it is logged once, not at every poll).
    @discardableResult
    func discordRecordSignal(proposalID: Int64, userID: String, signal: String, source: String, counted: Bool) throws -> Bool {
        try db.run("INSERT OR IGNORE INTO discord_signals(proposal_id, user_id, signal, source, counted, at) VALUES (?,?,?,?,?,?)",
                   [.integer(proposalID), .text(userID), .text(signal), .text(source), .integer(counted ? 1 : 0), .text(stamp)])
        return db.changes == 1
    }

    /// The channel-messages cursor (the newest message id read), if any.
    public func discordCursor() throws -> String? { try value(Self.discordCursorKey) }

    func setDiscordCursor(_ id: String) throws { try setValue(Self.discordCursorKey, id) }

    /// The oldest approval message Luna posted (where reading starts without a cursor).
    func discordFirstProposalMessage() throws -> String? {
        try db.query("SELECT message_id FROM discord_outbox WHERE kind='proposal' AND message_id IS NOT NULL")
            .compactMap { $0.string("message_id") }
            .min { (UInt64($0) ?? 0) < (UInt64($1) ?? 0) }
    }

    // MARK: Channel health

    /// Every channel's recorded health.
    public func channelHealth() throws -> [ChannelHealth] {
        try db.query("SELECT * FROM channel_health ORDER BY channel").map {
            ChannelHealth(channel: $0.string("channel") ?? "", state: $0.string("state") ?? "", failures: Int($0.int("failures") ?? 0),
                          lastOKAt: $0.string("last_ok_at"), lastError: $0.string("last_error"),
                          lastErrorAt: $0.string("last_error_at"), nextAttemptAt: $0.string("next_attempt_at"))
        }
    }

    /// Records a successful exchange with `channel`.
    func channelSucceeded(_ channel: String) throws {
        try db.run("""
            INSERT INTO channel_health(channel, state, failures, last_ok_at) VALUES (?, 'ok', 0, ?)
            ON CONFLICT(channel) DO UPDATE SET state='ok', failures=0, last_ok_at=excluded.last_ok_at, next_attempt_at=NULL
            """, [.text(channel), .text(stamp)])
    }

    /// Records a failure with `channel`; returns the consecutive failure count.
    @discardableResult
    func channelFailed(_ channel: String, state: String, error: String, nextAttempt: Date?) throws -> Int {
        try db.run("""
            INSERT INTO channel_health(channel, state, failures, last_error, last_error_at, next_attempt_at) VALUES (?,?,1,?,?,?)
            ON CONFLICT(channel) DO UPDATE SET state=excluded.state, failures=channel_health.failures+1,
              last_error=excluded.last_error, last_error_at=excluded.last_error_at, next_attempt_at=excluded.next_attempt_at
            """, [.text(channel), .text(state), .text(error), .text(stamp), nextAttempt.map { .text(Timestamp.string($0)) } ?? .null])
        return Int(try db.queryOne("SELECT failures FROM channel_health WHERE channel=?", [.text(channel)])?.int("failures") ?? 1)
    }

    /// When the latest scan finished, if any.
    public func lastScanAt() throws -> String? {
        try db.queryOne("SELECT max(finished_at) AS at FROM scans")?.string("at")
    }
}
