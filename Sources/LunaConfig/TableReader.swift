/// Reads typed values out of a ``TOMLTable``, turning every problem into a
/// ``ConfigError`` that names the file, the line and column, and the table's
/// dotted path.
///
/// Messages read like `luna.toml:12:1: [hosts[2]] missing required key 'name' (a string)`.
/// The path uses TOML's own spelling: `discord`, `discord.limits`, `hosts[2]`
/// (0-based index into an array of tables). Missing-key errors point at the
/// table's header; wrong-type and unknown-key errors point at the key.
///
/// A typical typed section:
/// ```swift
/// let discord = try root.table("discord")!
/// try discord.checkKnownKeys(["channel", "token_file", "poll_seconds"])
/// let channel = try discord.string("channel")
/// let poll = try discord.optionalInt("poll_seconds", in: 1...300) ?? 5
/// ```
public struct TableReader: Sendable {
    /// The table being read.
    public let table: TOMLTable
    /// The dotted path of the table ("" for the root), used in messages.
    public let path: String

    /// Reads the root table of a document.
    ///
    /// - Parameter table: Usually the result of ``TOML/load(path:)``.
    public init(_ table: TOMLTable) {
        self.init(table, path: "")
    }

    /// Reads a table known by `path` (for tables reached without this reader).
    ///
    /// - Parameters:
    ///   - table: The table.
    ///   - path: Its dotted path for messages, e.g. `"discord"` or `"hosts[2]"`.
    public init(_ table: TOMLTable, path: String) {
        self.table = table
        self.path = path
    }

    /// The file the table came from.
    public var file: String { table.file }

    /// The keys in source order.
    public var keys: [String] { table.keys }

    /// Where the table was defined (`.wholeFile` for the root).
    public var position: SourcePosition { table.position }

    /// Whether `key` is present.
    public func contains(_ key: String) -> Bool { table.contains(key) }

    /// The raw value of `key`, or nil.
    public func value(_ key: String) -> TOMLValue? { table[key] }

    /// The dotted path of `key` inside this table, e.g. `discord.token_file`.
    ///
    /// - Parameter key: A key of this table.
    /// - Returns: The path, with the key quoted when it is not a bare key.
    public func path(of key: String) -> String {
        let shown = TOMLParser.displayKey(key)
        return path.isEmpty ? shown : path + "." + shown
    }

    // MARK: Errors

    /// An error about `key` (or about the table when `key` is nil or absent), for
    /// the caller's own validation.
    ///
    /// The message should read as a predicate of the key: `error("port", "must be
    /// between 1 and 65535")` gives `file:L:C: [hosts[2]] 'port' must be between
    /// 1 and 65535`, positioned at the key.
    ///
    /// - Parameters:
    ///   - key: The key the problem is about, or nil for the table as a whole.
    ///   - message: What is wrong.
    /// - Returns: An `.invalidValue` error; throw it.
    public func error(_ key: String?, _ message: String) -> ConfigError {
        error(key, message, kind: .invalidValue)
    }

    func error(_ key: String?, _ message: String, kind: ConfigError.Kind) -> ConfigError {
        var text = path.isEmpty ? "" : "[\(path)] "
        if let key { text += "'\(key)' " }
        text += message
        let where_ = key.flatMap { table.position(of: $0) } ?? table.position
        return ConfigError(file: file, position: where_, message: text, kind: kind)
    }

    private func missing(_ key: String, _ expected: String) -> ConfigError {
        let prefix = path.isEmpty ? "" : "[\(path)] "
        return ConfigError(
            file: file, position: table.position,
            message: "\(prefix)missing required key '\(key)' (\(expected))", kind: .missingKey)
    }

    private func wrongType(_ key: String, _ expected: String, found value: TOMLValue) -> ConfigError {
        error(key, "must be \(expected), found \(value.typeDescription)", kind: .wrongType)
    }

    private func optional<T>(
        _ key: String, _ expected: String, _ extract: (TOMLValue) -> T?
    ) throws(ConfigError) -> T? {
        guard let value = table[key] else { return nil }
        guard let result = extract(value) else { throw wrongType(key, expected, found: value) }
        return result
    }

    private func required<T>(
        _ key: String, _ expected: String, _ extract: (TOMLValue) -> T?
    ) throws(ConfigError) -> T {
        guard let result = try optional(key, expected, extract) else { throw missing(key, expected) }
        return result
    }

    // MARK: Scalars

    /// The string at `key`.
    ///
    /// - Parameter key: The key.
    /// - Returns: The string.
    /// - Throws: ``ConfigError`` when the key is missing or not a string.
    public func string(_ key: String) throws(ConfigError) -> String {
        try required(key, "a string") { $0.stringValue }
    }

    /// The string at `key`, or nil when absent.
    ///
    /// - Throws: ``ConfigError`` when the key holds something other than a string.
    public func optionalString(_ key: String) throws(ConfigError) -> String? {
        try optional(key, "a string") { $0.stringValue }
    }

    /// The integer at `key`.
    ///
    /// - Throws: ``ConfigError`` when the key is missing or not an integer.
    public func int(_ key: String) throws(ConfigError) -> Int {
        try required(key, "an integer") { $0.integerValue.flatMap { Int(exactly: $0) } }
    }

    /// The integer at `key`, or nil when absent.
    ///
    /// - Throws: ``ConfigError`` when the key holds something other than an integer.
    public func optionalInt(_ key: String) throws(ConfigError) -> Int? {
        try optional(key, "an integer") { $0.integerValue.flatMap { Int(exactly: $0) } }
    }

    /// The integer at `key`, which must lie in `range`.
    ///
    /// - Throws: ``ConfigError`` when missing, not an integer, or out of range.
    public func int(_ key: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        let value = try int(key)
        try check(key, value, in: range)
        return value
    }

    /// The integer at `key` (which must lie in `range`), or nil when absent.
    ///
    /// - Throws: ``ConfigError`` when not an integer or out of range.
    public func optionalInt(_ key: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int? {
        guard let value = try optionalInt(key) else { return nil }
        try check(key, value, in: range)
        return value
    }

    private func check(_ key: String, _ value: Int, in range: ClosedRange<Int>) throws(ConfigError) {
        guard range.contains(value) else {
            throw error(key, "must be between \(range.lowerBound) and \(range.upperBound), found \(value)")
        }
    }

    /// The boolean at `key`.
    ///
    /// - Throws: ``ConfigError`` when missing or not a boolean.
    public func bool(_ key: String) throws(ConfigError) -> Bool {
        try required(key, "a boolean (true or false)") { $0.boolValue }
    }

    /// The boolean at `key`, or nil when absent.
    ///
    /// - Throws: ``ConfigError`` when the key holds something other than a boolean.
    public func optionalBool(_ key: String) throws(ConfigError) -> Bool? {
        try optional(key, "a boolean (true or false)") { $0.boolValue }
    }

    /// The string at `key` converted to an enum by raw value.
    ///
    /// - Parameters:
    ///   - key: The key.
    ///   - type: The enum; its cases are listed in the error message.
    /// - Returns: The case.
    /// - Throws: ``ConfigError`` when missing, not a string, or not one of the cases.
    public func choice<T: RawRepresentable & CaseIterable>(_ key: String, as type: T.Type) throws(ConfigError) -> T
    where T.RawValue == String {
        guard let value = try optionalChoice(key, as: type) else {
            throw missing(key, "one of \(Self.list(T.allCases.map(\.rawValue)))")
        }
        return value
    }

    /// Like ``choice(_:as:)`` but nil when the key is absent.
    ///
    /// - Throws: ``ConfigError`` when not a string or not one of the cases.
    public func optionalChoice<T: RawRepresentable & CaseIterable>(_ key: String, as type: T.Type) throws(ConfigError)
        -> T? where T.RawValue == String
    {
        let choices = T.allCases.map(\.rawValue)
        guard let raw = try optional(key, "one of \(Self.list(choices))", { $0.stringValue }) else { return nil }
        guard let value = T(rawValue: raw) else {
            throw error(key, "must be one of \(Self.list(choices)), found '\(raw)'")
        }
        return value
    }

    static func list(_ names: [String]) -> String {
        names.map { "'\($0)'" }.joined(separator: ", ")
    }

    // MARK: Arrays and tables

    /// The array of strings at `key`.
    ///
    /// - Throws: ``ConfigError`` when missing, not an array, or an element is not
    ///   a string (the message names the element, e.g. `'hosts[2]'`).
    public func stringArray(_ key: String) throws(ConfigError) -> [String] {
        guard let values = try optionalStringArray(key) else { throw missing(key, "an array of strings") }
        return values
    }

    /// The array of strings at `key`, or nil when absent.
    ///
    /// - Throws: ``ConfigError`` when not an array or an element is not a string.
    public func optionalStringArray(_ key: String) throws(ConfigError) -> [String]? {
        guard let items = try optional(key, "an array of strings", { $0.arrayValue }) else { return nil }
        var strings: [String] = []
        strings.reserveCapacity(items.count)
        for (offset, item) in items.enumerated() {
            guard let string = item.stringValue else {
                throw error(
                    key, "must be an array of strings, but element [\(offset)] is \(item.typeDescription)",
                    kind: .wrongType)
            }
            strings.append(string)
        }
        return strings
    }

    /// A reader for the table at `key`, or nil when absent.
    ///
    /// - Throws: ``ConfigError`` when the key holds something other than a table.
    public func table(_ key: String) throws(ConfigError) -> TableReader? {
        guard let child = try optional(key, "a table", { $0.tableValue }) else { return nil }
        return TableReader(child, path: path(of: key))
    }

    /// A reader for the table at `key`, which must exist.
    ///
    /// - Throws: ``ConfigError`` when missing or not a table.
    public func requiredTable(_ key: String) throws(ConfigError) -> TableReader {
        guard let child = try table(key) else { throw missing(key, "a table, [\(path(of: key))]") }
        return child
    }

    /// Readers for an array of tables (`[[key]]`, or an array of inline tables);
    /// empty when absent. Each reader's path is `key[i]`.
    ///
    /// - Throws: ``ConfigError`` when the key is not an array, or an element is not a table.
    public func tables(_ key: String) throws(ConfigError) -> [TableReader] {
        let expected = "an array of tables ([[\(path(of: key))]])"
        guard let items = try optional(key, expected, { $0.arrayValue }) else { return [] }
        var readers: [TableReader] = []
        readers.reserveCapacity(items.count)
        for (offset, item) in items.enumerated() {
            guard let child = item.tableValue else {
                throw error(key, "must be \(expected), but element [\(offset)] is \(item.typeDescription)", kind: .wrongType)
            }
            readers.append(TableReader(child, path: "\(path(of: key))[\(offset)]"))
        }
        return readers
    }
}
