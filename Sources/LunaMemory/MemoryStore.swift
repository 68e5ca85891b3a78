import Foundation
import LunaStore

/// Memory notes in the state database, indexed with FTS5, mirrored from `memory/*.md`.
///
/// The files in the ops repo are the source of truth: `reindex()` rebuilds the
/// rows from them (the daemon runs it at start, `luna memory reindex` on
/// demand). Writing and committing the files is the caller's job (the Agent
/// owns git); this type keeps the index and answers queries.
public struct MemoryStore: Sendable {
    let db: Database
    /// The ops repo's `memory` folder (absolute).
    public let directory: String

    /// Creates a store over a migrated database.
    ///
    /// - Parameters:
    ///   - db: The state database (`MemoryStore.migrations` applied).
    ///   - directory: The ops repo's `memory` folder.
    public init(db: Database, directory: String) {
        self.db = db
        self.directory = directory
    }

    /// What the `hosts` column holds for a note about no host in particular: one
    /// FTS token, so a host filter can be part of the FTS query.
    static let anyHost = "lunaanyhost"

    static let columns = "id, slug, title, body, hosts, tags, source, status, created_at, last_used, proposal"

    static func note(_ row: Row) -> MemoryNote {
        MemoryNote(slug: row.string("slug") ?? "", title: row.string("title") ?? "", body: row.string("body") ?? "",
                   hosts: (row.string("hosts") ?? "").split(separator: " ").map(String.init).filter { $0 != anyHost },
                   tags: (row.string("tags") ?? "").split(separator: " ").map(String.init),
                   source: MemoryNote.Source(rawValue: row.string("source") ?? "") ?? .agent,
                   status: row.string("status") ?? "active", created: row.string("created_at") ?? "",
                   lastUsed: row.string("last_used"), proposal: row.int("proposal"))
    }

    /// Stores a note an agent suggests as `pending` (`source` agent), for the operator's review
    /// (`luna memory approve`); a slug already taken keeps its note.
    public func suggest(slug: String, title: String, body: String, host: String, tags: String, at: String) throws {
        try db.run("""
            INSERT INTO memory_notes(slug, title, body, hosts, tags, source, status, created_at)
            VALUES (?,?,?,?,?,'agent','pending',?) ON CONFLICT(slug) DO NOTHING
            """, [.text(slug), .text(title), .text(body), .text(host), .text(tags), .text(at)])
    }

    /// Adds or updates a note's row (keeping its `last_used`); the FTS index follows by trigger.
    ///
    /// - Throws: `MemoryError.invalid` for a bad slug or an empty title.
    public func index(_ note: MemoryNote) throws {
        guard MemoryNote.isValidSlug(note.slug) else { throw MemoryError(.invalid, "'\(note.slug)' is not a valid note slug (lowercase letters, digits and '-', optionally one folder/)") }
        guard !note.title.trimmingCharacters(in: .whitespaces).isEmpty else { throw MemoryError(.invalid, "a note needs a title") }
        try db.run("""
            INSERT INTO memory_notes(slug, title, body, hosts, tags, source, status, created_at, proposal)
            VALUES (?,?,?,?,?,?,?,?,?)
            ON CONFLICT(slug) DO UPDATE SET title=excluded.title, body=excluded.body, hosts=excluded.hosts,
              tags=excluded.tags, source=excluded.source, status=excluded.status, created_at=excluded.created_at,
              proposal=excluded.proposal
            WHERE title IS NOT excluded.title OR body IS NOT excluded.body OR hosts IS NOT excluded.hosts
              OR tags IS NOT excluded.tags OR source IS NOT excluded.source OR status IS NOT excluded.status
              OR created_at IS NOT excluded.created_at OR proposal IS NOT excluded.proposal
            """, [.text(note.slug), .text(note.title), .text(note.body), .text(note.hosts.isEmpty ? Self.anyHost : note.hosts.joined(separator: " ")),
                  .text(note.tags.joined(separator: " ")), .text(note.source.rawValue), .text(note.status),
                  .text(note.created), note.proposal.map { .integer($0) } ?? .null])
    }

    /// Removes a note's row; whether there was one.
    @discardableResult
    public func unindex(_ slug: String) throws -> Bool {
        try db.run("DELETE FROM memory_notes WHERE slug=?", [.text(slug)])
        return db.changes > 0
    }

    /// Marks notes used at `at` (what the agent read them for), e.g. after recon picked them.
    ///
    /// - Parameters:
    ///   - slugs: The notes' slugs; unknown ones are ignored.
    ///   - at: The timestamp stored as `last_used`.
    public func markUsed(_ slugs: [String], at: String) throws {
        guard !slugs.isEmpty else { return }
        try db.transaction {
            for slug in slugs { try db.run("UPDATE memory_notes SET last_used=? WHERE slug=?", [.text(at), .text(slug)]) }
        }
    }

    /// One note by slug.
    public func note(_ slug: String) throws -> MemoryNote? {
        try db.queryOne("SELECT \(Self.columns) FROM memory_notes WHERE slug=?", [.text(slug)]).map(Self.note)
    }

    /// Notes, newest first.
    ///
    /// - Parameters:
    ///   - status: `active` (default), `pending`, or nil for both.
    ///   - host: Only notes about this host or about no host in particular.
    ///   - tag: Only notes with this tag.
    ///   - limit: At most this many.
    public func list(status: String? = "active", host: String? = nil, tag: String? = nil, limit: Int = 1000) throws -> [MemoryNote] {
        var (clauses, params) = Self.filters(status: status, host: host, tag: tag, alias: "")
        if clauses.isEmpty { clauses = ["1"] }
        params.append(.integer(Int64(limit)))
        return try db.query("SELECT \(Self.columns) FROM memory_notes WHERE \(clauses.joined(separator: " AND ")) ORDER BY created_at DESC, id DESC LIMIT ?", params).map(Self.note)
    }

    static func filters(status: String?, host: String?, tag: String?, alias: String) -> ([String], [SQLValue]) {
        var clauses: [String] = []
        var params: [SQLValue] = []
        if let status { clauses.append("\(alias)status=?"); params.append(.text(status)) }
        if let host {
            clauses.append("(\(alias)hosts='\(anyHost)' OR instr(' '||\(alias)hosts||' ', ' '||?||' ')>0)")
            params.append(.text(host))
        }
        if let tag {
            clauses.append("instr(' '||\(alias)tags||' ', ' '||?||' ')>0")
            params.append(.text(tag.lowercased()))
        }
        return (clauses, params)
    }

    /// The most relevant active notes for a query (BM25-style, title weighted highest).
    ///
    /// Work is bounded: among the matches, only the `rankingWindow` newest are
    /// scored (see `RelevanceRanker`), so a query that matches most of 100,000
    /// notes costs about as much as one that matches 256.
    ///
    /// The query is user text, never FTS syntax: words are matched as words
    /// (all of them must appear), a part in double quotes as a phrase; FTS
    /// operators and punctuation are made harmless (see `ftsQuery(_:)`).
    /// - Parameters:
    ///   - query: What to look for.
    ///   - host: Only notes about this host or about no host in particular.
    ///   - tag: Only notes with this tag.
    ///   - limit: At most this many.
    ///   - touch: Mark the results used now (the agent does; the CLI does not).
    /// - Returns: The notes, best first; none when the query has no words.
    public func search(_ query: String, host: String? = nil, tag: String? = nil, limit: Int = 10, touch: String? = nil) throws -> [MemoryNote] {
        let terms = Self.ftsTerms(query)
        guard !terms.isEmpty else { return [] }
        let newest = try db.queryOne("SELECT max(id) AS top FROM memory_notes")?.int("top") ?? 0
        var fts = "(" + (try Self.selective(terms, db: db, newest: newest)).map(\.fts).joined(separator: " AND ") + ")"
        // The host and tag filters narrow the FTS match too (the SQL filter below keeps them exact).
        let hostWords = host.map { Self.words(Substring($0)) } ?? []
        if !hostWords.isEmpty {
            fts += " AND ({hosts} : \"\(hostWords.joined(separator: " "))\" OR {hosts} : \"\(Self.anyHost)\")"
        }
        let tagWords = tag.map { Self.words(Substring($0)) } ?? []
        if !tagWords.isEmpty { fts += " AND {tags} : \"\(tagWords.joined(separator: " "))\"" }
        // Bounded work: the newest `rankingWindow` matches are ranked here rather
        // than by FTS5's bm25() (whose IDF step reads the whole doclist of every
        // query word). FTS5 walks a MATCH in descending rowid order directly, so
        // the newest matches cost one pass that stops at the window.
        let (clauses, params) = Self.filters(status: "active", host: host, tag: tag, alias: "n.")
        let sql = """
            SELECT n.id, n.slug, n.title, n.body, n.hosts, n.tags, n.source, n.status, n.created_at, n.last_used, n.proposal
            FROM memory_fts JOIN memory_notes n ON n.id = memory_fts.rowid
            WHERE memory_fts MATCH ?\(clauses.map { " AND " + $0 }.joined())
            ORDER BY memory_fts.rowid DESC LIMIT ?
            """
        let candidates = try db.query(sql, [.text(fts)] + params + [.integer(Int64(Self.rankingWindow))])
        let rows = Array(RelevanceRanker(terms: terms.flatMap(\.words)).rank(candidates, requireAll: true).prefix(limit))
        if let touch, !rows.isEmpty {
            let ids = rows.compactMap { $0.int("id") }.map(String.init).joined(separator: ",")
            try db.run("UPDATE memory_notes SET last_used=? WHERE id IN (\(ids))", [.text(touch)])
        }
        return rows.map(Self.note)
    }

    /// How many matches are ranked at most (the most recent ones; older matches of a very broad query are not).
    public static let rankingWindow = 128

    /// The terms worth giving FTS5: single ASCII words found in more than half
    /// of the newest 1,024 notes are left out when a rarer term remains (an
    /// AND with a stopword-like word costs a doclist seek per match). The
    /// ranker still requires and scores every word, so the result is the same.
    static func selective(_ terms: [(fts: String, words: [String])], db: Database, newest: Int64) throws -> [(fts: String, words: [String])] {
        guard terms.count > 1 else { return terms }
        var kept: [(fts: String, words: [String])] = []
        for term in terms {
            guard term.words.count == 1, term.words[0].allSatisfy(\.isASCII) else { kept.append(term); continue }
            let n = try db.queryOne("SELECT count(*) AS n FROM (SELECT rowid FROM memory_fts WHERE memory_fts MATCH ? AND rowid > ? LIMIT 513)",
                                    [.text(term.fts), .integer(newest - 1024)])?.int("n") ?? 0
            if n <= 512 { kept.append(term) }
        }
        return kept.isEmpty ? [terms[0]] : kept
    }

    /// Turns user text into a safe FTS5 query; nil when it has no words.
    ///
    /// Each word becomes a quoted string (so `AND`, `NEAR`, `*`, `:`, `^`, `-`
    /// and parentheses are just text); a double-quoted part becomes one phrase.
    /// Terms are combined with AND.
    public static func ftsQuery(_ text: String) -> String? {
        let terms = ftsTerms(text)
        return terms.isEmpty ? nil : terms.map(\.fts).joined(separator: " AND ")
    }

    static func words(_ s: Substring) -> [String] {
        s.split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init)
    }

    static func ftsTerms(_ text: String) -> [(fts: String, words: [String])] {
        var terms: [(fts: String, words: [String])] = []
        for (i, part) in text.split(separator: "\"", omittingEmptySubsequences: false).enumerated() {
            let w = words(part)
            guard !w.isEmpty else { continue }
            if i % 2 == 1 {
                terms.append(("\"" + w.joined(separator: " ") + "\"", w))
            } else {
                terms += w.map { ("\"" + $0 + "\"", [$0]) }
            }
        }
        return terms
    }

    /// What `reindex()` changed.
    public struct ReindexReport: Sendable, Equatable {
        public var indexed: Int = 0
        public var updated: [String] = []
        public var removed: [String] = []
        /// Files skipped, with file:line.
        public var problems: [MemoryError] = []
    }

    /// Rebuilds the index of active notes from `memory/**/*.md` (README.md excluded).
    ///
    /// New and edited files are (re)indexed, rows whose file is gone are
    /// removed, pending notes (which have no file yet) are kept. A malformed
    /// file is reported with file:line and skipped; its old row stays.
    public func reindex(now: String) throws -> ReindexReport {
        var report = ReindexReport()
        var seen = Set<String>()
        let fm = FileManager.default
        let files = (fm.enumerator(atPath: directory)?.allObjects as? [String] ?? []).sorted()
        try db.transaction {
            for relative in files where relative.hasSuffix(".md") && (relative as NSString).lastPathComponent != "README.md" {
                let slug = String(relative.dropLast(3))
                let path = directory + "/" + relative
                guard MemoryNote.isValidSlug(slug) else {
                    report.problems.append(MemoryError(.invalid, "file name is not a valid slug (lowercase letters, digits and '-', at most one folder)", file: path))
                    continue
                }
                seen.insert(slug)
                guard let data = fm.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                    report.problems.append(MemoryError(.io, "cannot read as UTF-8", file: path))
                    continue
                }
                do {
                    // A file without `created` keeps the date it was first indexed.
                    let before = try self.note(slug)
                    let note = try MemoryNote.parse(text, slug: slug, file: path, fallbackCreated: before?.created ?? now)
                    try index(note)
                    report.indexed += 1
                    if before != nil && db.changes > 0 { report.updated.append(slug) }
                } catch let error as MemoryError {
                    report.problems.append(error)
                }
            }
            for row in try db.query("SELECT slug FROM memory_notes WHERE status='active'") {
                guard let slug = row.string("slug"), !seen.contains(slug) else { continue }
                try unindex(slug)
                report.removed.append(slug)
            }
        }
        return report
    }
}
