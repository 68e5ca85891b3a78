import Foundation

/// A systemd unit (or drop-in) file read the simple way systemd reads it.
///
/// Keeps every `Key=value` assignment in order, per section, and the text of the
/// comment lines. Line continuations (`\` at the end) are not used by Luna's
/// files and are not supported.
struct UnitFile {
    /// One `Key=value` line.
    struct Assignment: Equatable {
        let section: String
        let key: String
        let value: String
    }

    /// All assignments in file order.
    let assignments: [Assignment]
    /// The comment lines with their `#`/`;` and one following space removed, joined by spaces.
    let commentText: String

    /// Parses unit file text.
    ///
    /// - Parameters:
    ///   - text: The file's contents.
    init(text: String) {
        var section = ""
        var assignments: [Assignment] = []
        var comments: [String] = []
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            if line.hasPrefix("#") || line.hasPrefix(";") {
                comments.append(String(line.dropFirst()).trimmingCharacters(in: .whitespaces))
            } else if line.hasPrefix("[") && line.hasSuffix("]") {
                section = String(line.dropFirst().dropLast())
            } else if let eq = line.firstIndex(of: "=") {
                let key = line[..<eq].trimmingCharacters(in: .whitespaces)
                let value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
                assignments.append(Assignment(section: section, key: key, value: value))
            }
        }
        self.assignments = assignments
        self.commentText = comments.joined(separator: " ")
    }

    /// Reads and parses a unit file.
    ///
    /// - Parameters:
    ///   - url: The file.
    /// - Throws: When the file cannot be read as UTF-8.
    init(contentsOf url: URL) throws {
        self.init(text: try String(contentsOf: url, encoding: .utf8))
    }

    /// Every value assigned to `key` in `section`, in order (empty assignments included).
    ///
    /// - Parameters:
    ///   - key: The directive, e.g. `LoadCredential`.
    ///   - section: The section, `Service` by default.
    /// - Returns: The raw values.
    func values(_ key: String, in section: String = "Service") -> [String] {
        assignments.filter { $0.section == section && $0.key == key }.map(\.value)
    }

    /// The whitespace-separated words of every `key` assignment, as systemd merges list settings.
    ///
    /// - Parameters:
    ///   - key: A list directive, e.g. `ReadWritePaths`.
    ///   - section: The section, `Service` by default.
    /// - Returns: All words of all assignments, in order.
    func words(_ key: String, in section: String = "Service") -> [String] {
        values(key, in: section).flatMap { $0.split(separator: " ").map(String.init) }
    }
}
