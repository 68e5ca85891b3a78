/// A syntax error in a sudoers reference, located by file, line and column.
///
/// A reference with a syntax error allows nothing: the gate refuses every
/// command for that host and shows this error's `description`.
public struct SudoersError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file the error is in (as given to `load` or `parse`).
    public var file: String
    /// The 1-based line number.
    public var line: Int
    /// The 1-based column number.
    public var column: Int
    /// What was expected, in words.
    public var message: String

    /// Creates an error at a position.
    ///
    /// - Parameters:
    ///   - file: The file name.
    ///   - line: The 1-based line.
    ///   - column: The 1-based column.
    ///   - message: What was expected or went wrong.
    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    /// `file:line:column: message`.
    public var description: String { "\(file):\(line):\(column): \(message)" }
}
