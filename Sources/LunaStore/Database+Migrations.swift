import CLunaSQLite

extension Database {
    /// Applies the migrations not yet recorded, in order, each in its own
    /// `BEGIN IMMEDIATE` transaction.
    ///
    /// Applied names are recorded in `schema_migrations(name TEXT PRIMARY KEY,
    /// applied_at TEXT)` in the same transaction as the migration, so a failing
    /// migration leaves neither its changes nor its record (earlier migrations
    /// of the same call stay applied). A migration one of whose `supersedes`
    /// names is recorded is recorded under its own name without running: the
    /// database applied it under its former name. Names recorded but not in `migrations`
    /// (e.g. written by a newer version) are left alone. Safe to run from
    /// several processes at once: each migration re-checks the record after
    /// taking the write lock.
    ///
    /// - Parameters:
    ///   - migrations: All migrations, oldest first; names must be unique and non-empty.
    /// - Returns: The names applied by this call.
    /// - Throws: ``StoreError``: `SQLITE_MISUSE` for empty or duplicate names
    ///   (nothing is applied then), or the failing migration's error, its
    ///   message prefixed with the migration name.
    @discardableResult
    public func migrate(_ migrations: [Migration]) throws(StoreError) -> [String] {
        var names = Set<String>()
        for migration in migrations {
            guard !migration.name.isEmpty else {
                throw StoreError(code: SQLITE_MISUSE, message: "a migration has an empty name",
                                 sql: migration.sql, path: path)
            }
            guard names.insert(migration.name).inserted else {
                throw StoreError(code: SQLITE_MISUSE, message: "duplicate migration name '\(migration.name)'",
                                 sql: nil, path: path)
            }
        }
        return try locked { () throws(StoreError) -> [String] in
            // Under the write lock from the start: two processes migrating a new file
            // at once must not race on creating the bookkeeping table.
            try createBookkeeping()
            let recorded = Set(try query("SELECT name FROM schema_migrations").compactMap { $0.string("name") })
            var applied: [String] = []
            for migration in migrations where !recorded.contains(migration.name) {
                if try apply(migration) { applied.append(migration.name) }
            }
            return applied
        }
    }

    /// Creates `schema_migrations` when absent, in a `BEGIN IMMEDIATE` transaction.
    private func createBookkeeping() throws(StoreError) {
        do {
            try transaction {
                try execute("CREATE TABLE IF NOT EXISTS schema_migrations(name TEXT PRIMARY KEY, applied_at TEXT)")
            }
        } catch let error as StoreError {
            throw error
        } catch {
            // Unreachable: the body only throws StoreError.
            throw StoreError(code: SQLITE_ERROR, message: "\(error)", sql: nil, path: path)
        }
    }

    /// Applies one migration in its own transaction; false when another
    /// connection recorded it first.
    private func apply(_ migration: Migration) throws(StoreError) -> Bool {
        do {
            return try transaction { () throws(StoreError) -> Bool in
                guard try queryOne("SELECT 1 FROM schema_migrations WHERE name = ?", .text(migration.name)) == nil else {
                    return false
                }
                for former in migration.supersedes
                where try queryOne("SELECT 1 FROM schema_migrations WHERE name = ?", .text(former)) != nil {
                    try run("INSERT INTO schema_migrations(name, applied_at) VALUES (?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
                            .text(migration.name))
                    return false
                }
                // The savepoint proves the migration did not end our transaction itself
                // (COMMIT/ROLLBACK in its SQL, even followed by a new BEGIN): if it did,
                // the savepoint is gone and RELEASE fails, so nothing is recorded.
                try run("SAVEPOINT luna_migration")
                try execute(migration.sql)
                do {
                    try run("RELEASE luna_migration")
                } catch {
                    throw StoreError(code: SQLITE_MISUSE,
                                     message: "the migration ended the surrounding transaction itself (BEGIN/COMMIT/ROLLBACK in its SQL?); some of it may be committed",
                                     sql: migration.sql, path: path)
                }
                try run("INSERT INTO schema_migrations(name, applied_at) VALUES (?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
                        .text(migration.name))
                return true
            }
        } catch let error as StoreError {
            var wrapped = StoreError(code: error.code, message: "migration '\(migration.name)' failed: \(error.message)",
                                     sql: error.sql, path: path)
            wrapped.explanation = error.explanation
            throw wrapped
        } catch {
            // Unreachable: the body only throws StoreError.
            throw StoreError(code: SQLITE_ERROR, message: "migration '\(migration.name)' failed: \(error)",
                             sql: migration.sql, path: path)
        }
    }
}
