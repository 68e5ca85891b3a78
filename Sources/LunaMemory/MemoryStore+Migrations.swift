import LunaStore

extension MemoryStore {
    /// The memory notes' tables (rows and their FTS5 index), in the order they run.
    /// Never edit a shipped migration; add one. The first superseded its share of
    /// `001-core`, from before each room owned its tables.
    public static let migrations: [Migration] = [
        Migration("memory-001-notes", """
        CREATE TABLE memory_notes(
            id INTEGER PRIMARY KEY,
            slug TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            body TEXT NOT NULL,
            hosts TEXT NOT NULL DEFAULT '',
            tags TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'active',
            created_at TEXT NOT NULL,
            last_used TEXT
        );
        CREATE VIRTUAL TABLE memory_fts USING fts5(title, body, hosts, tags, content='memory_notes', content_rowid='id');
        CREATE TRIGGER memory_ai AFTER INSERT ON memory_notes BEGIN
            INSERT INTO memory_fts(rowid, title, body, hosts, tags) VALUES (new.id, new.title, new.body, new.hosts, new.tags);
        END;
        CREATE TRIGGER memory_ad AFTER DELETE ON memory_notes BEGIN
            INSERT INTO memory_fts(memory_fts, rowid, title, body, hosts, tags) VALUES ('delete', old.id, old.title, old.body, old.hosts, old.tags);
        END;
        CREATE TRIGGER memory_au AFTER UPDATE ON memory_notes BEGIN
            INSERT INTO memory_fts(memory_fts, rowid, title, body, hosts, tags) VALUES ('delete', old.id, old.title, old.body, old.hosts, old.tags);
            INSERT INTO memory_fts(rowid, title, body, hosts, tags) VALUES (new.id, new.title, new.body, new.hosts, new.tags);
        END;
        """, supersedes: ["001-core"]),
        // A note's link to the proposal it came from, and listing by status.
        Migration("memory-002-proposal-link", """
        ALTER TABLE memory_notes ADD COLUMN proposal INTEGER;
        CREATE INDEX memory_notes_by_status ON memory_notes(status, created_at);
        """, supersedes: ["005-memory"]),
    ]
}
