import Foundation
import Testing
@testable import LunaStore

@Suite("Database: migrations")
struct MigrationTests {
    static let first = [
        Migration("001-items", "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"),
        Migration("002-tags", """
            CREATE TABLE tags(item_id INTEGER NOT NULL REFERENCES items(id), tag TEXT NOT NULL);
            CREATE INDEX tags_by_item ON tags(item_id);
            """),
    ]

    @Test("applied once, recorded, and skipped on reopen of the same file")
    func appliedOnceAndSkippedOnReopen() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("m.db")
        do {
            let db = try Database(path: path)
            #expect(try db.migrate(Self.first) == ["001-items", "002-tags"])
            #expect(try db.migrate(Self.first) == [])
            let recorded = try db.query("SELECT name, applied_at FROM schema_migrations ORDER BY name")
            #expect(recorded.map { $0.string("name") } == ["001-items", "002-tags"])
            #expect(recorded.allSatisfy { ($0.string("applied_at") ?? "").hasSuffix("Z") })
        }
        let reopened = try Database(path: path)
        #expect(try reopened.migrate(Self.first) == [])
        #expect(try reopened.queryOne("SELECT count(*) AS n FROM schema_migrations")?.int("n") == 2)
    }

    @Test("a migration split out of or renamed from a shipped one does not run again where the old name is recorded")
    func supersededMigrationIsRecordedNotRun() throws {
        let dir = try TemporaryDirectory()
        let old = dir.path("old.db")
        do {
            let db = try Database(path: old)
            try db.migrate(Self.first)
            try db.run("INSERT INTO items(name) VALUES (?)", "web-1")
        }
        // 002-tags split in two rooms' migrations, and 001-items renamed; re-running any would fail
        // (the tables exist) or lose data.
        let split = [
            Migration("items-001", "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);", supersedes: ["001-items"]),
            Migration("tags-001", "CREATE TABLE tags(item_id INTEGER NOT NULL REFERENCES items(id), tag TEXT NOT NULL);",
                      supersedes: ["002-tags"]),
            Migration("tags-002", "CREATE INDEX tags_by_item ON tags(item_id);", supersedes: ["002-tags"]),
            Migration("tags-003", "ALTER TABLE tags ADD COLUMN weight INTEGER NOT NULL DEFAULT 1;"),
        ]
        let db = try Database(path: old)
        #expect(try db.migrate(split) == ["tags-003"])
        #expect(try db.queryOne("SELECT count(*) AS n FROM items")?.int("n") == 1)
        let recorded = try db.query("SELECT name FROM schema_migrations ORDER BY name").compactMap { $0.string("name") }
        #expect(recorded == ["001-items", "002-tags", "items-001", "tags-001", "tags-002", "tags-003"])
        #expect(try db.migrate(split) == [])
        // A new file runs every one of them and ends with the same schema.
        let fresh = try Database(path: dir.path("new.db"))
        #expect(try fresh.migrate(split) == split.map(\.name))
        let schema = "SELECT type, name, sql FROM sqlite_master WHERE name <> 'schema_migrations' ORDER BY name"
        #expect(try fresh.query(schema).map { "\($0.string("name") ?? ""): \($0.string("sql") ?? "")" }
                == db.query(schema).map { "\($0.string("name") ?? ""): \($0.string("sql") ?? "")" })
    }

    @Test("a migration added later applies to an existing file and keeps its data")
    func laterMigrationKeepsData() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("m.db")
        do {
            let db = try Database(path: path)
            try db.migrate(Self.first)
            try db.run("INSERT INTO items(name) VALUES (?)", "web-1")
            try db.run("INSERT INTO tags(item_id, tag) VALUES (?, ?)", .integer(db.lastInsertRowID), "prod")
        }
        let db = try Database(path: path)
        let later = Self.first + [Migration("003-item-owner", "ALTER TABLE items ADD COLUMN owner TEXT NOT NULL DEFAULT 'ops';")]
        #expect(try db.migrate(later) == ["003-item-owner"])
        let row = try #require(try db.queryOne("SELECT i.name, i.owner, t.tag FROM items i JOIN tags t ON t.item_id = i.id"))
        #expect(row.string("name") == "web-1")
        #expect(row.string("owner") == "ops")
        #expect(row.string("tag") == "prod")
    }

    @Test("a failing migration leaves nothing half-applied; earlier ones stay")
    func failingMigrationIsAtomic() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("m.db")
        let db = try Database(path: path)
        let broken = Self.first + [Migration("003-broken", """
            CREATE TABLE half(x);
            INSERT INTO items(name) VALUES ('ghost');
            INSERT INTO no_such_table VALUES (1);
            """)]
        let error = #expect(throws: StoreError.self) { try db.migrate(broken) }
        #expect(error?.message.contains("migration '003-broken' failed") == true)
        #expect(error?.message.contains("no_such_table") == true)
        #expect(error?.description.contains(path) == true)
        let tables = try db.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").compactMap { $0.string("name") }
        #expect(tables == ["items", "schema_migrations", "tags"])
        #expect(try db.queryOne("SELECT count(*) AS n FROM items")?.int("n") == 0)
        #expect(try db.query("SELECT name FROM schema_migrations ORDER BY name").map { $0.string("name") } == ["001-items", "002-tags"])
        // Not stuck in a transaction: the connection still writes, and a fixed migration applies.
        let fixed = Self.first + [Migration("003-broken", "CREATE TABLE half(x);")]
        #expect(try db.migrate(fixed) == ["003-broken"])
    }

    @Test("recorded names unknown to this version are fine")
    func unknownRecordedNames() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("m.db")
        let db = try Database(path: path)
        try db.migrate(Self.first + [Migration("900-from-a-newer-version", "CREATE TABLE newer(x);")])
        #expect(try db.migrate(Self.first) == [])
    }

    @Test("a migration that commits on its own is reported, not recorded", arguments: ["COMMIT;", "COMMIT; BEGIN;", "ROLLBACK;"])
    func migrationManagingItsOwnTransaction(ending: String) throws {
        let dir = try TemporaryDirectory()
        let db = try Database(path: dir.path("m.db"))
        let error = #expect(throws: StoreError.self) {
            try db.migrate([Migration("001-sneaky", "CREATE TABLE a(x); " + ending)])
        }
        #expect(error?.message.contains("ended the surrounding transaction") == true, "\(String(describing: error))")
        #expect(try db.query("SELECT name FROM schema_migrations").isEmpty)
    }

    @Test("duplicate or empty names are refused before anything is applied")
    func duplicateNamesRefused() throws {
        let db = try Database(path: ":memory:")
        let duplicate = [Migration("001", "CREATE TABLE a(x);"), Migration("001", "CREATE TABLE b(x);")]
        let error = #expect(throws: StoreError.self) { try db.migrate(duplicate) }
        #expect(error?.message == "duplicate migration name '001'")
        #expect(error?.codeName == "SQLITE_MISUSE")
        #expect(try db.query("SELECT name FROM sqlite_master WHERE name IN ('a', 'b', 'schema_migrations')").isEmpty)
        #expect(throws: StoreError.self) { try db.migrate([Migration("", "CREATE TABLE c(x);")]) }
    }
}
