import Foundation
import LunaMemory
import Testing

@Suite("memory files ↔ index")
struct ReconcileTests {
    static func file(_ title: String, hosts: String = "", body: String) -> String {
        "---\ntitle: \(title)\n\(hosts.isEmpty ? "" : "hosts: \(hosts)\n")tags: gotcha\nsource: operator\n---\n\n\(body)\n"
    }

    /// A note's file holds no control character: a model's or a host's escape sequence is written as `\u{1b}`.
    @Test func aNoteFileIsInert() throws {
        let note = MemoryNote(slug: "agent/x", title: "Title\u{1B}[31m\nsecond", body: "one\u{1B}]0;X\u{07}\r\ntwo\u{9B}2J \u{202E}",
                              hosts: ["web\u{1B}[8m"], tags: ["t\u{85}"], source: .agent, created: "2026-01-01T00:00:00Z")
        let text = note.render()
        #expect(!text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" || (0x7F...0x9F).contains($0.value) || $0.value == 0x202E },
                "\(text.debugDescription)")
        #expect(text.contains(#"title: Title\u{1b}[31m second"#), "\(text)")
        #expect(text.contains(#"one\u{1b}]0;X\u{7}\u{d}"# + "\n" + #"two\u{9b}2J \u{202e}"#), "\(text)")
        let parsed = try MemoryNote.parse(text, slug: "agent/x", file: "f", fallbackCreated: "")
        #expect(parsed.hosts == [#"web\u{1b}[8m"#] && parsed.tags == [#"t\u{85}"#])
    }

    @Test func editsAndDeletionsInTheFilesAreReflectedAfterReindex() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let store = MemoryStore(db: scratch.db, directory: scratch.memory)
        try scratch.write("README.md", "Not a note.\n")
        try scratch.write("alpha.md", Self.file("Alpha gotcha", hosts: "web1, web2", body: "zebra crossing"))
        try scratch.write("beta.md", Self.file("Beta gotcha", body: "giraffe"))
        try scratch.write("outcomes/2026-01-01-p1-succeeded.md", Self.file("An outcome", body: "okapi"))
        var report = try store.reindex(now: "2026-01-01T00:00:00Z")
        #expect(report.indexed == 3 && report.problems.isEmpty, "\(report)")
        #expect(try store.search("zebra").first?.hosts == ["web1", "web2"])
        #expect(try store.search("okapi").first?.slug == "outcomes/2026-01-01-p1-succeeded")

        // A pending note has no file yet: reindex keeps it.
        try store.index(MemoryNote(slug: "pending", title: "Suggested", body: "lemur", source: .agent, status: "pending", created: "x"))

        // Edit alpha, delete beta (as a git checkout would).
        try scratch.write("alpha.md", Self.file("Alpha gotcha, revised", hosts: "web3", body: "yak shaving"))
        try FileManager.default.removeItem(atPath: scratch.memory + "/beta.md")
        report = try store.reindex(now: "2026-01-02T00:00:00Z")
        #expect(report.updated == ["alpha"])
        #expect(report.removed == ["beta"])
        #expect(try store.search("zebra").isEmpty)
        #expect(try store.search("yak").first?.title == "Alpha gotcha, revised")
        #expect(try store.search("yak").first?.hosts == ["web3"])
        #expect(try store.search("giraffe").isEmpty)
        #expect(try store.note("beta") == nil)
        #expect(try store.note("pending")?.status == "pending")

        // Unchanged files change nothing.
        report = try store.reindex(now: "2026-01-03T00:00:00Z")
        #expect(report.updated.isEmpty && report.removed.isEmpty)
    }

    @Test func aMalformedFileIsReportedWithFileAndLineAndSkipped() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let store = MemoryStore(db: scratch.db, directory: scratch.memory)
        try scratch.write("good.md", Self.file("Good", body: "walrus"))
        try scratch.write("bad-source.md", "---\ntitle: Bad\nsource: model\n---\nbody\n")
        try scratch.write("no-front-matter.md", "just text\n")
        try scratch.write("Bad Name.md", Self.file("Bad name", body: "x"))
        try scratch.write("unknown-key.md", "---\ntitle: T\ncolour: red\n---\n")
        let report = try store.reindex(now: "2026-01-01T00:00:00Z")
        #expect(report.indexed == 1)
        let problems = report.problems.map(\.description)
        #expect(problems.contains { $0.hasSuffix("bad-source.md:3: source must be operator, agent, outcome or denial, found 'model'") }, "\(problems)")
        #expect(problems.contains { $0.contains("no-front-matter.md:1: expected front matter") })
        #expect(problems.contains { $0.contains("Bad Name.md: file name is not a valid slug") })
        #expect(problems.contains { $0.contains("unknown-key.md:3: unknown key 'colour'") })
        #expect(try store.search("walrus").count == 1)
    }

    @Test func aNoteRoundTripsThroughItsFile() throws {
        let note = MemoryNote(slug: "outcomes/x-1", title: "T: with colon", body: "Body\n\nmore", hosts: ["a", "b"], tags: ["t1"],
                              source: .denial, created: "2026-01-01T00:00:00Z", proposal: 7)
        let parsed = try MemoryNote.parse(note.render(), slug: "outcomes/x-1", file: "f", fallbackCreated: "")
        #expect(parsed == note)
        #expect(MemoryNote.slug(from: "Pi-hole v6: records!") == "pi-hole-v6-records")
    }

    @Test func shippedExampleNotesLoad() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let scratch = try Scratch()
        defer { scratch.remove() }
        let store = MemoryStore(db: scratch.db, directory: root.appendingPathComponent("memory").path)
        let report = try store.reindex(now: "now")
        #expect(report.problems.isEmpty, "\(report.problems)")
        #expect(try store.search("sudo-rs wildcard").first?.slug == "sudo-rs-no-wildcard-subcommands")
        #expect(try store.search("pihole custom.list").first?.slug == "pihole-v6-records-in-pihole-toml")
    }
}
