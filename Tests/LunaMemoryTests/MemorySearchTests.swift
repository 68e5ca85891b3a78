import Foundation
import LunaMemory
import Testing

@Suite("memory search")
struct MemorySearchTests {
    static let corpus: [MemoryNote] = [
        MemoryNote(slug: "sudo-rs-wildcards", title: "sudo-rs doesn't support wildcard subcommand patterns",
                   body: "Write one rule per exact command line.", hosts: ["nas"], tags: ["sudo", "gotcha"], source: .operator_, created: "2026-01-01T00:00:00Z"),
        MemoryNote(slug: "pihole-v6", title: "Pi-hole v6 records live in pihole.toml",
                   body: "The hosts array in pihole.toml, not custom.list.", hosts: ["dns1"], tags: ["pihole", "dns"], source: .operator_, created: "2026-01-02T00:00:00Z"),
        MemoryNote(slug: "nginx-reload", title: "Reload nginx instead of restarting it",
                   body: "A restart drops connections; nginx -s reload does not. Command line: systemctl reload nginx.", hosts: ["web1", "web2"],
                   tags: ["nginx"], source: .agent, created: "2026-01-03T00:00:00Z"),
        MemoryNote(slug: "general-backups", title: "Backups run at 02:00",
                   body: "Avoid restarting services between 02:00 and 03:00; the backup reads them.", tags: ["backup"], source: .operator_,
                   created: "2026-01-04T00:00:00Z"),
        MemoryNote(slug: "outcomes/2026-01-05-p1-succeeded", title: "luna: succeeded on web1: chmod",
                   body: "Restored the mode of /etc/app.conf to 0600. The line of command was chmod.", hosts: ["web1"],
                   tags: ["outcome", "succeeded", "files"], source: .outcome, created: "2026-01-05T00:00:00Z"),
        MemoryNote(slug: "pending-idea", title: "nginx pending suggestion", body: "nginx", source: .agent, status: "pending", created: "2026-01-06T00:00:00Z"),
    ]

    func corpus() throws -> (MemoryStore, Scratch) {
        let scratch = try Scratch()
        let store = MemoryStore(db: scratch.db, directory: scratch.memory)
        for note in Self.corpus { try store.index(note) }
        return (store, scratch)
    }

    @Test func wordsRankTitleMatchesFirstAndSkipPendingNotes() throws {
        let (store, scratch) = try corpus()
        defer { scratch.remove() }
        let hits = try store.search("nginx")
        #expect(hits.map(\.slug) == ["nginx-reload"], "the pending note is not returned")
        let pihole = try store.search("pihole toml")
        #expect(pihole.first?.slug == "pihole-v6")
        // A title match outranks a body match, even of a newer note.
        #expect(try store.search("restarting").map(\.slug) == ["nginx-reload", "general-backups"])
        // All words must appear.
        #expect(try store.search("pihole nginx").isEmpty)
    }

    @Test func hostFilterKeepsThatHostAndGeneralNotes() throws {
        let (store, scratch) = try corpus()
        defer { scratch.remove() }
        let web1 = try store.search("restarting", host: "web1")
        #expect(Set(web1.map(\.slug)) == ["nginx-reload", "general-backups"])
        let nas = try store.search("restarting", host: "nas")
        #expect(nas.map(\.slug) == ["general-backups"])
        #expect(try store.search("nginx", host: "dns1").isEmpty)
        #expect(try store.list(host: "web2").map(\.slug).sorted() == ["general-backups", "nginx-reload"])
    }

    @Test func tagFilter() throws {
        let (store, scratch) = try corpus()
        defer { scratch.remove() }
        #expect(try store.search("line", tag: "outcome").map(\.slug) == ["outcomes/2026-01-05-p1-succeeded"])
        #expect(try store.search("line", tag: "GOTCHA").map(\.slug) == ["sudo-rs-wildcards"])
        #expect(try store.list(tag: "dns").map(\.slug) == ["pihole-v6"])
    }

    @Test func phraseQueriesMatchWordsInOrder() throws {
        let (store, scratch) = try corpus()
        defer { scratch.remove() }
        let words = try store.search("command line")
        #expect(Set(words.map(\.slug)) == ["sudo-rs-wildcards", "nginx-reload", "outcomes/2026-01-05-p1-succeeded"])
        let phrase = try store.search("\"command line\"")
        #expect(Set(phrase.map(\.slug)) == ["sudo-rs-wildcards", "nginx-reload"], "'line of command' is not the phrase")
    }

    /// Operators and punctuation are plain text: never a syntax error, never a wider match.
    /// Operator words (AND, NEAR, OR, NOT, column names) become words that must appear.
    @Test(arguments: [
        ("nginx*", true), ("^nginx", true), ("(nginx", true), ("\"nginx", true), ("nginx\"\"\"", true), ("{nginx}", true),
        ("nginx;'--", true), ("nginx \0 \u{1F600}", true), ("nginx -restart", true), ("nginx NOT reload", true),
        ("nginx AND", false), ("NEAR(nginx reload)", false), ("title:nginx", false), ("nginx OR pihole", false),
    ])
    func ftsSyntaxInUserInputIsHarmless(query: String, findsIt: Bool) throws {
        let (store, scratch) = try corpus()
        defer { scratch.remove() }
        let hits = try store.search(query)
        #expect(hits.map(\.slug) == (findsIt ? ["nginx-reload"] : []), "\(query) → \(hits.map(\.slug))")
    }

    @Test func queriesWithoutWordsFindNothing() throws {
        let (store, scratch) = try corpus()
        defer { scratch.remove() }
        for q in ["", "   ", "***", "\"\"", "(-:^)"] {
            #expect(try store.search(q).isEmpty)
            #expect(MemoryStore.ftsQuery(q) == nil)
        }
        #expect(MemoryStore.ftsQuery("a \"b c\" d*") == "\"a\" AND \"b c\" AND \"d\"")
    }

    @Test func searchCanMarkNotesUsed() throws {
        let (store, scratch) = try corpus()
        defer { scratch.remove() }
        _ = try store.search("pihole", touch: "2026-02-01T00:00:00Z")
        #expect(try store.note("pihole-v6")?.lastUsed == "2026-02-01T00:00:00Z")
        #expect(try store.note("nginx-reload")?.lastUsed == nil)
    }

    /// Very common words are left out of the FTS match for speed; results must not change.
    @Test func commonWordsStillHaveToAppear() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let store = MemoryStore(db: scratch.db, directory: scratch.memory)
        for i in 0..<700 {
            let words = ["alpha"] + (i % 2 == 0 ? ["beta"] : []) + (i % 250 == 3 ? ["gamma"] : []) + (i % 2 == 1 && i % 7 == 0 ? ["delta"] : [])
            try store.index(MemoryNote(slug: "n\(i)", title: "note \(i)", body: words.joined(separator: " "), source: .agent, created: "c"))
        }
        #expect(Set(try store.search("alpha gamma", limit: 50).map(\.slug)) == ["n3", "n253", "n503"])
        let both = try store.search("alpha beta", limit: 50)
        #expect(both.count == 50 && both.allSatisfy { $0.body.contains("beta") })
        // beta and delta never meet, though each is common or present.
        #expect(try store.search("beta delta alpha").isEmpty)
        #expect(try store.search("delta beta").isEmpty)
    }
}
