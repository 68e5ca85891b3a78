import Foundation

/// One result row, with its values looked up by column name.
///
/// Rows are plain values copied out of SQLite before the statement is reset, so
/// they stay valid after the query returns and may cross threads. The typed
/// accessors convert between storage classes where the conversion is lossless
/// or obvious (see each one); a missing column reads as `.null` / nil.
public struct Row: Sendable {
    /// The column names, in result order.
    public let columns: [String]
    /// The values, in the same order as ``columns``.
    public let values: [SQLValue]
    /// Column name to index; the first column wins when names repeat.
    private let index: [String: Int]

    init(columns: [String], values: [SQLValue], index: [String: Int]) {
        self.columns = columns
        self.values = values
        self.index = index
    }

    /// The value of a column, or `.null` when the row has no such column.
    ///
    /// - Parameters:
    ///   - column: The column name as SQLite reports it (use `AS` to choose it).
    /// - Returns: The value.
    public subscript(_ column: String) -> SQLValue {
        guard let i = index[column] else { return .null }
        return values[i]
    }

    /// The value at a column position.
    ///
    /// - Parameters:
    ///   - position: Zero-based column index; must be in range.
    /// - Returns: The value.
    public subscript(_ position: Int) -> SQLValue { values[position] }

    /// The column as a string.
    ///
    /// Text as is; integers and reals in their decimal form; blobs decoded as
    /// UTF-8 (lossily).
    ///
    /// - Parameters:
    ///   - column: The column name.
    /// - Returns: The string, or nil for NULL or a missing column.
    public func string(_ column: String) -> String? {
        switch self[column] {
        case .null: return nil
        case .text(let s): return s
        case .integer(let i): return String(i)
        case .real(let d): return String(d)
        case .blob(let b): return String(decoding: b, as: UTF8.self)
        }
    }

    /// The column as a 64-bit integer.
    ///
    /// Integers as is; reals only when they have no fractional part; text when it
    /// parses as an integer.
    ///
    /// - Parameters:
    ///   - column: The column name.
    /// - Returns: The integer, or nil for NULL, a missing column or no exact conversion.
    public func int(_ column: String) -> Int64? {
        switch self[column] {
        case .integer(let i): return i
        case .real(let d): return Int64(exactly: d)
        case .text(let s): return Int64(s)
        case .null, .blob: return nil
        }
    }

    /// The column as a double.
    ///
    /// Reals as is; integers converted; text when it parses as a number.
    ///
    /// - Parameters:
    ///   - column: The column name.
    /// - Returns: The double, or nil for NULL, a missing column or unparsable text.
    public func double(_ column: String) -> Double? {
        switch self[column] {
        case .real(let d): return d
        case .integer(let i): return Double(i)
        case .text(let s): return Double(s)
        case .null, .blob: return nil
        }
    }

    /// The column as bytes.
    ///
    /// Blobs as is; text as its UTF-8 bytes.
    ///
    /// - Parameters:
    ///   - column: The column name.
    /// - Returns: The bytes, or nil for NULL, a missing column or a number.
    public func data(_ column: String) -> Data? {
        switch self[column] {
        case .blob(let b): return b
        case .text(let s): return Data(s.utf8)
        case .null, .integer, .real: return nil
        }
    }

    /// The column as a flag, following SQLite's convention that 0 is false.
    ///
    /// - Parameters:
    ///   - column: The column name.
    /// - Returns: `int != 0`, or nil when ``int(_:)`` is nil.
    public func bool(_ column: String) -> Bool? {
        int(column).map { $0 != 0 }
    }
}
