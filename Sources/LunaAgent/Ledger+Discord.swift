import Foundation
import LunaStore

extension Schema {
    /// 002-discord: the first Discord outbox and signal log, and each approval
    /// channel's health. Applied migrations are never edited: `011-channel-outbox`
    /// (ChannelOutbox+Migrations.swift) copies these tables into the per-channel
    /// ones and drops them; `channel_health` stays, owned by ``ChannelOutbox``.
    static let discord = Migration("002-discord", """
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
    """)
}

extension Ledger {
    /// When the latest scan finished, if any.
    public func lastScanAt() throws -> String? {
        try db.queryOne("SELECT max(finished_at) AS at FROM scans")?.string("at")
    }
}
