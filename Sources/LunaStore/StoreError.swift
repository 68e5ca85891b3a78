import Foundation

/// A failure reported by SQLite (or by this layer's own checks), with the
/// context needed to act on it.
///
/// `code` is SQLite's *extended* result code (e.g. 2067 for
/// `SQLITE_CONSTRAINT_UNIQUE`); ``primaryCode`` strips it to the primary family
/// (19, `SQLITE_CONSTRAINT`). Misuse of this API (wrong parameter count, a
/// closed database, duplicate migration names, …) is reported with
/// `SQLITE_MISUSE`.
public struct StoreError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The extended result code.
    public let code: Int32
    /// SQLite's message (`sqlite3_errmsg`) or this layer's explanation.
    public let message: String
    /// The SQL being run, when there was one.
    public let sql: String?
    /// The database path.
    public let path: String
    /// A sentence naming the path and the fix, for failures the operator can
    /// cure (a full disk, an unwritable directory); leads the description.
    public var explanation: String?

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: Extended result code.
    ///   - message: What went wrong.
    ///   - sql: The SQL involved, if any.
    ///   - path: The database path.
    public init(code: Int32, message: String, sql: String?, path: String) {
        self.code = code
        self.message = message
        self.sql = sql
        self.path = path
    }

    /// The primary result code (the low 8 bits of ``code``).
    public var primaryCode: Int32 { code & 0xff }

    /// The symbolic name of ``code``, e.g. `SQLITE_CONSTRAINT_UNIQUE`.
    ///
    /// Unknown extended codes fall back to the primary name with the number.
    public var codeName: String { Self.name(of: code) }

    /// True for `SQLITE_BUSY` and its extended forms: another connection holds
    /// the lock beyond the busy timeout; retrying later may succeed.
    public var isBusy: Bool { primaryCode == 5 }

    /// True for any constraint violation (`SQLITE_CONSTRAINT_*`).
    public var isConstraint: Bool { primaryCode == 19 }

    /// One line naming the database, the code and the SQL, e.g.
    /// `SQLite SQLITE_CONSTRAINT_UNIQUE (2067) on /var/lib/luna/luna.db: UNIQUE constraint failed: t.x — SQL: INSERT INTO t …`.
    ///
    /// With an ``explanation`` the sentence comes first and the SQLite detail
    /// follows in parentheses: `disk full at /var/lib/luna: free space 0 bytes of
    /// 64 KiB; … (SQLite SQLITE_IOERR_SHMSIZE (4874) on …: disk I/O error)`.
    public var description: String {
        if let explanation { return explanation + " (" + detail + ")" }
        return detail
    }

    /// The SQLite part of ``description``: code, path, message and SQL.
    private var detail: String {
        var text = "SQLite \(codeName) (\(code)) on \(path): \(message)"
        if let sql {
            let oneLine = sql.split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }
                .joined(separator: " ")
            let shown = oneLine.count > 300 ? String(oneLine.prefix(300)) + "…" : oneLine
            text += " — SQL: \(shown)"
        }
        return text
    }

    /// The symbolic name of a result code.
    ///
    /// - Parameters:
    ///   - code: A primary or extended result code.
    /// - Returns: E.g. `SQLITE_BUSY`, or `SQLITE_IOERR+(4874)` for an unknown extension.
    public static func name(of code: Int32) -> String {
        if let name = codeNames[code] { return name }
        if let primary = codeNames[code & 0xff] { return "\(primary)+(\(code))" }
        return "SQLITE_UNKNOWN(\(code))"
    }
}
