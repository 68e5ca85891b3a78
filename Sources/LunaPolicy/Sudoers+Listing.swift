extension Sudoers {
    /// What `user` may run on `host`, one readable line per command entry, in
    /// file order (later lines win over earlier ones, as in sudo).
    ///
    /// - Parameters:
    ///   - user: The user (normally `luna`).
    ///   - groups: The user's groups.
    ///   - host: The host name.
    /// - Returns: Lines like `(root) NOPASSWD: /usr/bin/systemctl status *  [luna-web1:4]`.
    public func listing(user: String, groups: [String], host: String) -> [String] {
        effectiveEntries(user: user, groups: groups, host: host).map { "\($0.text)  [\($0.file):\($0.line)]" }
    }

    struct EffectiveEntry {
        var text: String
        var file: String
        var line: Int
    }

    /// The command entries that apply to user and host, aliases expanded, runas
    /// defaults filled in, in evaluation order.
    func effectiveEntries(user: String, groups: [String], host: String) -> [EffectiveEntry] {
        let request = SudoRequest(user: user, groups: groups, host: host, argv: ["/"])
        let settings = matchSettings(for: request)
        let ctx = MatchContext(request: request, settings: settings, userCommand: "", userBase: "", userArgs: nil,
                               userStat: nil, canonicalCommand: "")
        var out: [EffectiveEntry] = []
        for spec in userSpecs where userListMatches(spec.users, ctx) == .allow {
            for p in spec.privileges where hostListMatches(p.hosts, ctx) == .allow {
                for cs in p.commands {
                    var runas = "(" + settings.runasDefault + ")"
                    if cs.runasUsers != nil || cs.runasGroups != nil {
                        runas = "(" + render(cs.runasUsers ?? [], .runas)
                        if let g = cs.runasGroups { runas += " : " + render(g, .runas) }
                        runas += ")"
                    }
                    var tagText = ""
                    for (k, on) in cs.tags.sorted(by: { $0.key < $1.key }) {
                        tagText += (on ? k : "NO" + k) + ": "
                    }
                    for (k, v) in cs.options.sorted(by: { $0.key < $1.key }) { tagText += "\(k)=\(v) " }
                    out.append(EffectiveEntry(text: "\(runas) \(tagText)\(render(cs.command))", file: cs.file, line: cs.line))
                }
            }
        }
        return out
    }

    /// A list rendered with aliases expanded; members sorted when no negation makes order matter.
    func render(_ list: [Member], _ kind: AliasKind) -> String {
        let parts = list.map { m -> String in
            let bang = m.negated ? "!" : ""
            switch m.kind {
            case .all: return bang + "ALL"
            case .word(let w): return bang + w
            case .group(let g): return bang + "%" + g
            case .netgroup(let n): return bang + "+" + n
            case .address(let a): return bang + a
            case .myself: return bang + "<self>"
            case .alias(let name):
                let inner = aliases[kind]?[name].map { render($0.members, kind) } ?? name
                return bang + "{" + inner + "}"
            case .resolved(_, let inner):
                return bang + "{" + render(inner, kind) + "}"
            }
        }
        return (list.contains { $0.negated } ? parts : parts.sorted()).joined(separator: ", ")
    }

    func render(_ c: Command) -> String {
        let bang = c.negated ? "!" : ""
        let digests = c.digests.map { "\($0.algorithm):\($0.value) " }.joined()
        switch c.kind {
        case .all: return bang + digests + "ALL"
        case .alias(let name):
            guard let def = aliases[.command]?[name] else { return bang + name }
            let parts = def.commands.map(render)
            let ordered = def.commands.contains { $0.negated } ? parts : parts.sorted()
            return bang + digests + "{" + ordered.joined(separator: ", ") + "}"
        case .resolved(_, let inner):
            let parts = inner.map(render)
            let ordered = inner.contains { $0.negated } ? parts : parts.sorted()
            return bang + digests + "{" + ordered.joined(separator: ", ") + "}"
        case .path(let p, let args):
            return bang + digests + p + (args.map { " " + $0 } ?? "")
        }
    }
}
