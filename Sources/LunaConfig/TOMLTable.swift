/// A TOML table: keys in the order they were written, their values, and where
/// each key (and the table itself) was defined.
///
/// Equality compares contents only (the same keys with equal values); key order,
/// positions and file name are ignored, so a parsed table can be compared with
/// one built in code.
public struct TOMLTable: Sendable, Equatable {
    /// The keys in insertion (source) order.
    public private(set) var keys: [String] = []
    private var values: [String: TOMLValue] = [:]
    private var keyPositions: [String: SourcePosition] = [:]

    /// Where the table was defined: its `[header]` or `[[header]]`, the first
    /// segment of the dotted key that created it, or the `{` of an inline table.
    /// `.wholeFile` (line 0) for the root table.
    public var position: SourcePosition
    /// The file the table was read from (for error messages).
    public var file: String

    /// Creates an empty table.
    ///
    /// - Parameters:
    ///   - file: The file name used in error messages.
    ///   - position: Where the table was defined; `.wholeFile` for a root table.
    public init(file: String = "", position: SourcePosition = .wholeFile) {
        self.file = file
        self.position = position
    }

    /// The value for `key`, or nil when the key is absent.
    public subscript(key: String) -> TOMLValue? { values[key] }

    /// Where `key` was written, or nil when the key is absent or was set in code
    /// without a position.
    ///
    /// - Parameter key: The key, as a single (undotted) name.
    /// - Returns: The position of the key's first character.
    public func position(of key: String) -> SourcePosition? { keyPositions[key] }

    /// The number of keys.
    public var count: Int { keys.count }

    /// Whether the table has no keys.
    public var isEmpty: Bool { keys.isEmpty }

    /// Whether the table has `key`.
    public func contains(_ key: String) -> Bool { values[key] != nil }

    /// Sets `key` to `value`; a new key goes to the end of `keys`, an existing one
    /// keeps its place.
    ///
    /// - Parameters:
    ///   - key: The key.
    ///   - value: The value.
    ///   - position: Where the key was written, if known.
    public mutating func set(_ key: String, _ value: TOMLValue, at position: SourcePosition? = nil) {
        if values.updateValue(value, forKey: key) == nil { keys.append(key) }
        if let position { keyPositions[key] = position }
    }

    /// Tables are equal when they hold the same keys with equal values.
    public static func == (lhs: TOMLTable, rhs: TOMLTable) -> Bool {
        lhs.values == rhs.values
    }
}
