/// An error in a configuration or secret file, positioned at a line and column.
///
/// `description` reads `file:line:column: message` (the form editors and
/// compilers use, so it is clickable in most terminals); when `line` is 0 the
/// error is about the whole file and reads `file: message`.
public struct ConfigError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of problem this is, for callers and tests that branch on it.
    public enum Kind: String, Sendable, Equatable {
        /// The text is not valid TOML (of the subset we accept).
        case syntax
        /// Valid TOML that this parser deliberately does not support (dates, times).
        case unsupported
        /// A key or table defined twice, or redefined as something else.
        case duplicate
        /// A required key is absent.
        case missingKey
        /// A key holds a value of the wrong type.
        case wrongType
        /// A key that the reader does not know (likely a typo).
        case unknownKey
        /// A value of the right type that fails validation (range, choice, ...).
        case invalidValue
        /// The file could not be opened or read.
        case io
        /// A secret file whose mode or owner lets others read it.
        case insecure
    }

    /// What kind of problem this is.
    public var kind: Kind
    /// The file the error is about (as given by the caller, not normalised).
    public var file: String
    /// 1-based line, or 0 when the error is about the whole file.
    public var line: Int
    /// 1-based column in Unicode scalars, or 0 when `line` is 0.
    public var column: Int
    /// What is wrong and, where possible, what was expected or how to fix it.
    public var message: String

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - file: The file the error is about.
    ///   - line: 1-based line, or 0 for the whole file.
    ///   - column: 1-based column, or 0 for the whole file.
    ///   - message: What is wrong, written for the person who edits the file.
    ///   - kind: The category; `.invalidValue` by default (the caller's own checks).
    public init(file: String, line: Int, column: Int, message: String, kind: Kind = .invalidValue) {
        self.kind = kind
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    /// Creates an error at a source position.
    ///
    /// - Parameters:
    ///   - file: The file the error is about.
    ///   - position: Where in the file; `.wholeFile` for no particular spot.
    ///   - message: What is wrong, written for the person who edits the file.
    ///   - kind: The category; `.invalidValue` by default.
    public init(file: String, position: SourcePosition, message: String, kind: Kind = .invalidValue) {
        self.init(file: file, line: position.line, column: position.column, message: message, kind: kind)
    }

    /// The line and column as a ``SourcePosition``.
    public var position: SourcePosition { SourcePosition(line: line, column: column) }

    /// `file:line:column: message`, or `file: message` when `line` is 0.
    public var description: String {
        line == 0 ? "\(file): \(message)" : "\(file):\(line):\(column): \(message)"
    }
}
