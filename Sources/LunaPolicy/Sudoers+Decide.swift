#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import LunaCodec

/// ALLOW / DENY of sudo's matcher; nil is UNSPEC.
enum Verdict { case allow, deny }

extension Verdict {
    init(negated: Bool) { self = negated ? .deny : .allow }
    var flipped: Verdict { self == .allow ? .deny : .allow }
}

/// Settings from Defaults that change how matching works.
struct MatchSettings {
    var runasDefault = "root"
    var fastGlob = false
    var caseInsensitiveUser = true
    var caseInsensitiveGroup = true
    var noexec = false
    /// `runas_check_shell`: the target's shell must be in /etc/shells.
    var runasCheckShell = Tri.no
    /// `requiretty`: sudo refuses without a terminal, and Luna runs sudo without one.
    var requiretty = Tri.no
    /// `!root_sudo`: root may not use sudo (matters when root asks, as in `sudo -l -U`).
    var rootSudo = Tri.no
    /// A `runchroot`/`runcwd` Defaults that Luna's executor does not reproduce.
    var unmodelledRun: String? = nil
}

/// The possible results of a user, host or runas list when some facts are
/// unknown: ALLOW, DENY and UNSPEC (no member matched).
struct Outcomes: OptionSet, Sendable {
    let rawValue: UInt8
    static let allow = Outcomes(rawValue: 1)
    static let deny = Outcomes(rawValue: 2)
    static let unspec = Outcomes(rawValue: 4)

    init(rawValue: UInt8) { self.rawValue = rawValue }
    init(_ v: Verdict) { self = v == .allow ? .allow : .deny }

    /// The certain verdict, if there is one.
    var certain: Verdict? {
        if self == .allow { return .allow }
        if self == .deny { return .deny }
        return nil
    }

    /// The outcomes of a negated list.
    var flipped: Outcomes {
        var o: Outcomes = intersection(.unspec)
        if contains(.allow) { o.insert(.deny) }
        if contains(.deny) { o.insert(.allow) }
        return o
    }
}

/// The target account of a request, as far as Luna knows it.
struct Target {
    var name: String?
    var uid: Int?
    var groups: [String]?
    var shell: String?
}

/// Per-request state for one decision.
struct MatchContext {
    let request: SudoRequest
    let settings: MatchSettings
    let userCommand: String
    let userBase: String
    let userArgs: String?
    var userStat: (dev: UInt64, ino: UInt64)?
    let canonicalCommand: String
    /// The host name up to the first dot.
    var shortHost: Substring { request.host.split(separator: ".", maxSplits: 1).first ?? Substring(request.host) }
    /// The runas user resolved from what the request knows.
    var target: Target { Sudoers.resolveTarget(request) }
}

extension MatchContext {
    /// A context for list matching only (Defaults scopes, listing).
    init(listing request: SudoRequest, settings: MatchSettings) {
        self.init(request: request, settings: settings, userCommand: "", userBase: "", userArgs: nil,
                  userStat: nil, canonicalCommand: "")
    }
}

/// ASCII case-insensitive equality without allocating (names in sudoers are ASCII).
@inline(__always)
func equalsFolded<A: StringProtocol, B: StringProtocol>(_ a: A, _ b: B) -> Bool {
    let x = a.utf8, y = b.utf8
    guard x.count == y.count else { return false }
    for (c, d) in zip(x, y) where c != d {
        let lc = (c >= 0x41 && c <= 0x5A) ? c | 0x20 : c
        let ld = (d >= 0x41 && d <= 0x5A) ? d | 0x20 : d
        if lc != ld { return false }
    }
    return true
}

extension Sudoers {
    /// Decides a request the way sudo does: the last matching entry wins.
    ///
    /// Where the answer depends on something Luna does not model or does not
    /// know (a chroot or working directory, a digest of a remote file, a host
    /// address or account not in the inventory, a time bound in an unknown
    /// time zone), the entry never allows, and a negated entry still denies:
    /// the decision fails closed and its note names the reason.
    ///
    /// - Parameter request: User, groups, host, runas and argv.
    /// - Returns: Allowed or denied, with the deciding rule, runas and tags.
    public func decide(_ request: SudoRequest) -> SudoDecision {
        var denied = SudoDecision(allowed: false, rule: nil, runasUser: request.runasUser,
                                  runasGroup: request.runasGroup, tags: [], note: nil, exact: false)
        guard let program = request.argv.first, !program.isEmpty else {
            denied.note = "empty command"
            return denied
        }
        let settings = matchSettings(for: request)
        let base = program.lastIndex(of: "/").map { String(program[program.index(after: $0)...]) } ?? program
        let args = request.argv.count > 1 ? request.argv.dropFirst().joined(separator: " ") : nil
        var ctx = MatchContext(request: request, settings: settings, userCommand: program, userBase: base,
                               userArgs: args, userStat: nil, canonicalCommand: Self.canonical(program, request.paths))
        if request.paths == .local && program != "sudoedit" {
            guard program.hasPrefix("/"), let st = Self.statFile(program) else {
                denied.note = "\(program): command not found on this machine"
                return denied
            }
            ctx.userStat = st
        }
        var parts: [String] = [request.user, request.groups.joined(separator: ","), request.host, request.runasUser]
        parts.append(request.runasGroup ?? "\u{1}")
        parts.append(request.invoker)
        parts.append(request.uid.map(String.init) ?? "")
        parts.append(request.runasUserSpecified ? "u" : "-")
        parts.append(request.hostAddresses?.joined(separator: ",") ?? "?")
        for a in request.accounts { parts.append("\(a.name)=\(a.uid):" + a.groups.joined(separator: "+")) }
        parts.append("gids")
        for (name, gid) in request.groupIDs.sorted(by: { $0.key < $1.key }) { parts.append("\(name)=\(gid)") }
        let key = parts.joined(separator: "\u{0}")
        let applicable = cache.entries(for: key) { applicableEntries(ctx) }
        var decided: (entry: ApplicableEntry, verdict: Verdict, exact: Bool)? = nil
        var laterChroot: CmndSpec? = nil
        for entry in applicable {
            // sudo resolves the command inside the chroot of a CHROOT= entry it
            // tries, and the entries it tries after that (earlier in the file)
            // then see that resolution: sudo 1.9.13 denies them. Luna cannot
            // model the resolution, so nothing after such an entry allows.
            if let chroot = laterChroot, entry.spec.options["CHROOT"] == nil {
                guard compiledMatches(entry.compiled, ctx) != nil else { continue }
                denied.rule = RuleReference(file: entry.spec.file, line: entry.spec.line, text: entry.text)
                denied.note = "a later rule (\(chroot.file):\(chroot.line)) has CHROOT=\(chroot.options["CHROOT"] ?? ""), which changes how sudo resolves the command for the rules before it; Luna fails closed"
                return denied
            }
            if entry.spec.options["CHROOT"] != nil { laterChroot = entry.spec }
            var unknown = entry.certain ? nil : "a user, host or runas entry depends on facts the inventory does not give"
            switch timeBounds(entry.spec, request) {
            case .no: continue
            case .maybe: unknown = "NOTBEFORE/NOTAFTER without a time zone, and the host's time zone is unknown"
            case .yes: break
            }
            if let why = Self.unmodelledOption(entry.spec) { unknown = why }
            guard let (verdict, exact, certain) = compiledMatches(entry.compiled, ctx) else { continue }
            if !certain { unknown = "a digest is required and Luna cannot check the file on the host" }
            if let unknown {
                // The entry may decide (sudo's last match wins), and Luna cannot tell how: deny.
                denied.rule = RuleReference(file: entry.spec.file, line: entry.spec.line, text: entry.text)
                denied.note = verdict == .allow
                    ? "the last rule that may match cannot be verified: \(unknown); Luna fails closed"
                    : "a negated entry may match (\(unknown)); Luna fails closed"
                return denied
            }
            decided = (entry, verdict, exact)
            break
        }
        guard let (entry, verdict, exact) = decided else {
            denied.note = "no rule matches"
            return denied
        }
        let cs = entry.spec
        let rule = RuleReference(file: cs.file, line: cs.line, text: entry.text)
        var tags: [String] = []
        for (key, on) in cs.tags.sorted(by: { $0.key < $1.key }) {
            switch key {
            case "PASSWD", "EXEC", "SETENV", "LOG_INPUT", "LOG_OUTPUT", "MAIL", "FOLLOW", "INTERCEPT":
                tags.append(on ? key : "NO" + key)
            default: tags.append(key)
            }
        }
        if settings.noexec && cs.tags["EXEC"] == nil { tags.append("NOEXEC") }
        var decision = SudoDecision(allowed: verdict == .allow, rule: rule, runasUser: entry.runasUser,
                                    runasGroup: request.runasGroup, tags: tags.sorted(),
                                    note: verdict == .deny ? "a negated entry (!) matches" : nil,
                                    exact: exact && verdict == .allow)
        guard decision.allowed else { return decision }
        if settings.rootSudo != .no, request.invoker == "root" {
            decision.allowed = false
            decision.exact = false
            decision.note = "Defaults !root_sudo: root may not run sudo"
            return decision
        }
        let post = postLookupSettings(settings, ctx)
        if post.requiretty != .no {
            decision.allowed = false
            decision.exact = false
            decision.note = "Defaults requiretty: sudo refuses without a terminal, and Luna runs sudo without one"
            return decision
        }
        if let why = post.unmodelledRun {
            decision.allowed = false
            decision.exact = false
            decision.note = "\(why): Luna's executor does not reproduce it; Luna fails closed"
            return decision
        }
        if post.runasCheckShell != .no {
            let target = Self.resolveTarget(request, runas: entry.runasUser)
            let shell = target.shell.map { $0.isEmpty ? "/bin/sh" : $0 }
            guard let shell, let valid = request.loginShells else {
                decision.allowed = false
                decision.exact = false
                decision.note = "Defaults runas_check_shell: the shell of \(entry.runasUser) or the host's /etc/shells is unknown; Luna fails closed"
                return decision
            }
            if !valid.contains(shell) {
                decision.allowed = false
                decision.exact = false
                decision.note = "Defaults runas_check_shell: \(entry.runasUser) has shell \(shell), not in /etc/shells"
                return decision
            }
        }
        return decision
    }

    /// Whether a rule's NOTBEFORE/NOTAFTER window holds at the request's instant.
    func timeBounds(_ cs: CmndSpec, _ request: SudoRequest) -> Tri {
        guard cs.notBefore != nil || cs.notAfter != nil else { return .yes }
        let now = Int(request.now.timeIntervalSince1970.rounded(.down))
        let local = request.paths == .local
        var result = Tri.yes
        if let nb = cs.notBefore {
            if local {
                if now < nb.instantHere() { return .no }
            } else {
                if now < nb.range.lowerBound { return .no }
                if now < nb.range.upperBound { result = .maybe }
            }
        }
        if let na = cs.notAfter {
            if local {
                if now > na.instantHere() { return .no }
            } else {
                if now > na.range.upperBound { return .no }
                if now > na.range.lowerBound { result = .maybe }
            }
        }
        return result
    }

    /// Why a rule's options make the command run differently from what Luna's
    /// executor assumes (it passes neither -R nor -D), or nil.
    static func unmodelledOption(_ cs: CmndSpec) -> String? {
        if let root = cs.options["CHROOT"] { return "CHROOT=\(root) (a chroot Luna's executor does not use)" }
        if let cwd = cs.options["CWD"], cwd != "*" { return "CWD=\(cwd) (a working directory Luna's executor does not use)" }
        for name in ["ROLE", "TYPE"] where cs.options[name] != nil { return "\(name)= (an SELinux context Luna does not model)" }
        return nil
    }

    /// The command entries whose user, host and runas lists may allow the context, last first.
    func applicableEntries(_ ctx: MatchContext) -> [ApplicableEntry] {
        var out: [ApplicableEntry] = []
        for spec in userSpecs.reversed() {
            let users = userListOutcomes(spec.users, ctx)
            guard users.contains(.allow) else { continue }
            for privilege in spec.privileges.reversed() {
                let hosts = hostListOutcomes(privilege.hosts, ctx)
                guard hosts.contains(.allow) else { continue }
                for cs in privilege.commands.reversed() {
                    let runas = runasOutcomes(cs, ctx)
                    guard runas.outcomes.contains(.allow) else { continue }
                    let certain = users == .allow && hosts == .allow && runas.outcomes == .allow
                    out.append(ApplicableEntry(spec: cs, text: spec.text, runasUser: runas.user, compiled: CompiledCommand(cs.command),
                                               certain: certain))
                }
            }
        }
        return out
    }

    // MARK: - Defaults

    /// Whether a Defaults entry's scope applies to the request (commands are decided later).
    func scopeApplies(_ d: DefaultEntry, _ ctx: MatchContext) -> Outcomes {
        switch d.scope {
        case .global: return .allow
        case .user(let m):
            // `Defaults:user` is about who runs sudo (root for `sudo -l -U luna`).
            var invoker = ctx.request
            if let other = invoker.invokingUser, other != invoker.user {
                let account = Self.resolveTarget(invoker, runas: other)
                invoker.user = other
                invoker.groups = account.groups ?? []
                invoker.uid = account.uid
            }
            return userListOutcomes(m, MatchContext(listing: invoker, settings: ctx.settings))
        case .host(let m): return hostListOutcomes(m, ctx)
        case .runas(let m): return runasUserListOutcomes(m, ctx)
        case .command: return .unspec
        }
    }

    /// Applies one restricting flag: certain scopes set it, uncertain ones may set it.
    static func apply(_ flag: inout Tri, on: Bool, scope: Outcomes) {
        if scope == .allow { flag = on ? .yes : .no; return }
        guard scope.contains(.allow) else { return }
        if on { flag = flag == .yes ? .yes : .maybe } else if flag == .yes { flag = .maybe }
    }

    func matchSettings(for request: SudoRequest) -> MatchSettings {
        var s = MatchSettings()
        // Generic, host and user Defaults in file order (as sudo applies them before the lookup).
        for d in defaults {
            switch d.scope {
            case .global, .user, .host: break
            default: continue
            }
            let scope = scopeApplies(d, MatchContext(listing: request, settings: s))
            switch d.name {
            case "runas_check_shell": Self.apply(&s.runasCheckShell, on: !d.negated, scope: scope); continue
            case "requiretty": Self.apply(&s.requiretty, on: !d.negated, scope: scope); continue
            case "root_sudo": Self.apply(&s.rootSudo, on: d.negated, scope: scope); continue
            case "runchroot", "runcwd":
                if scope.contains(.allow), !d.negated, d.value != "*" {
                    s.unmodelledRun = "Defaults \(d.name)=\(d.value ?? "")"
                }
                continue
            default: break
            }
            guard scope == .allow else { continue }
            switch d.name {
            case "runas_default": if let v = d.value, d.operation == .set { s.runasDefault = v }
            case "fast_glob": s.fastGlob = !d.negated
            case "case_insensitive_user": s.caseInsensitiveUser = !d.negated
            case "case_insensitive_group": s.caseInsensitiveGroup = !d.negated
            case "noexec": s.noexec = !d.negated
            default: break
            }
        }
        return s
    }

    /// The restricting settings after sudo applies the runas and command Defaults of the decided command.
    func postLookupSettings(_ base: MatchSettings, _ ctx: MatchContext) -> MatchSettings {
        var s = base
        for pass in 0..<2 {
            for d in defaults {
                var scope: Outcomes
                switch d.scope {
                case .runas(let m) where pass == 0: scope = runasUserListOutcomes(m, ctx)
                case .command(let cmds) where pass == 1 && !ctx.request.checkOnly:
                    scope = .unspec
                    for c in cmds.reversed() {
                        if let (v, _, certain) = commandMatches(c, ctx) {
                            scope = certain ? Outcomes(v) : Outcomes(v).union(.unspec)
                            break
                        }
                    }
                default: continue
                }
                switch d.name {
                case "runas_check_shell": Self.apply(&s.runasCheckShell, on: !d.negated, scope: scope)
                case "requiretty": Self.apply(&s.requiretty, on: !d.negated, scope: scope)
                case "runchroot", "runcwd":
                    if scope.contains(.allow), !d.negated, d.value != "*" {
                        s.unmodelledRun = "Defaults \(d.name)=\(d.value ?? "")"
                    }
                default: break
                }
            }
        }
        return s
    }

    // MARK: - Lists

    /// Evaluates a list the way sudo does (the last matching member decides),
    /// carrying every outcome an unknown fact makes possible.
    func outcomes(_ list: [Member], _ kind: AliasKind, _ leaf: (Member.Kind) -> Tri) -> Outcomes {
        var acc: Outcomes = []
        for m in list.reversed() {
            var inner: [Member]? = nil
            switch m.kind {
            case .resolved(_, let members): inner = members
            case .alias(let name): inner = aliases[kind]?[name]?.members ?? []
            default: break
            }
            if let inner {
                let r = outcomes(inner, kind, leaf)
                let mapped = m.negated ? r.flipped : r
                acc.formUnion(mapped.subtracting(.unspec))
                if !r.contains(.unspec) { return acc }
                continue
            }
            let v = Outcomes(Verdict(negated: m.negated))
            switch leaf(m.kind) {
            case .yes: return acc.union(v)
            case .maybe: acc.formUnion(v)
            case .no: break
            }
        }
        return acc.union(.unspec)
    }

    func userMatches(_ name: String, user: String, uid: Int?, _ ctx: MatchContext) -> Bool {
        if name.hasPrefix("#") { return uid != nil && Int(name.dropFirst()) == uid }
        return ctx.settings.caseInsensitiveUser ? equalsFolded(name, user) : name == user
    }

    /// Whether `name` (a group name, `#gid`, or `:name` for a non-Unix group) is among `groups`.
    func groupMatches(_ name: String, groups: [String]?, _ ctx: MatchContext) -> Tri {
        if name.hasPrefix(":") { return .no } // non-Unix groups need a group plugin
        guard let groups else { return .maybe }
        if name.hasPrefix("#") {
            if groups.contains(name) { return .yes }
            if groups.contains(where: { ctx.request.groupIDs[$0].map { "#\($0)" } == name }) { return .yes }
            // A group in the list whose id is unknown could be this gid.
            return groups.contains { !$0.hasPrefix("#") && ctx.request.groupIDs[$0] == nil } ? .maybe : .no
        }
        if ctx.settings.caseInsensitiveGroup ? groups.contains(where: { equalsFolded($0, name) }) : groups.contains(name) { return .yes }
        if let gid = ctx.request.groupIDs[name], groups.contains("#\(gid)") { return .yes }
        return .no
    }

    func userListOutcomes(_ list: [Member], _ ctx: MatchContext) -> Outcomes {
        outcomes(list, .user) { kind in
            switch kind {
            case .all: return .yes
            case .word(let w):
                if w.hasPrefix("#") && ctx.request.uid == nil { return .maybe }
                return userMatches(w, user: ctx.request.user, uid: ctx.request.uid, ctx) ? .yes : .no
            case .group(let g): return groupMatches(g, groups: ctx.request.groups, ctx)
            case .netgroup: return .maybe
            default: return .no
            }
        }
    }

    /// A certain verdict of a user list (listing and Defaults use it).
    func userListMatches(_ list: [Member], _ ctx: MatchContext) -> Verdict? { userListOutcomes(list, ctx).certain }

    func hostMatches(_ pattern: String, _ host: String) -> Bool {
        let hasDot = pattern.utf8.contains(0x2E)
        if Pattern.hasMeta(pattern) {
            let shost = host.split(separator: ".", maxSplits: 1).first.map(String.init) ?? host
            return Pattern.fnmatch(pattern, hasDot ? host : shost, flags: Pattern.casefold)
        }
        if hasDot { return equalsFolded(pattern, host) }
        let shost = host.utf8.firstIndex(of: 0x2E).map { host[..<$0] } ?? Substring(host)
        return equalsFolded(pattern, shost)
    }

    func hostListOutcomes(_ list: [Member], _ ctx: MatchContext) -> Outcomes {
        outcomes(list, .host) { kind in
            switch kind {
            case .all: return .yes
            case .word(let w): return hostMatches(w, ctx.request.host) ? .yes : .no
            case .address(let a): return HostAddress.matches(a, addresses: ctx.request.hostAddresses)
            case .netgroup: return .maybe
            default: return .no
            }
        }
    }

    /// A certain verdict of a host list (listing uses it).
    func hostListMatches(_ list: [Member], _ ctx: MatchContext) -> Verdict? { hostListOutcomes(list, ctx).certain }

    /// The runas user as far as the request knows it: root and the user
    /// themselves always, others from the inventory's accounts.
    static func resolveTarget(_ r: SudoRequest, runas: String? = nil) -> Target {
        let runas = runas ?? r.runasUser
        var known = r.accounts
        if !known.contains(where: { $0.name == "root" }) { known.append(SudoAccount(name: "root", uid: 0, groups: ["root", "#0"])) }
        if !known.contains(where: { $0.name == r.user }) {
            if let uid = r.uid { known.append(SudoAccount(name: r.user, uid: uid, groups: r.groups)) }
        }
        if runas.hasPrefix("#"), let uid = Int(runas.dropFirst()) {
            if let a = known.first(where: { $0.uid == uid }) { return Target(name: a.name, uid: uid, groups: a.groups, shell: a.shell) }
            return Target(name: nil, uid: uid, groups: nil, shell: nil)
        }
        if let a = known.first(where: { $0.name == runas }) { return Target(name: a.name, uid: a.uid, groups: a.groups, shell: a.shell) }
        if runas == r.user { return Target(name: runas, uid: r.uid, groups: r.groups, shell: nil) }
        return Target(name: runas, uid: nil, groups: nil, shell: nil)
    }

    func runasUserListOutcomes(_ list: [Member], _ ctx: MatchContext) -> Outcomes {
        let target = ctx.target
        return outcomes(list, .runas) { kind in
            switch kind {
            case .all: return .yes
            case .word(let w):
                if w.hasPrefix("#") {
                    guard let uid = target.uid else { return .maybe }
                    return Int(w.dropFirst()) == uid ? .yes : .no
                }
                guard let name = target.name else { return .maybe }
                return userMatches(w, user: name, uid: nil, ctx) ? .yes : .no
            case .group(let g): return groupMatches(g, groups: target.groups, ctx)
            case .myself:
                if !ctx.request.runasUserSpecified { return .yes }
                guard let name = target.name else { return .maybe }
                return name == ctx.request.invoker ? .yes : .no
            case .netgroup: return .maybe
            default: return .no
            }
        }
    }

    /// Whether a runas group entry names the requested group.
    func runasGroupMatches(_ w: String, group: String, _ ctx: MatchContext) -> Tri {
        let ids = ctx.request.groupIDs
        let wantGid: Int? = group.hasPrefix("#") ? Int(group.dropFirst()) : ids[group]
        if w.hasPrefix("#") {
            guard let wantGid else { return .maybe }
            return Int(w.dropFirst()) == wantGid ? .yes : .no
        }
        let same = ctx.settings.caseInsensitiveGroup ? equalsFolded(w, group) : w == group
        if same { return .yes }
        if group.hasPrefix("#") {
            guard let id = ids[w] else { return .maybe }
            return id == wantGid ? .yes : .no
        }
        return .no
    }

    func runasGroupListOutcomes(_ list: [Member], group: String, _ ctx: MatchContext) -> Outcomes {
        outcomes(list, .runas) { kind in
            switch kind {
            case .all: return .yes
            case .word(let w): return runasGroupMatches(w, group: group, ctx)
            default: return .no
            }
        }
    }

    /// sudo's runaslist_matches: the outcomes and the user the command runs as.
    func runasOutcomes(_ cs: CmndSpec, _ ctx: MatchContext) -> (outcomes: Outcomes, user: String) {
        let r = ctx.request
        let target = ctx.target
        var user: Outcomes = .unspec
        if r.runasUserSpecified || r.runasGroup == nil {
            if cs.runasUsers == nil && cs.runasGroups == nil {
                if r.runasGroup != nil { return (.unspec, r.runasUser) }
                let d = ctx.settings.runasDefault
                if d.hasPrefix("#") {
                    guard let uid = target.uid else { return (Outcomes.allow.union(.unspec), r.runasUser) }
                    return (Int(d.dropFirst()) == uid ? .allow : .unspec, r.runasUser)
                }
                guard let name = target.name else { return (Outcomes.allow.union(.unspec), r.runasUser) }
                return (userMatches(d, user: name, uid: nil, ctx) ? .allow : .unspec, r.runasUser)
            }
            if let users = cs.runasUsers { user = runasUserListOutcomes(users, ctx) }
        }
        guard let group = r.runasGroup else { return (user, r.runasUser) }
        // Only changing the group: running as oneself needs no user entry.
        if user.contains(.unspec), target.name == r.invoker {
            user.remove(.unspec)
            user.insert(.allow)
        }
        var grp: Outcomes = .unspec
        if let groups = cs.runasGroups { grp = runasGroupListOutcomes(groups, group: group, ctx) }
        if grp.contains(.unspec) {
            // Not named by the rule: allowed when it is one of the target's own groups.
            let own: Tri = target.groups.map { groupMatches(group, groups: $0, ctx) } ?? .maybe
            switch own {
            case .yes: grp.remove(.unspec); grp.insert(.allow)
            case .maybe: grp.insert(.allow)
            case .no: break
            }
        }
        // DENY if either denies; ALLOW only if both allow; otherwise UNSPEC.
        var result: Outcomes = []
        for u in [Outcomes.allow, .deny, .unspec] where user.contains(u) {
            for g in [Outcomes.allow, .deny, .unspec] where grp.contains(g) {
                if u == .deny || g == .deny { result.insert(.deny) } else if u == g { result.insert(u) } else { result.insert(.unspec) }
            }
        }
        return (result, r.runasUser)
    }

    // MARK: - Commands

    /// Matches one command entry: the verdict, whether it names an exact
    /// command line, and whether the match is certain (false when a digest
    /// must be checked on a host whose files Luna cannot read).
    func commandMatches(_ command: Command, _ ctx: MatchContext) -> (Verdict, Bool, Bool)? {
        let digestKnown = command.digests.isEmpty || ctx.request.paths == .local
        switch command.kind {
        case .all:
            guard ctx.userCommand == "sudoedit" || digestMatches(command.digests, file: ctx.userCommand, ctx) else { return nil }
            return (Verdict(negated: command.negated), false, digestKnown)
        case .alias(let name):
            guard let def = aliases[.command]?[name] else { return nil }
            for c in def.commands.reversed() {
                if let (v, exact, certain) = commandMatches(c, ctx) {
                    return (command.negated ? v.flipped : v, exact, certain)
                }
            }
            return nil
        case .resolved(_, let inner):
            for c in inner.reversed() {
                if let (v, exact, certain) = commandMatches(c, ctx) {
                    return (command.negated ? v.flipped : v, exact, certain)
                }
            }
            return nil
        case .path(let path, let args):
            guard pathMatches(path, args: args, digests: command.digests, ctx) else { return nil }
            let exact = !path.hasPrefix("^") && !path.hasSuffix("/") && !Pattern.hasMeta(path)
                && (args.map { !$0.hasPrefix("^") && !Pattern.hasMeta($0) } ?? false)
            return (Verdict(negated: command.negated), exact, digestKnown)
        }
    }

    static func canonical(_ path: String, _ mode: PathResolution) -> String {
        guard case .canonical(let usrmerge) = mode, usrmerge else { return path }
        if path.hasPrefix("/usr/") { return path }
        for prefix in ["/bin/", "/sbin/", "/lib/", "/lib64/"] where path.hasPrefix(prefix) {
            return "/usr" + path
        }
        if path == "/bin" || path == "/sbin" { return "/usr" + path }
        return path
    }

    static func statFile(_ path: String) -> (dev: UInt64, ino: UInt64)? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return (UInt64(st.st_dev), UInt64(st.st_ino))
    }

    func argumentsMatch(_ ruleArgs: String?, _ ctx: MatchContext, sudoedit: Bool) -> Bool {
        guard let ruleArgs else { return true }
        // `""` means exactly no arguments (a literal `""` argument does not match).
        if ruleArgs == "\"\"" { return ctx.userArgs == nil }
        let userArgs = ctx.userArgs ?? ""
        if ruleArgs.hasPrefix("^") { return Pattern.regexMatches(ruleArgs, userArgs) }
        return Pattern.fnmatch(ruleArgs, userArgs, flags: sudoedit ? Pattern.pathname : 0)
    }

    func pathMatches(_ path: String, args: String?, digests: [Digest], _ ctx: MatchContext) -> Bool {
        let r = ctx.request
        if path == "list" { return false } // the pseudo-command for `sudo -l -U`; never a program
        if path == "sudoedit" {
            return ctx.userCommand == "sudoedit" && argumentsMatch(args, ctx, sudoedit: true)
        }
        if ctx.userCommand == "sudoedit" { return false }
        if path.hasPrefix("^") {
            return Pattern.regexMatches(path, ctx.userCommand) && argumentsMatch(args, ctx, sudoedit: false)
                && digestMatches(digests, file: ctx.userCommand, ctx)
        }
        switch r.paths {
        case .canonical:
            let p = Self.canonical(path, r.paths)
            let u = ctx.canonicalCommand
            if p.hasSuffix("/") {
                guard let slash = u.lastIndex(of: "/") else { return false }
                return Pattern.hasMeta(p) ? Pattern.fnmatch(p, String(u[...slash]), flags: Pattern.pathname | Pattern.period)
                    : String(u[...slash]) == p
            }
            if Pattern.hasMeta(p) {
                // Cheap rejection on the literal text before the first meta character.
                let literal = p.utf8.prefix { !($0 == 0x5C || $0 == 0x3F || $0 == 0x2A || $0 == 0x5B || $0 == 0x5D) }
                guard u.utf8.starts(with: literal) else { return false }
                guard Pattern.fnmatch(p, u, flags: Pattern.pathname | Pattern.period) else { return false }
            } else if p != u {
                return false
            }
            return argumentsMatch(args, ctx, sudoedit: false)
        case .local:
            guard let userStat = ctx.userStat else { return false }
            if ctx.settings.fastGlob && Pattern.hasMeta(path) {
                return Pattern.fnmatch(path, ctx.userCommand, flags: Pattern.pathname) && argumentsMatch(args, ctx, sudoedit: false)
            }
            func sameFile(_ candidate: String) -> Bool {
                guard let st = Self.statFile(candidate) else { return false }
                return st.dev == userStat.dev && st.ino == userStat.ino
            }
            func baseName(_ p: String) -> String {
                p.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? p
            }
            if Pattern.hasMeta(path) {
                if !path.hasSuffix("/") {
                    let b = baseName(path)
                    if !Pattern.hasMeta(b) && b != ctx.userBase { return false }
                }
                var found: String? = nil
                for candidate in Self.glob(path) {
                    if candidate.hasSuffix("/") {
                        if sameFile(candidate + ctx.userBase) { found = candidate + ctx.userBase; break }
                        continue
                    }
                    if baseName(candidate) == ctx.userBase && sameFile(candidate) { found = candidate; break }
                }
                guard let found else { return false }
                if path.hasSuffix("/") { return digestMatches(digests, file: found, ctx) }
                return argumentsMatch(args, ctx, sudoedit: false) && digestMatches(digests, file: found, ctx)
            }
            if path.hasSuffix("/") {
                return sameFile(path + ctx.userBase) && digestMatches(digests, file: path + ctx.userBase, ctx)
            }
            guard baseName(path) == ctx.userBase, sameFile(path) else { return false }
            return argumentsMatch(args, ctx, sudoedit: false) && digestMatches(digests, file: path, ctx)
        }
    }

    func digestMatches(_ digests: [Digest], file: String, _ ctx: MatchContext) -> Bool {
        guard !digests.isEmpty else { return true }
        guard ctx.request.paths == .local else { return true } // sudo checks it on the host
        guard let data = FileManager.default.contents(atPath: file) else { return false }
        return digests.contains { d in
            guard let sum = SHA2.digest(d.algorithm, data) else { return false }
            let hex = sum.map { String(format: "%02x", $0) }.joined()
            let b64 = Data(sum).base64EncodedString()
            return d.value.lowercased() == hex || d.value == b64 || d.value == b64.replacingOccurrences(of: "=", with: "")
        }
    }

    static func glob(_ pattern: String) -> [String] {
        var gl = glob_t()
        defer { globfree(&gl) }
        #if canImport(Glibc)
        let flags = GLOB_NOSORT
        #else
        let flags = GLOB_NOSORT
        #endif
        guard Glibc.glob(pattern, Int32(flags), nil, &gl) == 0 else { return [] }
        var out: [String] = []
        for k in 0..<Int(gl.gl_pathc) {
            if let p = gl.gl_pathv[k] { out.append(String(cString: p)) }
        }
        return out
    }
}
