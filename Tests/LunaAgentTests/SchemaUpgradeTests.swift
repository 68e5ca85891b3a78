import Foundation
import Testing
@testable import LunaAgent
import LunaStore
import TestSupport

/// A state database made by an earlier Luna (the migrations as they shipped, before each
/// room owned its tables) opens with today's composed migrations without running any
/// superseded one again, keeps its rows, and ends with the schema a new database gets.
@Suite("Schema: upgrading a state database from the shipped migrations")
struct SchemaUpgradeTests {
    static let schemaQuery = "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY type, name"

    static func schema(_ db: Database) throws -> [String] {
        try db.query(schemaQuery).map { "\($0.string("type") ?? "") \($0.string("name") ?? ""): \($0.string("sql") ?? "")" }
    }

    static func scratch() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("luna-schema-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func seed(_ db: Database) throws {
        try db.run("INSERT INTO findings(host, check_name, subject, state, summary, params, observed, first_seen, last_seen) VALUES ('web-1','files','/etc/shadow','open','mode 0644','{}','0644','t','t')")
        try db.run("""
            INSERT INTO proposals(finding_id, host, identity, runas, argv, rationale, source, risk, state, created_at, updated_at, digest)
            VALUES (1,'web-1','luna','root','["/usr/bin/chmod","0600","/etc/shadow"]','restore','skill','low','awaiting_approval','t','t','sha256:x')
            """)
        try db.run("INSERT INTO memory_notes(slug, title, body, source, created_at) VALUES ('web-1-shadow','shadow mode','restore it','operator','t')")
        try db.run("INSERT INTO skills(name, status, check_name, description, body) VALUES ('restore-file-mode','approved','files','d','b')")
    }

    @Test("every shipped migration applied: nothing runs again, rows kept, schema equal to a new database")
    func fullyMigratedDatabase() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/old.db"
        do {
            let db = try Database(path: path)
            #expect(try db.migrate(LegacySchema.migrations).count == LegacySchema.migrations.count)
            try Self.seed(db)
            db.close()
        }
        let db = try Database(path: path)
        let ran = try db.migrate(Schema.migrations)
        // Only migrations newer than the shipped ones may run; none of the superseded ones.
        #expect(ran.allSatisfy { name in !Schema.migrations.contains { $0.name == name && !$0.supersedes.isEmpty } },
                "a superseded migration ran again: \(ran)")
        #expect(try db.queryOne("SELECT count(*) AS n FROM proposals")?.int("n") == 1)
        #expect(try db.queryOne("SELECT count(*) AS n FROM memory_fts WHERE memory_fts MATCH 'shadow'")?.int("n") == 1)
        #expect(try db.queryOne("SELECT status FROM skills")?.string("status") == "approved")

        let fresh = try Database(path: dir + "/new.db")
        try fresh.migrate(Schema.migrations)
        #expect(try Self.schema(fresh) == Self.schema(db))
        // And the Ledger opens it.
        db.close()
        let ledger = try Ledger(path: path)
        #expect(try ledger.proposal(1)?.host == "web-1")
    }

    @Test("a database that stopped half way (001, 003, 002, 005, 007) gets the rest and the same schema")
    func partlyMigratedDatabase() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/old.db"
        do {
            let db = try Database(path: path)
            try db.migrate(Array(LegacySchema.migrations.prefix(5)))
            try Self.seed(db)
            db.close()
        }
        let db = try Database(path: path)
        let ran = try db.migrate(Schema.migrations)
        #expect(ran.contains("ledger-004-occurrences"))
        #expect(ran.contains("skills-004-state-in-git"))
        #expect(!ran.contains("ledger-001-core") && !ran.contains("memory-002-proposal-link"))
        #expect(try db.queryOne("SELECT finding_occurrence FROM proposals WHERE id=1")?.int("finding_occurrence") == 1)
        let fresh = try Database(path: dir + "/new.db")
        try fresh.migrate(Schema.migrations)
        #expect(try Self.schema(fresh) == Self.schema(db))
    }

    @Test("migrations are named by their room and numbered in the order they run")
    func numberedInRunOrder() {
        var last: [String: Int] = [:]
        for m in Schema.migrations {
            let parts = m.name.split(separator: "-", maxSplits: 2)
            guard parts.count == 3, let n = Int(parts[1]) else {
                Issue.record("migration \(m.name) is not named <room>-<number>-<what>")
                continue
            }
            #expect(n == (last[String(parts[0])] ?? 0) + 1, "\(m.name) runs out of order")
            last[String(parts[0])] = n
        }
    }
}
