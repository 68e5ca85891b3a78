import Foundation
import LunaText

/// One thing Luna remembers: a gotcha, an outcome, a denial reason.
///
/// Mirrored as `memory/<slug>.md` in the ops repo (front matter + Markdown
/// body); the file is the source of truth and the SQLite row its index.
/// A slug is lowercase words joined by `-`, optionally under one folder
/// (`outcomes/2026-01-01-p3-succeeded`).
public struct MemoryNote: Sendable, Codable, Equatable {
    /// Who wrote the note.
    public enum Source: String, Sendable, Codable, CaseIterable {
        case operator_ = "operator", agent, outcome, denial
    }

    public var slug: String
    public var title: String
    public var body: String
    /// Host names the note is about; empty means it applies everywhere.
    public var hosts: [String]
    public var tags: [String]
    public var source: Source
    /// `active`, or `pending` for a model-suggested note awaiting `luna memory approve`.
    public var status: String
    /// ISO 8601 UTC.
    public var created: String
    /// When a search last returned it (index only, never in the file).
    public var lastUsed: String?
    /// The proposal an outcome note records, if any.
    public var proposal: Int64?

    /// Creates a note.
    public init(slug: String, title: String, body: String, hosts: [String] = [], tags: [String] = [],
                source: Source, status: String = "active", created: String, lastUsed: String? = nil, proposal: Int64? = nil) {
        self.slug = slug
        self.title = title
        self.body = body
        self.hosts = hosts
        self.tags = tags
        self.source = source
        self.status = status
        self.created = created
        self.lastUsed = lastUsed
        self.proposal = proposal
    }

    /// The note's file, relative to the ops repo.
    public var relativePath: String { "memory/\(slug).md" }

    /// Whether `slug` is a valid note slug.
    public static func isValidSlug(_ slug: String) -> Bool {
        slug.count <= 120 && slug.range(of: "^([a-z0-9][a-z0-9-]*/)?[a-z0-9][a-z0-9-]*$", options: .regularExpression) != nil
    }

    /// A slug made from a title: lowercase letters and digits joined by `-`, at most 60 characters.
    public static func slug(from title: String) -> String { Slug.make(title, maxLength: 60, fallback: "note") }

    /// The file text: front matter, a blank line, the body.
    ///
    /// A note holds untrusted text (a model's suggestion, command output in
    /// an outcome), and its file is read in terminals, editors and `git log -p`:
    /// every field is rendered with ``InertText`` (the body keeps its lines),
    /// so a control character or escape sequence is written as `\u{1b}`.
    public func render() -> String {
        func clean(_ s: String) -> String {
            InertText.render(s.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " "))
        }
        var text = "---\ntitle: \(clean(title))\n"
        if !hosts.isEmpty { text += "hosts: \(hosts.map(clean).joined(separator: ", "))\n" }
        if !tags.isEmpty { text += "tags: \(tags.map(clean).joined(separator: ", "))\n" }
        text += "source: \(source.rawValue)\ncreated: \(clean(created))\n"
        if let proposal { text += "proposal: \(proposal)\n" }
        return text + "---\n\n" + InertText.render(body.trimmingCharacters(in: .whitespacesAndNewlines), multiline: true) + "\n"
    }

    /// Parses a note file.
    ///
    /// - Parameters:
    ///   - text: The file's content.
    ///   - slug: The slug its path gives.
    ///   - file: The path named in errors.
    ///   - fallbackCreated: `created` when the file has none.
    /// - Throws: `MemoryError` naming the line of a missing or malformed field.
    public static func parse(_ text: String, slug: String, file: String, fallbackCreated: String) throws(MemoryError) -> MemoryNote {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.first?.trimmingCharacters(in: .whitespaces) == "---" else {
            throw MemoryError(.invalid, "expected front matter starting with '---'", file: file, line: 1)
        }
        var fields: [String: (value: String, line: Int)] = [:]
        var end: Int? = nil
        for (i, raw) in lines.enumerated().dropFirst() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line == "---" { end = i; break }
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":") else {
                throw MemoryError(.invalid, "expected 'key: value'", file: file, line: i + 1)
            }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            guard ["title", "hosts", "tags", "source", "created", "proposal"].contains(key) else {
                throw MemoryError(.invalid, "unknown key '\(key)' (known: title, hosts, tags, source, created, proposal)", file: file, line: i + 1)
            }
            guard fields[key] == nil else { throw MemoryError(.invalid, "duplicate key '\(key)'", file: file, line: i + 1) }
            fields[key] = (line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces), i + 1)
        }
        guard let end else { throw MemoryError(.invalid, "the front matter opened here is not closed with '---'", file: file, line: 1) }
        guard let title = fields["title"], !title.value.isEmpty else {
            throw MemoryError(.invalid, "missing required field 'title'", file: file, line: 1)
        }
        var source = Source.operator_
        if let s = fields["source"] {
            guard let parsed = Source(rawValue: s.value) else {
                throw MemoryError(.invalid, "source must be operator, agent, outcome or denial, found '\(s.value)'", file: file, line: s.line)
            }
            source = parsed
        }
        var proposal: Int64? = nil
        if let p = fields["proposal"] {
            guard let id = Int64(p.value) else { throw MemoryError(.invalid, "proposal must be a number", file: file, line: p.line) }
            proposal = id
        }
        func list(_ key: String) -> [String] {
            (fields[key]?.value ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        if let h = fields["hosts"], let bad = list("hosts").first(where: { $0.contains(" ") }) {
            throw MemoryError(.invalid, "host '\(bad)' contains a blank; separate hosts with commas", file: file, line: h.line)
        }
        let body = lines[(end + 1)...].joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        return MemoryNote(slug: slug, title: title.value, body: body, hosts: list("hosts"), tags: list("tags").map { $0.lowercased() },
                          source: source, created: fields["created"]?.value ?? fallbackCreated, proposal: proposal)
    }
}
