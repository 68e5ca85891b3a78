import Foundation
import Testing
@testable import LunaStore

@Suite("Database: statements, values and errors")
struct QueryTests {
    @Test("every storage class round-trips through parameters and rows")
    func valuesRoundTrip() throws {
        let db = try Database(path: ":memory:")
        try db.execute("CREATE TABLE v(i, r, t, b, n)")
        let blob = Data([0, 1, 2, 0xFF])
        try db.run("INSERT INTO v VALUES (?, ?, ?, ?, ?)",
                   [.integer(Int64.min), .real(-2.5), .text("héllo\0wörld"), .blob(blob), .null])
        #expect(db.lastInsertRowID == 1)
        #expect(db.changes == 1)
        let row = try #require(try db.queryOne("SELECT * FROM v"))
        #expect(row.columns == ["i", "r", "t", "b", "n"])
        #expect(row["i"] == .integer(Int64.min))
        #expect(row["r"] == .real(-2.5))
        #expect(row["t"] == .text("héllo\0wörld"))
        #expect(row["b"] == .blob(blob))
        #expect(row["n"] == .null)
        #expect(row["no_such_column"] == .null)
        #expect(row.int("i") == Int64.min)
        #expect(row.double("r") == -2.5)
        #expect(row.string("t") == "héllo\0wörld")
        #expect(row.data("b") == blob)
        #expect(row.string("n") == nil)
    }

    @Test("empty text and empty blob stay empty, not NULL")
    func emptyValues() throws {
        let db = try Database(path: ":memory:")
        let row = try #require(try db.queryOne("SELECT ? AS t, ? AS b, typeof(?) AS tt, typeof(?) AS bt",
                                               "", .blob(Data()), "", .blob(Data())))
        #expect(row["t"] == .text(""))
        #expect(row["b"] == .blob(Data()))
        #expect(row.string("tt") == "text")
        #expect(row.string("bt") == "blob")
    }

    @Test("literals and conversions", arguments: [
        (SQLValue("x"), "text"), (SQLValue(7), "integer"), (SQLValue(1.5), "real"),
        (SQLValue(true), "integer"), (SQLValue(nil as String?), "null"),
    ])
    func literals(value: SQLValue, type: String) throws {
        let db = try Database(path: ":memory:")
        #expect(try db.queryOne("SELECT typeof(?) AS t", value)?.string("t") == type)
        let literal: SQLValue = true
        #expect(literal == .integer(1))
        let none: SQLValue = nil
        #expect(none.isNull)
    }

    @Test("Row accessors convert only where lossless")
    func rowConversions() throws {
        let db = try Database(path: ":memory:")
        let row = try #require(try db.queryOne("SELECT 3.0 AS whole, 3.5 AS frac, '12' AS numtext, 0 AS no, 5 AS yes"))
        #expect(row.int("whole") == 3)
        #expect(row.int("frac") == nil)
        #expect(row.int("numtext") == 12)
        #expect(row.double("numtext") == 12)
        #expect(row.bool("no") == false)
        #expect(row.bool("yes") == true)
        #expect(row.string("yes") == "5")
    }

    @Test("constraint errors carry the extended code name, the SQL and the path", arguments: [
        ("INSERT INTO c(id, u, nn) VALUES (2, 'a', 1)", Int32(2067), "SQLITE_CONSTRAINT_UNIQUE"),
        ("INSERT INTO c(id, u, nn) VALUES (1, 'b', 1)", Int32(1555), "SQLITE_CONSTRAINT_PRIMARYKEY"),
        ("INSERT INTO c(id, u, nn) VALUES (3, 'c', NULL)", Int32(1299), "SQLITE_CONSTRAINT_NOTNULL"),
        ("INSERT INTO c(id, u, nn) VALUES (4, 'd', -1)", Int32(275), "SQLITE_CONSTRAINT_CHECK"),
    ])
    func constraintErrors(sql: String, code: Int32, name: String) throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("c.db")
        let db = try Database(path: path)
        try db.execute("CREATE TABLE c(id TEXT PRIMARY KEY, u TEXT UNIQUE, nn INTEGER NOT NULL CHECK (nn >= 0))")
        try db.run("INSERT INTO c(id, u, nn) VALUES (1, 'a', 1)")
        let error = #expect(throws: StoreError.self) { try db.run(sql) }
        #expect(error?.code == code)
        #expect(error?.codeName == name)
        #expect(error?.isConstraint == true)
        #expect(error?.sql == sql)
        #expect(error?.description.contains(name) == true)
        #expect(error?.description.contains(path) == true)
        #expect(error?.description.contains(sql) == true)
    }

    @Test("wrong parameter count and several statements in run are refused as misuse")
    func misuse() throws {
        let db = try Database(path: ":memory:")
        try db.execute("CREATE TABLE t(x)")
        let count = #expect(throws: StoreError.self) { try db.run("INSERT INTO t VALUES (?)") }
        #expect(count?.codeName == "SQLITE_MISUSE")
        #expect(count?.message.contains("1 parameter(s) but 0") == true)
        let several = #expect(throws: StoreError.self) {
            try db.run("INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)")
        }
        #expect(several?.message.contains("execute") == true)
        #expect(try db.queryOne("SELECT count(*) AS n FROM t")?.int("n") == 0)
        // A trailing semicolon, whitespace or comment is still one statement.
        try db.run("INSERT INTO t VALUES (3); -- done\n")
        #expect(try db.queryOne("SELECT count(*) AS n FROM t")?.int("n") == 1)
        let syntax = #expect(throws: StoreError.self) { try db.run("INSERT INTO nope VALUES (1)") }
        #expect(syntax?.codeName == "SQLITE_ERROR")
        #expect(syntax?.message.contains("no such table: nope") == true)
    }

    @Test("the same SQL many times reuses one cached statement with fresh bindings")
    func statementCacheReuse() throws {
        let db = try Database(path: ":memory:")
        try db.execute("CREATE TABLE t(k INTEGER, v TEXT)")
        let before = db.cachedStatementCount
        for i in 0..<500 {
            try db.run("INSERT INTO t(k, v) VALUES (?, ?)", .integer(Int64(i)), i.isMultiple(of: 2) ? .text("even") : .null)
        }
        #expect(db.cachedStatementCount == before + 1)
        let sums = try #require(try db.queryOne("SELECT count(*) AS n, sum(k) AS s, count(v) AS evens FROM t"))
        #expect(sums.int("n") == 500)
        #expect(sums.int("s") == 124_750)
        #expect(sums.int("evens") == 250)  // NULL bindings did not leak the previous text
        for i in [0, 1, 499] {
            let rows = try db.query("SELECT k, v FROM t WHERE k = ?", .integer(Int64(i)))
            #expect(rows.count == 1)
            #expect(rows.first?.int("k") == Int64(i))
        }
        // Many distinct statements: the cache stays bounded and results stay right.
        for i in 0..<200 {
            #expect(try db.queryOne("SELECT \(i) AS n")?.int("n") == Int64(i))
        }
        #expect(db.cachedStatementCount == Database.statementCacheCapacity)
        #expect(try db.queryOne("SELECT count(*) AS n FROM t")?.int("n") == 500)
    }

    @Test("statements are reset after use, so a half-read query holds no read snapshot")
    func statementsReset() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("reset.db")
        let db = try Database(path: path)
        try db.execute("CREATE TABLE t(x)")
        try db.transaction {
            for i in 0..<100 { try db.run("INSERT INTO t VALUES (?)", .integer(Int64(i))) }
        }
        // queryOne reads only the first of 100 rows.
        #expect(try db.queryOne("SELECT x FROM t ORDER BY x")?.int("x") == 0)
        // A checkpoint that must wait for every reader succeeds only if that statement was reset.
        let other = try Database(path: path, busyTimeout: .milliseconds(100))
        let checkpoint = try #require(try other.queryOne("PRAGMA wal_checkpoint(TRUNCATE)"))
        #expect(checkpoint[0] == .integer(0), "checkpoint was blocked by a reader: \(checkpoint.values)")
    }

    @Test("text that is not valid UTF-8 reads back lossily instead of crashing")
    func invalidUTF8() throws {
        let db = try Database(path: ":memory:")
        try db.execute("CREATE TABLE t(v)")
        try db.run("INSERT INTO t VALUES (CAST(x'61C328FF62' AS TEXT))")
        let bad = Data([0x61, 0xC3, 0x28, 0xFF, 0x62])
        try db.run("INSERT INTO t VALUES (?)", .blob(bad))
        let rows = try db.query("SELECT v, typeof(v) AS type FROM t ORDER BY rowid")
        #expect(rows.count == 2)
        #expect(rows[0].string("type") == "text")
        #expect(rows[0]["v"] == .text("a\u{FFFD}(\u{FFFD}b"))
        #expect(rows[1]["v"] == .blob(bad))
        #expect(rows[1].string("v") == "a\u{FFFD}(\u{FFFD}b")
    }

    @Test("FTS5: create, insert, MATCH with bm25 ordering")
    func fts5() throws {
        let dir = try TemporaryDirectory()
        let db = try Database(path: dir.path("fts.db"))
        try db.execute("CREATE VIRTUAL TABLE notes USING fts5(title, body)")
        let notes: [(String, String)] = [
            ("nginx", "nginx restarts after config change; nginx reload is safer than nginx restart"),
            ("disk", "disk usage on /var grew; log rotation fixed it"),
            ("mention", "once saw nginx in a log line about disk"),
        ]
        for (title, body) in notes { try db.run("INSERT INTO notes(title, body) VALUES (?, ?)", .text(title), .text(body)) }
        let hits = try db.query("SELECT title, bm25(notes) AS score FROM notes WHERE notes MATCH ? ORDER BY bm25(notes)", "nginx")
        #expect(hits.map { $0.string("title") } == ["nginx", "mention"])
        let scores = hits.compactMap { $0.double("score") }
        #expect(scores.count == 2 && scores[0] < scores[1])  // bm25: lower is better
        let none = try db.query("SELECT title FROM notes WHERE notes MATCH ?", "postgres")
        #expect(none.isEmpty)
        let bad = #expect(throws: StoreError.self) { try db.query("SELECT title FROM notes WHERE notes MATCH ?", "\"unterminated") }
        #expect(bad?.message.contains("unterminated string") == true)
    }
}
