import CLunaSQLite

extension Database {
    /// Runs `body` in a write transaction: `BEGIN IMMEDIATE` … `COMMIT`.
    ///
    /// `IMMEDIATE` takes the write lock at the start (waiting up to the busy
    /// timeout), so a transaction never fails half-way on a lock upgrade. When
    /// `body` throws, the transaction is rolled back and the error rethrown.
    /// Called inside another transaction on the same database, it uses a
    /// `SAVEPOINT` instead, so an inner failure undoes only the inner work.
    /// Other threads using this `Database` wait until the outermost transaction
    /// ends.
    ///
    /// - Parameters:
    ///   - body: The work; it may call back into this database.
    /// - Returns: What `body` returns.
    /// - Throws: The error `body` threw, or a ``StoreError`` from BEGIN/COMMIT.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        lock.lock()  // held for the whole transaction; see the type comment
        defer { lock.unlock() }
        let level = transactionDepth
        try run(level == 0 ? "BEGIN IMMEDIATE" : "SAVEPOINT luna_\(level)")
        transactionDepth += 1
        let result: T
        do {
            result = try body()
        } catch {
            transactionDepth -= 1
            rollback(level: level)
            throw error
        }
        transactionDepth -= 1
        do {
            try run(level == 0 ? "COMMIT" : "RELEASE luna_\(level)")
        } catch {
            rollback(level: level)
            throw error
        }
        return result
    }

    /// Undoes the transaction (level 0) or savepoint opened at `level`.
    ///
    /// Errors are ignored on purpose: the caller is already throwing the error
    /// that matters, and SQLite may have rolled back on its own (e.g. after
    /// SQLITE_FULL), which autocommit mode reveals.
    private func rollback(level: Int) {
        guard let db = handle, sqlite3_get_autocommit(db) == 0 else { return }
        if level == 0 {
            try? run("ROLLBACK")
        } else {
            try? run("ROLLBACK TO luna_\(level)")
            try? run("RELEASE luna_\(level)")
        }
    }
}
