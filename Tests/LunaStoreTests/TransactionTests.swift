import Foundation
import Testing
@testable import LunaStore

private struct Boom: Error, Equatable {}

@Suite("Database: transactions")
struct TransactionTests {
    private func makeDatabase(_ dir: borrowing TemporaryDirectory) throws -> Database {
        let db = try Database(path: dir.path("tx.db"))
        try db.execute("CREATE TABLE t(x INTEGER)")
        return db
    }

    private func count(_ db: Database) throws -> Int64? {
        try db.queryOne("SELECT count(*) AS n FROM t")?.int("n")
    }

    @Test("commit keeps the work and returns the body's value")
    func commit() throws {
        let dir = try TemporaryDirectory()
        let db = try makeDatabase(dir)
        let value = try db.transaction { () throws -> Int in
            try db.run("INSERT INTO t VALUES (1)")
            try db.run("INSERT INTO t VALUES (2)")
            return 7
        }
        #expect(value == 7)
        #expect(try count(db) == 2)
    }

    @Test("a throw rolls everything back and rethrows the same error")
    func rollbackOnThrow() throws {
        let dir = try TemporaryDirectory()
        let db = try makeDatabase(dir)
        #expect(throws: Boom()) {
            try db.transaction {
                try db.run("INSERT INTO t VALUES (1)")
                throw Boom()
            }
        }
        #expect(try count(db) == 0)
        // The connection is back in autocommit: another transaction works.
        try db.transaction { try db.run("INSERT INTO t VALUES (2)") }
        #expect(try count(db) == 1)
    }

    @Test("a nested transaction is a savepoint: its failure undoes only the inner work")
    func nestedSavepointRollback() throws {
        let dir = try TemporaryDirectory()
        let db = try makeDatabase(dir)
        try db.transaction {
            try db.run("INSERT INTO t VALUES (1)")
            #expect(throws: Boom()) {
                try db.transaction {
                    try db.run("INSERT INTO t VALUES (2)")
                    try db.transaction { try db.run("INSERT INTO t VALUES (3)") }
                    throw Boom()
                }
            }
            try db.transaction { try db.run("INSERT INTO t VALUES (4)") }
        }
        #expect(try db.query("SELECT x FROM t ORDER BY x").compactMap { $0.int("x") } == [1, 4])
    }

    @Test("an inner failure that the outer body does not catch undoes everything")
    func nestedFailurePropagates() throws {
        let dir = try TemporaryDirectory()
        let db = try makeDatabase(dir)
        #expect(throws: Boom()) {
            try db.transaction {
                try db.run("INSERT INTO t VALUES (1)")
                try db.transaction {
                    try db.run("INSERT INTO t VALUES (2)")
                    throw Boom()
                }
            }
        }
        #expect(try count(db) == 0)
    }

    @Test("a constraint error inside a transaction rolls back the earlier statements")
    func constraintRollsBack() throws {
        let dir = try TemporaryDirectory()
        let db = try Database(path: dir.path("u.db"))
        try db.execute("CREATE TABLE u(x TEXT UNIQUE)")
        let error = #expect(throws: StoreError.self) {
            try db.transaction {
                try db.run("INSERT INTO u VALUES ('a')")
                try db.run("INSERT INTO u VALUES ('a')")
            }
        }
        #expect(error?.codeName == "SQLITE_CONSTRAINT_UNIQUE")
        #expect(try db.queryOne("SELECT count(*) AS n FROM u")?.int("n") == 0)
    }
}
