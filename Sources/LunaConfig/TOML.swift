/// Entry points of Luna's TOML-subset parser.
///
/// The subset is what `luna.toml` needs: comments; bare and quoted keys;
/// `[table]`, `[a.b]`, `[[array.of.tables]]`; one-line basic strings (with the
/// TOML escapes) and literal strings; decimal integers (sign, underscores);
/// booleans; arrays (mixed types, multi-line, trailing comma, comments); inline
/// tables. The rest of TOML — multi-line strings, floats, `inf`/`nan`,
/// hexadecimal/octal/binary integers, dates and times, dotted keys — is refused
/// where it is written as "`<feature>` is not supported in luna.toml; …" (kind
/// `.unsupported`), never guessed at. Every error names file:line:column and
/// what was expected.
public enum TOML {
    /// Parses TOML text.
    ///
    /// - Parameters:
    ///   - text: The document.
    ///   - file: The name used in error messages and stored in every table.
    /// - Returns: The root table (position `.wholeFile`).
    /// - Throws: ``ConfigError`` at the first problem, with line and column.
    public static func parse(_ text: String, file: String) throws(ConfigError) -> TOMLTable {
        try parse(utf8: Array(text.utf8), file: file)
    }

    /// Parses TOML from raw bytes, reporting invalid UTF-8 at its line and column.
    ///
    /// - Parameters:
    ///   - bytes: The document as UTF-8 (a leading byte-order mark is skipped).
    ///   - file: The name used in error messages and stored in every table.
    /// - Returns: The root table.
    /// - Throws: ``ConfigError`` at the first problem, with line and column.
    public static func parse(utf8 bytes: [UInt8], file: String) throws(ConfigError) -> TOMLTable {
        var parser = TOMLParser(bytes: bytes, file: file)
        return try parser.parseDocument()
    }

    /// The largest configuration file ``load(path:)`` reads: 8 MiB, far above
    /// any real estate (80,000 hosts fit in about 5 MB) and small enough that a
    /// wrong path (a log, a disk image) is refused at once instead of parsed.
    public static let maximumFileSize = 8 << 20

    /// Reads and parses a TOML file.
    ///
    /// - Parameter path: The file; also the name used in error messages.
    /// - Returns: The root table.
    /// - Throws: ``ConfigError`` of kind `.io` (line 0) when the file cannot be
    ///   read or is larger than ``maximumFileSize``, or a positioned parse error.
    public static func load(path: String) throws(ConfigError) -> TOMLTable {
        let bytes = try ConfigFileReader.read(path, what: "config file", limit: maximumFileSize)
        return try parse(utf8: bytes, file: path)
    }
}
