import Foundation

/// An error in a reference file, naming the file and line.
public struct BaselineError: Error, CustomStringConvertible, Sendable, Equatable {
    public var file: String
    public var line: Int
    public var message: String

    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String { line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)" }
}

/// A plain-text reference: one item a line, `#` comments and blank lines ignored.
public struct Baseline: Sendable, Equatable {
    /// One meaningful line with where it came from.
    public struct Line: Sendable, Equatable {
        public var number: Int
        public var text: String
        /// The line split on runs of blanks.
        public var fields: [String] { text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) }
    }

    public var file: String
    public var lines: [Line]

    /// Parses reference text.
    ///
    /// - Parameters:
    ///   - text: The file's content.
    ///   - file: The path used in error messages.
    /// - Throws: `BaselineError` for a line with a control character.
    public static func parse(_ text: String, file: String) throws(BaselineError) -> Baseline {
        var out: [Line] = []
        var number = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            var line = String(raw)
            if line.hasSuffix("\r") { line.removeLast() }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            if trimmed.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\t" }) {
                throw BaselineError(file: file, line: number, message: "control character in reference line")
            }
            out.append(Line(number: number, text: trimmed))
        }
        return Baseline(file: file, lines: out)
    }

    /// Reads and parses a reference file; nil when the file does not exist.
    ///
    /// - Throws: `BaselineError` when the file exists but cannot be read or parsed.
    public static func load(path: String) throws(BaselineError) -> Baseline? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BaselineError(file: path, line: 0, message: "cannot read the reference file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw BaselineError(file: path, line: 0, message: "the reference file is not UTF-8")
        }
        return try parse(text, file: path)
    }

    /// Renders items as a reference: sorted, unique, one a line.
    public static func render(_ items: [String], header: String? = nil) -> String {
        var text = header.map { "# " + $0 + "\n" } ?? ""
        for item in Set(items).sorted() { text += item + "\n" }
        return text
    }
}

/// The folder of references in the ops repo: `configs/<kind>/<host>`.
public struct References: Sendable {
    /// The ops repo's `configs` folder.
    public var directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// The path of a host's reference of one kind.
    public func path(kind: String, host: String) -> String {
        directory + "/" + kind + "/" + host
    }

    /// Loads a host's reference of one kind; nil when there is none.
    public func load(kind: String, host: String) throws(BaselineError) -> Baseline? {
        try Baseline.load(path: path(kind: kind, host: host))
    }
}
