import LunaStore

extension ChannelOutbox {
    /// The channel store's migrations, in order; they run after the ledger's
    /// (they reference `proposals` and `kv`). Never edit a shipped one; add one.
    public static let migrations: [Migration] = [
        // The first Discord outbox and signal log, and each approval channel's health,
        // as shipped in `002-discord`. Never edited: `channels-002-outbox` copies these
        // tables into the per-channel ones and drops them; `channel_health` stays.
        Migration("channels-001-discord", """
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
        """, supersedes: ["002-discord"]),
        // One outbox, one signal log and one key–value space for every channel, keyed by
        // the channel's name. Every row of the Discord tables is copied, so what was queued
        // or posted before the upgrade is posted once and read on; Discord's `kv` keys
        // (`discord.after`, `discord.bot_user_id`, `discord.deleted.*`) move to
        // `channel_values`. `channel_health` (channels-001) is already per channel and stays.
        Migration("channels-002-outbox", """
        CREATE TABLE channel_outbox(
            id INTEGER PRIMARY KEY,
            channel TEXT NOT NULL,
            kind TEXT NOT NULL CHECK(kind IN ('proposal','decision','outcome','drift','notice')),
            proposal_id INTEGER REFERENCES proposals(id),
            content TEXT NOT NULL,
            nonce TEXT NOT NULL,
            external_id TEXT,
            setup_done INTEGER NOT NULL DEFAULT 0,
            shown_status TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT,
            UNIQUE(channel, kind, proposal_id),
            UNIQUE(channel, nonce)
        );
        CREATE INDEX channel_outbox_by_external_id ON channel_outbox(channel, external_id);
        CREATE TABLE channel_signals(
            id INTEGER PRIMARY KEY,
            channel TEXT NOT NULL,
            proposal_id INTEGER NOT NULL REFERENCES proposals(id),
            user_id TEXT NOT NULL,
            signal TEXT NOT NULL,
            source TEXT NOT NULL,
            counted INTEGER NOT NULL,
            at TEXT NOT NULL,
            UNIQUE(channel, proposal_id, user_id, signal, source)
        );
        CREATE TABLE channel_values(
            channel TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY(channel, key)
        );
        INSERT INTO channel_outbox(id, channel, kind, proposal_id, content, nonce, external_id, setup_done, shown_status, created_at, sent_at)
            SELECT id, 'discord', kind, proposal_id, content, nonce, message_id, reactions_added, shown_status, created_at, sent_at
            FROM discord_outbox ORDER BY id;
        INSERT INTO channel_signals(id, channel, proposal_id, user_id, signal, source, counted, at)
            SELECT id, 'discord', proposal_id, user_id, signal, source, counted, at FROM discord_signals ORDER BY id;
        INSERT INTO channel_values(channel, key, value)
            SELECT 'discord', substr(key, 9), value FROM kv WHERE substr(key, 1, 8) = 'discord.';
        DELETE FROM kv WHERE substr(key, 1, 8) = 'discord.';
        DROP TABLE discord_signals;
        DROP TABLE discord_outbox;
        """),
        // A message that answers someone (a stranger's ✅, a reply on a decided card) is a
        // reply to *their* message, not to the card of its proposal.
        Migration("channels-003-reply-to", """
        ALTER TABLE channel_outbox ADD COLUMN reply_to TEXT;
        """),
    ]
}
