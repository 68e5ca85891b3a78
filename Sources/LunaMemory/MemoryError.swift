import Foundation

/// An error from the memory room: a bad note file, an unknown note or skill, a refused approval.
///
/// `file` and `line` name the offending file when there is one, so the
/// operator can go straight to it.
public struct MemoryError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong, broadly.
    public enum Kind: String, Sendable {
        case invalid, notFound, refused, io
    }

    public var kind: Kind
    public var message: String
    public var file: String?
    public var line: Int

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - kind: The broad kind.
    ///   - message: What a person should know.
    ///   - file: The file it concerns, if any.
    ///   - line: Its 1-based line (0 when the whole file).
    public init(_ kind: Kind, _ message: String, file: String? = nil, line: Int = 0) {
        self.kind = kind
        self.message = message
        self.file = file
        self.line = line
    }

    public var description: String {
        guard let file else { return message }
        return line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)"
    }
}
