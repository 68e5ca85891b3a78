import Foundation

/// A parsed sudoers reference: the per-host allowlist of the `luna` identity.
///
/// `Sudoers` answers "would sudo allow this?" the way sudo 1.9 decides it (the
/// last matching entry wins), lists what a user may run, and compares two
/// references by their effective permissions.
public struct Sudoers: Sendable {
    var userSpecs: [UserSpec]
    var aliases: [AliasKind: [String: AliasDefinition]]
    var defaults: [DefaultEntry]
    /// The file the reference was read from.
    public let file: String
    /// Entries that apply per (user, groups, host, runas): memoized, since the
    /// gate asks about many commands for the same identity and host.
    let cache = ApplicableCache()

    /// Loads a sudoers file, following `@include`, `@includedir` and `#include`
    /// relative to the file.
    ///
    /// - Parameter path: The sudoers file.
    /// - Returns: The parsed reference.
    /// - Throws: `SudoersError` with file:line:column for a syntax error, an
    ///   unreadable file or an alias used but not defined.
    public static func load(path: String) throws(SudoersError) -> Sudoers {
        let pieces = try loadPieces(path: path, depth: 0)
        return try assemble(pieces, file: path)
    }

    /// Parses sudoers text; includes are resolved relative to `file`.
    ///
    /// - Parameters:
    ///   - text: The sudoers text.
    ///   - file: The name used in error messages and rule references.
    /// - Returns: The parsed reference.
    /// - Throws: `SudoersError` for a syntax error.
    public static func parse(_ text: String, file: String) throws(SudoersError) -> Sudoers {
        let pieces = try parsePieces(text, file: file, depth: 0)
        return try assemble(pieces, file: file)
    }

    static func loadPieces(path: String, depth: Int) throws(SudoersError) -> SudoersParser.Pieces {
        guard depth < 128 else {
            throw SudoersError(file: path, line: 0, column: 0, message: "too many levels of includes")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SudoersError(file: path, line: 0, column: 0, message: "cannot open \(path)")
        }
        return try parsePieces(String(decoding: data, as: UTF8.self), file: path, depth: depth)
    }

    static func parsePieces(_ text: String, file: String, depth: Int) throws(SudoersError) -> SudoersParser.Pieces {
        var parser = SudoersParser(text: text, file: file) { (path, isDirectory) throws(SudoersError) in
            if !isDirectory { return try loadPieces(path: path, depth: depth + 1) }
            var all = SudoersParser.Pieces()
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else {
                return all // a missing include directory is not an error for sudo
            }
            let files = names.filter { !$0.isEmpty && !$0.contains(".") && !$0.hasSuffix("~") }
                .sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            for name in files {
                let full = path.hasSuffix("/") ? path + name : path + "/" + name
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue else { continue }
                let p = try loadPieces(path: full, depth: depth + 1)
                all.userSpecs += p.userSpecs
                all.aliases += p.aliases
                all.defaults += p.defaults
            }
            return all
        }
        try parser.parseFile()
        return SudoersParser.Pieces(userSpecs: parser.userSpecs, aliases: parser.aliases, defaults: parser.defaults)
    }

    static func assemble(_ pieces: SudoersParser.Pieces, file: String) throws(SudoersError) -> Sudoers {
        var aliases: [AliasKind: [String: AliasDefinition]] = [:]
        for a in pieces.aliases {
            if aliases[a.kind]?[a.name] != nil {
                throw SudoersError(file: a.file, line: a.line, column: 1, message: "duplicate \(a.kind.rawValue) \(a.name)")
            }
            aliases[a.kind, default: [:]][a.name] = a
        }
        var s = Sudoers(userSpecs: pieces.userSpecs, aliases: aliases, defaults: pieces.defaults, file: file)
        try s.validateAliases()
        s.resolveAliases()
        return s
    }

    /// Inlines alias members into the user specifications (validated: no cycles).
    mutating func resolveAliases() {
        func members(_ list: [Member], _ kind: AliasKind) -> [Member] {
            list.map { m in
                guard case .alias(let name) = m.kind, let def = aliases[kind]?[name] else { return m }
                return Member(negated: m.negated, kind: .resolved(name, members(def.members, kind)))
            }
        }
        func command(_ c: Command) -> Command {
            guard case .alias(let name) = c.kind, let def = aliases[.command]?[name] else { return c }
            return Command(negated: c.negated, kind: .resolved(name, def.commands.map(command)), digests: c.digests)
        }
        for i in userSpecs.indices {
            userSpecs[i].users = members(userSpecs[i].users, .user)
            for j in userSpecs[i].privileges.indices {
                userSpecs[i].privileges[j].hosts = members(userSpecs[i].privileges[j].hosts, .host)
                for k in userSpecs[i].privileges[j].commands.indices {
                    var cs = userSpecs[i].privileges[j].commands[k]
                    cs.runasUsers = cs.runasUsers.map { members($0, .runas) }
                    cs.runasGroups = cs.runasGroups.map { members($0, .runas) }
                    cs.command = command(cs.command)
                    userSpecs[i].privileges[j].commands[k] = cs
                }
            }
        }
    }

    /// Every alias used is defined (visudo refuses the file otherwise) and none refers to itself.
    func validateAliases() throws(SudoersError) {
        func check(_ members: [Member], _ kind: AliasKind, _ file: String, _ line: Int, _ seen: [String]) throws(SudoersError) {
            for m in members {
                guard case .alias(let name) = m.kind else { continue }
                guard let def = aliases[kind]?[name] else {
                    throw SudoersError(file: file, line: line, column: 1,
                                       message: "\(kind.rawValue) \(name) is used but not defined")
                }
                if seen.contains(name) {
                    throw SudoersError(file: def.file, line: def.line, column: 1, message: "\(kind.rawValue) \(name) refers to itself")
                }
                try check(def.members, kind, def.file, def.line, seen + [name])
            }
        }
        func checkCommands(_ commands: [Command], _ file: String, _ line: Int, _ seen: [String]) throws(SudoersError) {
            for c in commands {
                guard case .alias(let name) = c.kind else { continue }
                guard let def = aliases[.command]?[name] else {
                    throw SudoersError(file: file, line: line, column: 1, message: "Cmnd_Alias \(name) is used but not defined")
                }
                if seen.contains(name) {
                    throw SudoersError(file: def.file, line: def.line, column: 1, message: "Cmnd_Alias \(name) refers to itself")
                }
                try checkCommands(def.commands, def.file, def.line, seen + [name])
            }
        }
        for spec in userSpecs {
            try check(spec.users, .user, spec.file, spec.line, [])
            for p in spec.privileges {
                try check(p.hosts, .host, spec.file, spec.line, [])
                for c in p.commands {
                    try check(c.runasUsers ?? [], .runas, c.file, c.line, [])
                    try check(c.runasGroups ?? [], .runas, c.file, c.line, [])
                    try checkCommands([c.command], c.file, c.line, [])
                }
            }
        }
        for kind in [AliasKind.user, .runas, .host] {
            for def in aliases[kind]?.values.map({ $0 }) ?? [] { try check(def.members, kind, def.file, def.line, [def.name]) }
        }
        for def in aliases[.command]?.values.map({ $0 }) ?? [] { try checkCommands(def.commands, def.file, def.line, [def.name]) }
        for d in defaults {
            switch d.scope {
            case .user(let m): try check(m, .user, d.file, d.line, [])
            case .host(let m): try check(m, .host, d.file, d.line, [])
            case .runas(let m): try check(m, .runas, d.file, d.line, [])
            case .command(let c): try checkCommands(c, d.file, d.line, [])
            case .global: break
            }
        }
    }

    /// The number of user specifications (rules) in the reference.
    public var ruleCount: Int { userSpecs.count }
}
