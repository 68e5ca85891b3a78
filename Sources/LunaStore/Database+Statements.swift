import CLunaSQLite
import Foundation

extension Database {
    /// Runs one statement with positional `?` parameters, discarding any rows.
    ///
    /// The prepared statement is cached by SQL text, so pass values as
    /// parameters rather than splicing them into `sql`.
    ///
    /// - Parameters:
    ///   - sql: Exactly one statement.
    ///   - params: One value per `?`, in order.
    /// - Throws: ``StoreError``, e.g. `SQLITE_CONSTRAINT_UNIQUE`, or `SQLITE_MISUSE`
    ///   when the parameter count is wrong or `sql` holds more than one statement.
    public func run(_ sql: String, _ params: [SQLValue] = []) throws(StoreError) {
        try withStatement(sql, params) { (statement) throws(StoreError) in
            while try step(statement, sql: sql) {}
        }
    }

    /// Runs one statement with positional `?` parameters given inline.
    ///
    /// - Parameters:
    ///   - sql: Exactly one statement.
    ///   - params: One value per `?`, in order.
    /// - Throws: ``StoreError``, as the array form of `run`.
    public func run(_ sql: String, _ params: SQLValue...) throws(StoreError) {
        try run(sql, params)
    }

    /// Runs one query and returns all its rows.
    ///
    /// - Parameters:
    ///   - sql: Exactly one statement.
    ///   - params: One value per `?`, in order.
    /// - Returns: The rows, copied out (valid after the call).
    /// - Throws: ``StoreError``.
    public func query(_ sql: String, _ params: [SQLValue] = []) throws(StoreError) -> [Row] {
        try withStatement(sql, params) { (statement) throws(StoreError) -> [Row] in
            let (columns, index) = Self.columns(of: statement)
            var rows: [Row] = []
            while try step(statement, sql: sql) {
                rows.append(Row(columns: columns, values: Self.values(of: statement, count: columns.count), index: index))
            }
            return rows
        }
    }

    /// Runs one query with parameters given inline and returns all its rows.
    ///
    /// - Parameters:
    ///   - sql: Exactly one statement.
    ///   - params: One value per `?`, in order.
    /// - Returns: The rows.
    /// - Throws: ``StoreError``.
    public func query(_ sql: String, _ params: SQLValue...) throws(StoreError) -> [Row] {
        try query(sql, params)
    }

    /// Runs one query and returns its first row, without reading the rest.
    ///
    /// - Parameters:
    ///   - sql: Exactly one statement.
    ///   - params: One value per `?`, in order.
    /// - Returns: The first row, or nil when there is none.
    /// - Throws: ``StoreError``.
    public func queryOne(_ sql: String, _ params: [SQLValue] = []) throws(StoreError) -> Row? {
        try withStatement(sql, params) { (statement) throws(StoreError) -> Row? in
            guard try step(statement, sql: sql) else { return nil }
            let (columns, index) = Self.columns(of: statement)
            return Row(columns: columns, values: Self.values(of: statement, count: columns.count), index: index)
        }
    }

    /// Runs one query with parameters given inline and returns its first row.
    ///
    /// - Parameters:
    ///   - sql: Exactly one statement.
    ///   - params: One value per `?`, in order.
    /// - Returns: The first row, or nil.
    /// - Throws: ``StoreError``.
    public func queryOne(_ sql: String, _ params: SQLValue...) throws(StoreError) -> Row? {
        try queryOne(sql, params)
    }

    /// How many prepared statements are cached now (for tests and diagnostics).
    var cachedStatementCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return cache.count
    }

    // MARK: - Statement plumbing (all under the lock)

    /// Prepares (or reuses) the statement for `sql`, binds `params`, runs `body`,
    /// then resets the statement and clears its bindings so it holds no read
    /// snapshot or values between uses.
    private func withStatement<T>(
        _ sql: String, _ params: [SQLValue], _ body: (OpaquePointer) throws(StoreError) -> T
    ) throws(StoreError) -> T {
        try locked { () throws(StoreError) -> T in
            let statement = try preparedStatement(for: sql)
            defer {
                // sqlite3_reset repeats the last step's error code, already reported by step().
                sqlite3_reset(statement)
                sqlite3_clear_bindings(statement)
            }
            try bind(params, to: statement, sql: sql)
            return try body(statement)
        }
    }

    private func preparedStatement(for sql: String) throws(StoreError) -> OpaquePointer {
        if let cached = cache.statement(for: sql) { return cached }
        let db = try connection(sql: sql)
        var statement: OpaquePointer?
        var trailing = false
        let rc = sql.withCString { text -> Int32 in
            var tail: UnsafePointer<CChar>?
            let rc = sqlite3_prepare_v3(db, text, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, &tail)
            if rc == SQLITE_OK, let tail { trailing = Self.holdsStatement(tail, db) }
            return rc
        }
        try check(rc, sql: sql)
        guard let statement else {
            throw StoreError(code: SQLITE_MISUSE, message: "no SQL statement to run (empty or only comments)",
                             sql: sql, path: path)
        }
        if trailing {
            sqlite3_finalize(statement)
            throw StoreError(code: SQLITE_MISUSE,
                             message: "run/query take exactly one statement; use execute(_:) for several",
                             sql: sql, path: path)
        }
        cache.insert(statement, for: sql)
        return statement
    }

    /// Whether the text after the first statement holds another statement (not
    /// just whitespace, `;` or comments).
    private static func holdsStatement(_ tail: UnsafePointer<CChar>, _ db: OpaquePointer) -> Bool {
        var rest = tail
        while rest.pointee != 0, rest.pointee == 0x3B || isspace(Int32(UInt8(bitPattern: rest.pointee))) != 0 {
            rest += 1
        }
        if rest.pointee == 0 { return false }
        var next: OpaquePointer?
        let rc = sqlite3_prepare_v2(db, rest, -1, &next, nil)
        sqlite3_finalize(next)
        return rc != SQLITE_OK || next != nil
    }

    private func bind(_ params: [SQLValue], to statement: OpaquePointer, sql: String) throws(StoreError) {
        let expected = Int(sqlite3_bind_parameter_count(statement))
        guard expected == params.count else {
            throw StoreError(code: SQLITE_MISUSE,
                             message: "statement has \(expected) parameter(s) but \(params.count) value(s) were given",
                             sql: sql, path: path)
        }
        let transient = luna_sqlite_transient()
        for (offset, value) in params.enumerated() {
            let position = Int32(offset + 1)
            let rc: Int32
            switch value {
            case .null:
                rc = sqlite3_bind_null(statement, position)
            case .integer(let number):
                rc = sqlite3_bind_int64(statement, position, number)
            case .real(let number):
                rc = sqlite3_bind_double(statement, position, number)
            case .text(let string):
                var string = string
                rc = string.withUTF8 { bytes -> Int32 in
                    // A nil base address would bind NULL; an empty string must stay ''.
                    guard let base = bytes.baseAddress, !bytes.isEmpty else {
                        return sqlite3_bind_text(statement, position, "", 0, transient)
                    }
                    return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                        sqlite3_bind_text64(statement, position, $0, UInt64(bytes.count), transient, UInt8(SQLITE_UTF8))
                    }
                }
            case .blob(let data):
                rc = data.withUnsafeBytes { bytes -> Int32 in
                    // A nil base address would bind NULL; an empty blob must stay x''.
                    guard let base = bytes.baseAddress, !bytes.isEmpty else {
                        return sqlite3_bind_zeroblob(statement, position, 0)
                    }
                    return sqlite3_bind_blob64(statement, position, base, UInt64(bytes.count), transient)
                }
            }
            try check(rc, sql: sql)
        }
    }

    /// Steps once: true for a row, false when done, throws on error.
    private func step(_ statement: OpaquePointer, sql: String) throws(StoreError) -> Bool {
        let rc = sqlite3_step(statement)
        if rc == SQLITE_ROW { return true }
        try check(rc, sql: sql)
        return false
    }

    private static func columns(of statement: OpaquePointer) -> ([String], [String: Int]) {
        let count = Int(sqlite3_column_count(statement))
        var names: [String] = []
        names.reserveCapacity(count)
        var index: [String: Int] = [:]
        for i in 0..<count {
            let name = sqlite3_column_name(statement, Int32(i)).map { String(cString: $0) } ?? "column\(i)"
            names.append(name)
            if index[name] == nil { index[name] = i }
        }
        return (names, index)
    }

    private static func values(of statement: OpaquePointer, count: Int) -> [SQLValue] {
        var values: [SQLValue] = []
        values.reserveCapacity(count)
        for i in 0..<Int32(count) {
            switch sqlite3_column_type(statement, i) {
            case SQLITE_INTEGER:
                values.append(.integer(sqlite3_column_int64(statement, i)))
            case SQLITE_FLOAT:
                values.append(.real(sqlite3_column_double(statement, i)))
            case SQLITE_TEXT:
                let text = sqlite3_column_text(statement, i)  // before _bytes, as SQLite documents
                let length = Int(sqlite3_column_bytes(statement, i))
                guard let text else { values.append(.text("")); continue }
                // Lossy: invalid UTF-8 becomes U+FFFD instead of trapping.
                values.append(.text(String(decoding: UnsafeBufferPointer(start: text, count: length), as: UTF8.self)))
            case SQLITE_BLOB:
                let bytes = sqlite3_column_blob(statement, i)
                let length = Int(sqlite3_column_bytes(statement, i))
                values.append(.blob(bytes.map { Data(bytes: $0, count: length) } ?? Data()))
            default:
                values.append(.null)
            }
        }
        return values
    }
}
