import CLunaSQLite

/// Prepared statements keyed by SQL text, least-recently-used evicted past a bound.
///
/// Not thread-safe on its own: it is owned by one ``Database`` and only touched
/// while that database's lock is held. Statements handed out are always reset
/// and cleared by the database before the lock is released, so an evicted
/// statement is never in use when it is finalized.
final class StatementCache {
    private struct Entry {
        let statement: OpaquePointer
        var lastUse: UInt64
    }

    private var entries: [String: Entry] = [:]
    private var clock: UInt64 = 0
    /// The most statements kept.
    let capacity: Int

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    /// How many statements are cached now.
    var count: Int { entries.count }

    /// The cached statement for `sql`, marked as just used.
    func statement(for sql: String) -> OpaquePointer? {
        guard var entry = entries[sql] else { return nil }
        clock &+= 1
        entry.lastUse = clock
        entries[sql] = entry
        return entry.statement
    }

    /// Caches `statement` for `sql`, finalizing the least recently used one when full.
    func insert(_ statement: OpaquePointer, for sql: String) {
        clock &+= 1
        if let old = entries[sql], old.statement != statement {
            sqlite3_finalize(old.statement)
        }
        entries[sql] = Entry(statement: statement, lastUse: clock)
        while entries.count > capacity {
            // Linear scan: with ~64 entries this is cheaper than keeping a list in order.
            guard let victim = entries.min(by: { $0.value.lastUse < $1.value.lastUse }) else { break }
            sqlite3_finalize(victim.value.statement)
            entries.removeValue(forKey: victim.key)
        }
    }

    /// Drops (and finalizes) the statement for `sql`, if cached.
    func remove(_ sql: String) {
        if let entry = entries.removeValue(forKey: sql) { sqlite3_finalize(entry.statement) }
    }

    /// Finalizes every statement; required before `sqlite3_close`.
    func removeAll() {
        for entry in entries.values { sqlite3_finalize(entry.statement) }
        entries.removeAll()
    }
}
