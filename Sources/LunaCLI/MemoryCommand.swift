import Foundation
import LunaAgent
import LunaMemory

/// `luna memory add|list|search|show|rm|approve|reindex`.
enum MemoryCommand {
    static func run(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        let sub = try args.positional("a memory subcommand (add, list, search, show, rm, approve, reindex)")
        switch sub {
        case "add": return try add(&args, context)
        case "list": return try list(&args, context)
        case "search": return try search(&args, context)
        case "show": return try show(&args, context)
        case "rm": return try remove(&args, context)
        case "approve": return try approve(&args, context)
        case "reindex": return try reindex(&args, context)
        default: throw UsageError(message: "unknown memory subcommand '\(sub)'", command: "memory")
        }
    }

    static func csv(_ text: String?) -> [String] {
        (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    static func add(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        guard let title = try args.value("--title") else { throw UsageError(message: "memory add needs --title TEXT", command: "memory") }
        let bodyArg = try args.value("--body")
        let hosts = csv(try args.value("--hosts"))
        let tags = csv(try args.value("--tags"))
        let sourceText = try args.value("--source") ?? "operator"
        let slug = try args.value("--slug")
        let pending = args.flag("--pending")
        let json = args.flag("--json")
        try args.finish()
        guard let source = MemoryNote.Source(rawValue: sourceText) else {
            throw UsageError(message: "--source must be operator, agent, outcome or denial", command: "memory")
        }
        let body: String
        if let bodyArg, bodyArg != "-" { body = bodyArg } else {
            body = String(decoding: CLIStreams.current.readInput(), as: UTF8.self)
        }
        let agent = try context.agent()
        // A note the agent (or the model) suggests always waits for the operator.
        let (note, commit) = try agent.curation.addNote(title: title, body: body, hosts: hosts, tags: tags, source: source,
                                               pending: pending || source == .agent, slug: slug)
        if json { try printJSON(note); return Exit.ok }
        if let commit {
            emit("Added \(shown(note.relativePath)) (commit \(commit.prefix(12))).")
        } else {
            emit("Note \(shown(note.slug)) is pending: approve it with  luna memory approve \(shown(note.slug))")
        }
        return Exit.ok
    }

    static func list(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        let pending = args.flag("--pending")
        let host = try args.value("--host")
        let tag = try args.value("--tag")
        let json = args.flag("--json")
        try args.finish()
        let notes = try context.agent().memory.list(status: pending ? "pending" : "active", host: host, tag: tag)
        if json { try printJSON(notes); return Exit.ok }
        if notes.isEmpty { emit(pending ? "No pending notes." : "No notes.") }
        for n in notes { emit(line(n)) }
        return Exit.ok
    }

    static func line(_ n: MemoryNote) -> String {
        "\(shown(n.slug))  [\(n.source.rawValue)\(n.hosts.isEmpty ? "" : " · " + n.hosts.map(shown).joined(separator: ","))\(n.tags.isEmpty ? "" : " · #" + n.tags.map(shown).joined(separator: " #"))]  \(shown(n.title))"
    }

    static func search(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        let host = try args.value("--host")
        let tag = try args.value("--tag")
        let limit = try args.value("--limit").map { text -> Int in
            guard let n = Int(text), n > 0 else { throw UsageError(message: "--limit needs a positive number", command: "memory") }
            return n
        } ?? 10
        let json = args.flag("--json")
        var words: [String] = []
        while let w = try? args.positional("a query") { words.append(w) }
        try args.finish()
        guard !words.isEmpty else { throw UsageError(message: "memory search needs a query", command: "memory") }
        let notes = try context.agent().memory.search(words.joined(separator: " "), host: host, tag: tag, limit: limit)
        if json { try printJSON(notes); return Exit.ok }
        if notes.isEmpty { emit("No note matches."); return Exit.negative }
        for n in notes { emit(line(n)) }
        return Exit.ok
    }

    static func show(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        let slug = try args.positional("a note slug")
        let json = args.flag("--json")
        try args.finish()
        guard let note = try context.agent().memory.note(slug) else {
            printError("luna: no note '\(slug)' (see: luna memory list)")
            return Exit.error
        }
        if json { try printJSON(note); return Exit.ok }
        emit("# \(shown(note.title))\n\nslug: \(shown(note.slug))   status: \(shown(note.status))   source: \(note.source.rawValue)   created: \(shown(note.created))")
        if !note.hosts.isEmpty { emit("hosts: \(note.hosts.map(shown).joined(separator: ", "))") }
        if !note.tags.isEmpty { emit("tags: \(note.tags.map(shown).joined(separator: ", "))") }
        emit("\n" + shownLines(note.body))
        return Exit.ok
    }

    static func remove(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        let slug = try args.positional("a note slug")
        try args.finish()
        let commit = try context.agent().curation.removeNote(slug, by: DecideCommand.localUser())
        emit("Removed \(shown(slug))\(commit.map { " (commit \($0.prefix(12)))" } ?? "").")
        return Exit.ok
    }

    static func approve(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        let slug = try args.positional("a note slug")
        try args.finish()
        let commit = try context.agent().curation.approveNote(slug, approver: DecideCommand.localUser())
        emit("Approved \(shown(slug)): memory/\(shown(slug)).md (commit \(commit.prefix(12))).")
        return Exit.ok
    }

    static func reindex(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        let json = args.flag("--json")
        try args.finish()
        let report = try context.agent().curation.reconcileMemory()
        if json {
            struct Out: Encodable { var indexed: Int; var updated: [String]; var removed: [String]; var problems: [String] }
            try printJSON(Out(indexed: report.indexed, updated: report.updated, removed: report.removed, problems: report.problems.map(\.description)))
        } else {
            emit("Indexed \(report.indexed) note files; \(report.updated.count) updated, \(report.removed.count) removed.")
            for p in report.problems { emit("skipped: \(shown(p.description))") }
        }
        return report.problems.isEmpty ? Exit.ok : Exit.negative
    }
}
