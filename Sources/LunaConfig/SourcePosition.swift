/// A place in a configuration file: 1-based line and column.
///
/// Columns count Unicode scalars, not bytes, so they match what an editor shows
/// for ordinary text. Line 0 means "the whole file" (used for errors that are not
/// about one spot, such as a missing key in the root table or an unreadable file).
public struct SourcePosition: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// 1-based line number; 0 for "the whole file".
    public var line: Int
    /// 1-based column (in Unicode scalars); 0 when `line` is 0.
    public var column: Int

    /// Creates a position.
    ///
    /// - Parameters:
    ///   - line: 1-based line, or 0 for the whole file.
    ///   - column: 1-based column, or 0 for the whole file.
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// The position that stands for the whole file (line 0, column 0).
    public static let wholeFile = SourcePosition(line: 0, column: 0)

    /// `"line:column"`, or `"whole file"` for line 0.
    public var description: String {
        line == 0 ? "whole file" : "\(line):\(column)"
    }
}
