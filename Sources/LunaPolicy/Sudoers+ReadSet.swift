extension Sudoers {
    /// The reference cut down to the commands the operator declared read-only.
    ///
    /// A command is declared read-only when it comes from one of the named
    /// `Cmnd_Alias`es (by default `LUNA_READ`), at any depth. Everything else is
    /// dropped from the copy, except negated entries (`!…`), which are kept: they
    /// can only take permission away, so keeping them makes the copy stricter,
    /// never looser. A request is in the declared read set when the full
    /// reference allows it *and* this copy allows it — both decided by the same
    /// matcher, so every rule sudo applies (last match wins, runas, tags, the
    /// fail-closed handling of unmodelled features) applies to the read set too.
    ///
    /// - Parameter aliases: The names of the read-only command aliases.
    /// - Returns: A reference holding only the declared read-only commands.
    public func readSet(aliases: Set<String>) -> Sudoers {
        func keep(_ c: Command) -> Command? {
            switch c.kind {
            case .resolved(let name, let inner):
                if aliases.contains(name) { return c }
                let kept = inner.compactMap(keep)
                return kept.isEmpty ? nil : Command(negated: c.negated, kind: .resolved(name, kept), digests: c.digests)
            case .all, .path:
                return c.negated ? c : nil
            case .alias:
                return nil   // aliases are resolved before this runs; an unresolved one grants nothing
            }
        }
        var specs: [UserSpec] = []
        for var spec in userSpecs {
            spec.privileges = spec.privileges.compactMap { privilege in
                var p = privilege
                p.commands = privilege.commands.compactMap { cs in
                    guard let command = keep(cs.command) else { return nil }
                    var kept = cs
                    kept.command = command
                    return kept
                }
                return p.commands.isEmpty ? nil : p
            }
            if !spec.privileges.isEmpty { specs.append(spec) }
        }
        return Sudoers(userSpecs: specs, aliases: self.aliases, defaults: defaults, file: file)
    }

    /// Whether the reference defines a command alias of this name.
    public func definesCommandAlias(_ name: String) -> Bool { aliases[.command]?[name] != nil }
}
