/// One TOML value.
///
/// Floats, dates and times are not part of the subset Luna accepts; the parser
/// rejects them with a clear error instead of guessing.
public indirect enum TOMLValue: Sendable, Equatable {
    /// A string (basic or literal), escapes already decoded.
    case string(String)
    /// A 64-bit signed decimal integer.
    case integer(Int64)
    /// `true` or `false`.
    case boolean(Bool)
    /// A static array `[ ... ]` or an array of tables `[[ ... ]]`; types may mix.
    case array([TOMLValue])
    /// A table: `[header]`, dotted-key table or inline `{ ... }`.
    case table(TOMLTable)

    /// The type with an article, for messages: "a string", "an integer", ...
    public var typeDescription: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .boolean: "a boolean"
        case .array: "an array"
        case .table: "a table"
        }
    }

    /// The string, if this is a string.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The integer, if this is an integer.
    public var integerValue: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }

    /// The boolean, if this is a boolean.
    public var boolValue: Bool? {
        if case .boolean(let value) = self { return value }
        return nil
    }

    /// The elements, if this is an array.
    public var arrayValue: [TOMLValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// The table, if this is a table.
    public var tableValue: TOMLTable? {
        if case .table(let value) = self { return value }
        return nil
    }
}
