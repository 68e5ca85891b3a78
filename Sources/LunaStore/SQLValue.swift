import Foundation

/// One SQLite value: the five storage classes SQLite knows.
///
/// Used both for parameters bound to `?` placeholders and for the values read
/// back in a ``Row``. Literals work directly: `"text"`, `42`, `1.5`, `true`
/// (stored as integer 1) and `nil` (NULL).
public enum SQLValue: Sendable, Equatable, Hashable {
    /// SQL NULL.
    case null
    /// A 64-bit signed integer.
    case integer(Int64)
    /// An IEEE 754 double.
    case real(Double)
    /// UTF-8 text. Text read back that is not valid UTF-8 is decoded lossily
    /// (invalid bytes become U+FFFD).
    case text(String)
    /// Raw bytes.
    case blob(Data)
}

extension SQLValue: ExpressibleByStringLiteral {
    /// Creates `.text` from a string literal.
    ///
    /// - Parameters:
    ///   - value: The literal.
    public init(stringLiteral value: String) { self = .text(value) }
}

extension SQLValue: ExpressibleByIntegerLiteral {
    /// Creates `.integer` from an integer literal.
    ///
    /// - Parameters:
    ///   - value: The literal.
    public init(integerLiteral value: Int64) { self = .integer(value) }
}

extension SQLValue: ExpressibleByFloatLiteral {
    /// Creates `.real` from a floating-point literal.
    ///
    /// - Parameters:
    ///   - value: The literal.
    public init(floatLiteral value: Double) { self = .real(value) }
}

extension SQLValue: ExpressibleByBooleanLiteral {
    /// Creates `.integer(1)` for `true` and `.integer(0)` for `false`.
    ///
    /// SQLite has no boolean type; this is its own convention.
    ///
    /// - Parameters:
    ///   - value: The literal.
    public init(booleanLiteral value: Bool) { self = .integer(value ? 1 : 0) }
}

extension SQLValue: ExpressibleByNilLiteral {
    /// Creates `.null` from `nil`.
    ///
    /// - Parameters:
    ///   - nilLiteral: Unused.
    public init(nilLiteral: ()) { self = .null }
}

extension SQLValue {
    /// Creates `.integer` from a Swift `Int`.
    ///
    /// Saves writing `.integer(Int64(x))` at every call site.
    ///
    /// - Parameters:
    ///   - value: The integer.
    public init(_ value: Int) { self = .integer(Int64(value)) }

    /// Creates `.integer(1)` / `.integer(0)` from a Swift `Bool`.
    ///
    /// - Parameters:
    ///   - value: The flag.
    public init(_ value: Bool) { self = .integer(value ? 1 : 0) }

    /// Creates `.text`, or `.null` when the string is nil.
    ///
    /// - Parameters:
    ///   - value: The optional string.
    public init(_ value: String?) { self = value.map(SQLValue.text) ?? .null }

    /// True when the value is `.null`.
    public var isNull: Bool { self == .null }
}
