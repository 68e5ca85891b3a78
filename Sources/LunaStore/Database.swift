import CLunaSQLite
import Foundation
import LunaSystem

/// One SQLite connection, configured the way Luna needs it: WAL, foreign keys,
/// `synchronous=NORMAL`, a busy timeout and extended result codes.
///
/// Open one `Database` per process role and share it between threads; for
/// concurrent writers across processes, each process opens its own and
/// SQLite's locking (with the busy timeout) serializes them. Write through
/// ``transaction(_:)`` so writes take the lock up front (`BEGIN IMMEDIATE`)
/// instead of failing on a read-to-write upgrade.
///
/// Thread safety (why `@unchecked Sendable` is sound): the only mutable state is
/// `handle` (the `sqlite3*`), `cache` (prepared `sqlite3_stmt*`s) and
/// `transactionDepth`. Every read or write of them happens while `lock` is held:
/// through ``locked(_:)`` or, in ``transaction(_:)``, by holding `lock` for the
/// whole transaction. The lock is recursive so a transaction body may call back
/// into the same database on its own thread, while other threads wait until the
/// transaction ends (so they can never slip statements into it). The connection
/// is opened with `SQLITE_OPEN_NOMUTEX` because this lock already serializes it.
public final class Database: @unchecked Sendable {
    /// The file path given at open (or `":memory:"`).
    public let path: String
    /// Whether the connection was opened read-only.
    public let isReadOnly: Bool

    /// Guards `handle`, `cache` and `transactionDepth`; see the type comment.
    let lock = NSRecursiveLock()
    /// The connection; nil once closed. Guarded by `lock`.
    var handle: OpaquePointer?
    /// Prepared statements by SQL text. Guarded by `lock`.
    let cache: StatementCache
    /// How many ``transaction(_:)`` calls are open on this connection. Guarded by `lock`.
    var transactionDepth = 0

    /// How many prepared statements are kept (least recently used evicted).
    public static let statementCacheCapacity = 64

    /// Opens (creating if needed) a database file and configures the connection.
    ///
    /// Turns on extended result codes, sets the busy timeout, switches to WAL and
    /// checks SQLite really answered `wal` (a file system that cannot do WAL is
    /// an error, not a silent fallback), sets `synchronous=NORMAL` and turns on
    /// foreign keys, checking they are on. `":memory:"` is the one path exempt
    /// from WAL (an in-memory database has no journal file); it is meant for
    /// tests and scratch work only.
    ///
    /// - Parameters:
    ///   - path: File path, or `":memory:"`.
    ///   - busyTimeout: How long a statement waits for another connection's lock
    ///     before failing with `SQLITE_BUSY`.
    ///   - readOnly: Open without write access; the file must exist and already be in WAL mode.
    /// - Throws: ``StoreError`` when the file cannot be opened or configured.
    public init(path: String, busyTimeout: Duration = .seconds(5), readOnly: Bool = false) throws(StoreError) {
        self.path = path
        self.isReadOnly = readOnly
        self.cache = StatementCache(capacity: Self.statementCacheCapacity)

        var opened: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
            | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let rc = sqlite3_open_v2(path, &opened, flags, nil)
        if rc != SQLITE_OK {
            let error = Self.error(rc, opened, sql: nil, path: path)
            sqlite3_close_v2(opened)  // a handle is returned even on failure, except out of memory
            throw error
        }
        handle = opened
        do {
            try configure(busyTimeout: busyTimeout)
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    private func configure(busyTimeout: Duration) throws(StoreError) {
        try locked { () throws(StoreError) in
            let db = try connection(sql: nil)
            try check(sqlite3_extended_result_codes(db, 1), sql: nil)
            // SQLite quietly falls back to read-only when the file is write-protected;
            // a connection meant for writing must fail here, not at its first write.
            if !isReadOnly && path != ":memory:" && sqlite3_db_readonly(db, "main") == 1 {
                var error = StoreError(code: SQLITE_READONLY, message: "the file is not writable by this process; SQLite opened it read-only",
                                       sql: nil, path: path)
                error.explanation = Self.explain(code: SQLITE_CANTOPEN, systemErrno: EACCES, path: path)
                throw error
            }
            let (seconds, attoseconds) = busyTimeout.components
            let millis = max(0, min(Int64(Int32.max), seconds * 1000 + attoseconds / 1_000_000_000_000_000))
            try check(sqlite3_busy_timeout(db, Int32(millis)), sql: nil)

            if path != ":memory:" {
                if isReadOnly {
                    // Read-only connections cannot change the journal mode; the file must already be WAL.
                    let mode = try queryOne("PRAGMA journal_mode")?.string("journal_mode")?.lowercased()
                    guard mode == "wal" else {
                        throw StoreError(code: SQLITE_ERROR,
                                         message: "journal_mode is '\(mode ?? "unknown")', expected 'wal' (a read-only connection cannot switch it; open the file read-write once first)",
                                         sql: "PRAGMA journal_mode", path: path)
                    }
                } else {
                    try enableWAL(within: millis)
                }
            }
            try execute("PRAGMA synchronous=NORMAL")
            try execute("PRAGMA foreign_keys=ON")
            guard try queryOne("PRAGMA foreign_keys")?.int("foreign_keys") == 1 else {
                throw StoreError(code: SQLITE_ERROR,
                                 message: "foreign_keys did not turn on (SQLite built with SQLITE_OMIT_FOREIGN_KEY?)",
                                 sql: "PRAGMA foreign_keys", path: path)
            }
        }
    }

    /// Switches a read-write connection to WAL, safely beside other processes
    /// opening the same new file.
    ///
    /// An existing WAL file answers `wal` at once. A new (or rollback-journal)
    /// file needs the switch, which takes an exclusive lock: two connections
    /// that both read the header first deadlock, and SQLite answers one of them
    /// `SQLITE_BUSY` at once, without waiting for the busy timeout. So the
    /// switch runs under an exclusive `flock` on a sibling lock file
    /// (`<path>-open.lock`), and a busy answer is retried until the busy timeout
    /// is used up. When the lock file cannot be created (a read-only directory),
    /// the retries alone remain.
    private func enableWAL(within millis: Int64) throws(StoreError) {
        let deadline = ContinuousClock.now + .milliseconds(millis)
        if try retryingBusy(until: deadline, { () throws(StoreError) -> String? in
            try queryOne("PRAGMA journal_mode")?.string("journal_mode")?.lowercased()
        }) == "wal" {
            return
        }
        let openLock = OpenLock(path: path + "-open.lock")
        defer { openLock.release() }
        openLock.acquire(until: deadline)
        let pragma = "PRAGMA journal_mode=WAL"
        let mode = try retryingBusy(until: deadline, { () throws(StoreError) -> String? in
            try queryOne(pragma)?.string("journal_mode")?.lowercased()
        })
        guard mode == "wal" else {
            throw StoreError(code: SQLITE_ERROR,
                             message: "journal_mode is '\(mode ?? "unknown")', expected 'wal' (the file system or SQLite build may not support WAL)",
                             sql: pragma, path: path)
        }
    }

    /// Runs `body` again while it fails with `SQLITE_BUSY` (any extended form)
    /// and `deadline` has not passed, pausing briefly between tries.
    private func retryingBusy<T>(until deadline: ContinuousClock.Instant,
                                 _ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        var pause = 2
        while true {
            do {
                return try body()
            } catch where error.isBusy && ContinuousClock.now < deadline {
                usleep(UInt32(pause * 1000))
                pause = min(pause * 2, 50)
            }
        }
    }

    /// Closes the connection, finalizing cached statements. Idempotent.
    ///
    /// Any later call throws `SQLITE_MISUSE`. Called automatically on deinit.
    public func close() {
        lock.lock()
        defer { lock.unlock() }
        cache.removeAll()
        if let db = handle {
            sqlite3_close_v2(db)
            handle = nil
        }
    }

    /// Runs one or more SQL statements separated by `;`, without parameters.
    ///
    /// For schema scripts and pragmas. Statements run in order; the first error
    /// stops the rest (earlier ones stay applied unless inside a transaction).
    ///
    /// - Parameters:
    ///   - sql: The statements.
    /// - Throws: ``StoreError`` naming the failing code.
    public func execute(_ sql: String) throws(StoreError) {
        try locked { () throws(StoreError) in
            let db = try connection(sql: sql)
            try check(sqlite3_exec(db, sql, nil, nil, nil), sql: sql)
        }
    }

    /// The rowid of the most recent successful INSERT on this connection.
    public var lastInsertRowID: Int64 {
        lock.lock()
        defer { lock.unlock() }
        return handle.map { sqlite3_last_insert_rowid($0) } ?? 0
    }

    /// How many rows the most recent INSERT, UPDATE or DELETE on this connection changed.
    public var changes: Int {
        lock.lock()
        defer { lock.unlock() }
        return handle.map { Int(sqlite3_changes64($0)) } ?? 0
    }

    // MARK: - Internal plumbing

    /// Runs `body` holding the connection lock.
    func locked<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// The open handle, or a misuse error after ``close()``. Call with `lock` held.
    func connection(sql: String?) throws(StoreError) -> OpaquePointer {
        guard let handle else {
            throw StoreError(code: SQLITE_MISUSE, message: "database is closed", sql: sql, path: path)
        }
        return handle
    }

    /// The single gate for SQLite return codes: passes `SQLITE_OK`, `SQLITE_ROW`
    /// and `SQLITE_DONE`, throws a ``StoreError`` for everything else. Call with `lock` held.
    func check(_ rc: Int32, sql: String?) throws(StoreError) {
        if rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE { return }
        throw Self.error(rc, handle, sql: sql, path: path)
    }

    /// Builds the error for a failed return code from the connection's state.
    static func error(_ rc: Int32, _ db: OpaquePointer?, sql: String?, path: String) -> StoreError {
        var code = rc
        var message = String(cString: sqlite3_errstr(rc))
        if let db {
            // Prefer the connection's extended code when it refines the same primary code.
            let extended = sqlite3_extended_errcode(db)
            if rc & 0xff == rc, extended & 0xff == rc { code = extended }
            if let text = sqlite3_errmsg(db) { message = String(cString: text) }
        }
        let systemErrno = db.map { sqlite3_system_errno($0) } ?? 0
        var error = StoreError(code: code, message: message, sql: sql, path: path)
        error.explanation = explain(code: code, systemErrno: systemErrno, path: path)
        return error
    }

    /// A sentence with the path and the fix for the failures an operator
    /// causes and can cure (a full disk, an unwritable file), or nil.
    ///
    /// A full file system shows up as `SQLITE_FULL`, as an I/O error whose
    /// system errno is `ENOSPC`/`EDQUOT`, or, at the first open in WAL mode, as
    /// `SQLITE_IOERR_SHMSIZE` (the `-shm` file cannot be grown).
    static func explain(code: Int32, systemErrno: Int32, path: String) -> String? {
        let directory = path == ":memory:" ? path : (path as NSString).deletingLastPathComponent
        let where_ = directory.isEmpty ? "." : directory
        let primary = code & 0xff
        let ioDiskFull = primary == SQLITE_IOERR && (systemErrno == ENOSPC || systemErrno == EDQUOT)
        if primary == SQLITE_FULL || code == 4874 /* SQLITE_IOERR_SHMSIZE */ || ioDiskFull {
            var free = ""
            var fs = statvfs()
            if statvfs(where_, &fs) == 0 {
                let available = UInt64(fs.f_bavail) * UInt64(fs.f_frsize)
                let total = UInt64(fs.f_blocks) * UInt64(fs.f_frsize)
                free = ": free space \(bytes(available)) of \(bytes(total))"
            }
            return "disk full at \(where_)\(free); free space on that file system (or move the state directory), then run again"
        }
        let denied = systemErrno == EACCES || systemErrno == EPERM || systemErrno == EROFS
        if primary == SQLITE_CANTOPEN || (denied && (primary == SQLITE_READONLY || primary == SQLITE_PERM)) {
            let reason = systemErrno != 0 ? SystemCall.errorText(systemErrno) : "SQLite cannot open it for writing"
            return "cannot use the database \(path): \(reason); the file and its directory \(where_) must exist and be "
                + "writable by the user luna runs as (uid \(SystemUser.effectiveID))"
        }
        return nil
    }

    /// `123 bytes`, `64 KiB`, `1.5 GiB`.
    static func bytes(_ count: UInt64) -> String {
        if count < 1024 { return "\(count) bytes" }
        let units = ["KiB", "MiB", "GiB", "TiB"]
        var value = Double(count) / 1024
        var unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        return value >= 10 || value == value.rounded() ? "\(Int(value)) \(units[unit])" : String(format: "%.1f %@", value, units[unit])
    }
}

extension Database {
    /// The linked SQLite's version, e.g. `3.40.1`.
    public static var libraryVersion: String { String(cString: sqlite3_libversion()) }
}
