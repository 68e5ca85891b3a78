/// A command entry prepared for fast matching in canonical mode: the path
/// canonicalized once, meta characters found once, regexes compiled once.
indirect enum CompiledCommand: Sendable {
    case all(negated: Bool)
    case list([CompiledCommand], negated: Bool)
    case path(CompiledPath, negated: Bool)
    /// An entry with digests: matched by `commandMatches`.
    case digested(Command)

    struct CompiledPath: Sendable {
        let original: Command
        let path: String
        let merged: String
        let hasMeta: Bool
        let literalPrefix: [UInt8]
        let isDirectory: Bool
        let isSudoedit: Bool
        let pathRegex: Pattern.Regex?
        let args: String?
        let argsRegex: Pattern.Regex?
        let argsLiteral: Bool
    }

    init(_ c: Command) {
        if !c.digests.isEmpty {
            self = .digested(c)
            return
        }
        switch c.kind {
        case .all: self = .all(negated: c.negated)
        case .alias: self = .list([], negated: c.negated) // resolved before compiling
        case .resolved(_, let inner): self = .list(inner.reversed().map(CompiledCommand.init), negated: c.negated)
        case .path(let p, let args):
            let merged = Sudoers.canonical(p, .canonical(usrmerge: true))
            let meta = Pattern.hasMeta(p)
            let prefix = Array(merged.utf8.prefix { !($0 == 0x5C || $0 == 0x3F || $0 == 0x2A || $0 == 0x5B || $0 == 0x5D) })
            self = .path(CompiledPath(
                original: c, path: p, merged: merged, hasMeta: meta, literalPrefix: prefix,
                isDirectory: p.hasSuffix("/"), isSudoedit: p == "sudoedit",
                pathRegex: p.hasPrefix("^") ? Pattern.Regex.compile(p) : nil,
                args: args, argsRegex: args.flatMap { $0.hasPrefix("^") ? Pattern.Regex.compile($0) : nil },
                argsLiteral: args.map { !$0.hasPrefix("^") && !Pattern.hasMeta($0) } ?? false), negated: c.negated)
        }
    }
}

extension Sudoers {
    /// Matches a compiled command; same answers as `commandMatches` (falls back
    /// to it for local resolution and digests).
    func compiledMatches(_ c: CompiledCommand, _ ctx: MatchContext) -> (Verdict, Bool, Bool)? {
        switch c {
        case .all(let negated): return (Verdict(negated: negated), false, true)
        case .digested(let command): return commandMatches(command, ctx)
        case .list(let inner, let negated):
            for item in inner {
                if let (v, exact, certain) = compiledMatches(item, ctx) { return (negated ? v.flipped : v, exact, certain) }
            }
            return nil
        case .path(let p, let negated):
            guard case .canonical(let usrmerge) = ctx.request.paths, !p.isSudoedit, p.pathRegex == nil,
                  !p.isDirectory else {
                return commandMatches(p.original, ctx)
            }
            let u = ctx.canonicalCommand
            let rulePath = usrmerge ? p.merged : p.path
            if p.hasMeta {
                if usrmerge {
                    guard u.utf8.starts(with: p.literalPrefix) else { return nil }
                }
                guard Pattern.fnmatch(rulePath, u, flags: Pattern.pathname | Pattern.period) else { return nil }
            } else if rulePath != u {
                return nil
            }
            if let args = p.args {
                if args == "\"\"" {
                    guard ctx.userArgs == nil else { return nil }
                } else if let re = p.argsRegex {
                    guard re.matches(ctx.userArgs ?? "") else { return nil }
                } else if p.argsLiteral {
                    guard (ctx.userArgs ?? "") == args else { return nil }
                } else {
                    guard Pattern.fnmatch(args, ctx.userArgs ?? "") else { return nil }
                }
            }
            let exact = !p.hasMeta && p.argsLiteral
            return (Verdict(negated: negated), exact && !negated, true)
        }
    }
}
