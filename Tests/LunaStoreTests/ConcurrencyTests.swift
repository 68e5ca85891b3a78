import Foundation
import Testing
import TestSupport
@testable import LunaStore

@Suite("Database: concurrent writers and locks")
struct ConcurrencyTests {
    @Test("two connections on one file, written from two threads with IMMEDIATE transactions, all succeed")
    func twoConnectionsTwoThreads() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("c.db")
        let setup = try Database(path: path)
        try setup.migrate([Migration("001", "CREATE TABLE hits(writer INTEGER NOT NULL, n INTEGER NOT NULL);")])
        let connections = [try Database(path: path), try Database(path: path)]
        let perWriter = 150
        let failures = Failures()
        runOnThreads(2) { writer in
            let db = connections[writer]
            for n in 0..<perWriter {
                do {
                    try db.transaction {
                        // Read-then-write inside one transaction: safe only because IMMEDIATE locks first.
                        let seen = try db.queryOne("SELECT count(*) AS c FROM hits")?.int("c") ?? 0
                        usleep(200)  // widen the window between read and write
                        try db.run("INSERT INTO hits(writer, n) VALUES (?, ?)", .integer(Int64(writer)), .integer(seen))
                    }
                } catch {
                    failures.append("writer \(writer) #\(n): \(error)")
                }
            }
        }
        #expect(failures.all.isEmpty, "\(failures.all.prefix(3))")
        let total = try setup.queryOne("SELECT count(*) AS c, count(DISTINCT n) AS d FROM hits")
        #expect(total?.int("c") == Int64(2 * perWriter))
        // Each insert saw every earlier insert: the counts are 0..<300 with no duplicate.
        #expect(total?.int("d") == Int64(2 * perWriter))
        for writer in 0..<2 {
            #expect(try setup.queryOne("SELECT count(*) AS c FROM hits WHERE writer = ?", .integer(Int64(writer)))?.int("c") == Int64(perWriter))
        }
    }

    @Test("one Database shared by many threads: transactions never interleave")
    func sharedDatabaseManyThreads() throws {
        let dir = try TemporaryDirectory()
        let db = try Database(path: dir.path("shared.db"))
        try db.execute("CREATE TABLE counter(id INTEGER PRIMARY KEY, value INTEGER NOT NULL); INSERT INTO counter VALUES (1, 0);")
        let failures = Failures()
        runOnThreads(8) { _ in
            for _ in 0..<50 {
                do {
                    try db.transaction {
                        let value = try db.queryOne("SELECT value FROM counter WHERE id = 1")?.int("value") ?? -1
                        usleep(100)  // widen the window between read and write
                        try db.run("UPDATE counter SET value = ? WHERE id = 1", .integer(value + 1))
                    }
                } catch {
                    failures.append("\(error)")
                }
            }
        }
        #expect(failures.all.isEmpty, "\(failures.all.prefix(3))")
        #expect(try db.queryOne("SELECT value FROM counter")?.int("value") == 400)
    }

    @Test("another process holding the write lock makes a short-timeout write fail with SQLITE_BUSY",
          .enabled(if: SystemRequirements.available(tools: ["sqlite3"])))
    func busyFromAnotherProcess() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("busy.db")
        let db = try Database(path: path, busyTimeout: .milliseconds(300))
        try db.execute("CREATE TABLE t(x)")

        let holder = try LockHolder(path: path)
        defer { holder.release() }

        let started = ContinuousClock.now
        let error = #expect(throws: StoreError.self) {
            try db.transaction { try db.run("INSERT INTO t VALUES (1)") }
        }
        let waited = ContinuousClock.now - started
        #expect(error?.isBusy == true)
        #expect(error?.description.contains("SQLITE_BUSY") == true, "\(String(describing: error))")
        #expect(error?.description.contains(path) == true)
        #expect(waited >= .milliseconds(250), "gave up after \(waited): the busy timeout did not wait")

        // Readers are not blocked by a writer in WAL mode.
        #expect(try db.queryOne("SELECT count(*) AS n FROM t")?.int("n") == 0)

        // Once the other process lets go, the same connection writes again.
        holder.release()
        try db.transaction { try db.run("INSERT INTO t VALUES (1)") }
        #expect(try db.queryOne("SELECT count(*) AS n FROM t")?.int("n") == 1)
    }
}

/// Runs `body(i)` for i in 0..<count on that many new threads, released together, and waits for all.
func runOnThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let ready = DispatchSemaphore(value: 0)
    let go = DispatchSemaphore(value: 0)
    let done = DispatchGroup()
    for index in 0..<count {
        done.enter()
        Thread.detachNewThread {
            ready.signal()
            go.wait()
            body(index)
            done.leave()
        }
    }
    for _ in 0..<count { ready.wait() }
    for _ in 0..<count { go.signal() }
    done.wait()
}

/// Thread-safe list of failure messages collected from worker threads.
final class Failures: Sendable {
    private let storage = Mutex<[String]>([])
    func append(_ message: String) { storage.withLock { $0.append(message) } }
    var all: [String] { storage.withLock { $0 } }
}

import Synchronization

/// A `sqlite3` CLI process that holds the write lock (BEGIN IMMEDIATE) on a
/// database until released.
final class LockHolder {
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private var released = false

    init(path: String) throws {
        process.executableURL = URL(fileURLWithPath: SystemRequirements.which("sqlite3") ?? "/usr/bin/sqlite3")
        process.arguments = [path]
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        send(".timeout 0\nBEGIN IMMEDIATE;\nSELECT 'locked';\n")
        try waitFor("locked", timeout: 10)
    }

    private func send(_ text: String) {
        input.fileHandleForWriting.write(Data(text.utf8))
    }

    /// Reads the child's output until `marker` appears; throws after `timeout` seconds.
    private func waitFor(_ marker: String, timeout: Int32) throws {
        var seen = ""
        let fd = output.fileHandleForReading.fileDescriptor
        let deadline = Date().addingTimeInterval(TimeInterval(timeout))
        while !seen.contains(marker) {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let remaining = Int32(max(0, deadline.timeIntervalSinceNow) * 1000)
            guard poll(&poller, 1, remaining) > 0 else {
                throw HolderError(message: "sqlite3 did not print '\(marker)' in \(timeout)s; output so far: \(seen)")
            }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { throw HolderError(message: "sqlite3 exited early; output: \(seen)") }
            seen += String(decoding: chunk, as: UTF8.self)
        }
    }

    /// Rolls back and ends the child process. Idempotent.
    func release() {
        guard !released else { return }
        released = true
        send("ROLLBACK;\n.quit\n")
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    struct HolderError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}
