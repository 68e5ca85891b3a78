import Foundation
import Glibc

/// One rule of a sudoers reference that widens what the identity can do
/// beyond the command it names.
public struct SudoersAuditFinding: Sendable, Equatable, Codable {
    /// Where the entry is written (an alias member: the alias's definition).
    public var file: String
    public var line: Int
    /// The entry as Luna reads it: `(root) NOPASSWD: /usr/bin/less /var/log/syslog`.
    public var entry: String
    /// A stable name for the kind of risk: `all`, `argument-wildcard`, `program-wildcard`,
    /// `directory`, `any-arguments`, `regex-argument`, `shell-escape`, `setenv`, `negation`,
    /// `runas`, `writable-path`, `unprovable-path`.
    public var kind: String
    /// Why it widens luna's power, in a sentence.
    public var reason: String

    /// `FILE:LINE: ENTRY — REASON`.
    public var description: String { "\(file):\(line): \(entry) — \(reason)" }
}

/// How the audit may judge who can write a command's file.
public enum SudoersAuditPaths: Sendable {
    /// The reference is for this machine: each command's file and parent directories are looked at.
    case local
    /// A remote host: nothing there can be looked at, so a command outside the
    /// directories a stock system keeps root's (`/usr`, `/bin`, `/sbin`, not
    /// `/usr/local`) cannot be proven unwritable.
    case remote
}

extension Sudoers {
    /// The entries that give `user` on `host` more than the command they name, in file order.
    ///
    /// Every rule whose user and host lists may apply is read (an uncertain
    /// match counts: the audit is about what could be granted), aliases are
    /// followed to the line that defines each command, and each command entry is
    /// judged by ``SudoersAudit``.
    ///
    /// - Parameters:
    ///   - user: The identity (normally `luna`).
    ///   - groups: Its groups on the host.
    ///   - host: The host the reference is for.
    ///   - paths: Whether command paths can be looked at on this machine.
    /// - Returns: One finding per risk per entry, sorted by file and line.
    public func audit(user: String, groups: [String], host: String, paths: SudoersAuditPaths) -> [SudoersAuditFinding] {
        let request = SudoRequest(user: user, groups: groups, host: host, argv: ["/"])
        let settings = matchSettings(for: request)
        let ctx = MatchContext(listing: request, settings: settings)
        var out: [SudoersAuditFinding] = []

        for d in defaults where d.name == "setenv" && !d.negated {
            if case .user(let members) = d.scope, !userListOutcomes(members, ctx).contains(.allow) { continue }
            out.append(SudoersAuditFinding(file: d.file, line: d.line, entry: "Defaults setenv", kind: "setenv",
                                           reason: SudoersAudit.setenvReason))
        }
        for spec in userSpecs where userListOutcomes(spec.users, ctx).contains(.allow) {
            for p in spec.privileges where hostListOutcomes(p.hosts, ctx).contains(.allow) {
                for cs in p.commands {
                    let runas = runasText(cs, default: settings.runasDefault)
                    let tags = cs.tags.sorted { $0.key < $1.key }.map { ($0.value ? $0.key : "NO" + $0.key) + ": " }.joined()
                    let prefix = runas + " " + tags
                    // Per rule: runas and tags.
                    for reason in SudoersAudit.runasReasons(users: cs.runasUsers, groups: cs.runasGroups) {
                        out.append(SudoersAuditFinding(file: cs.file, line: cs.line, entry: prefix + render(cs.command),
                                                       kind: "runas", reason: reason))
                    }
                    if cs.tags["SETENV"] == true {
                        out.append(SudoersAuditFinding(file: cs.file, line: cs.line, entry: prefix + render(cs.command),
                                                       kind: "setenv", reason: SudoersAudit.setenvReason))
                    }
                    // Per command, through aliases to where each is defined.
                    for (command, file, line) in leaves(cs.command, file: cs.file, line: cs.line, negated: false) {
                        let entry = prefix + render(command)
                        for (kind, reason) in SudoersAudit.reasons(command: command.kind, negated: command.negated, paths: paths) {
                            out.append(SudoersAuditFinding(file: file, line: line, entry: entry, kind: kind, reason: reason))
                        }
                    }
                }
            }
        }
        var seen = Set<String>()
        return out.filter { seen.insert("\($0.file):\($0.line):\($0.entry):\($0.kind):\($0.reason)").inserted }
            .sorted { ($0.file, $0.line) < ($1.file, $1.line) }
    }

    /// `(root)`, `(ALL : ALL)`, or the runas default, as the listing shows it.
    func runasText(_ cs: CmndSpec, default runasDefault: String) -> String {
        guard cs.runasUsers != nil || cs.runasGroups != nil else { return "(" + runasDefault + ")" }
        var text = "(" + render(cs.runasUsers ?? [], .runas)
        if let g = cs.runasGroups { text += " : " + render(g, .runas) }
        return text + ")"
    }

    /// The commands a command entry stands for, each with the file and line that define it;
    /// a negated alias negates its members.
    func leaves(_ c: Command, file: String, line: Int, negated: Bool) -> [(Command, String, Int)] {
        switch c.kind {
        case .resolved(let name, let inner):
            let def = aliases[.command]?[name]
            return inner.flatMap { leaves($0, file: def?.file ?? file, line: def?.line ?? line, negated: negated != c.negated) }
        case .alias(let name):
            guard let def = aliases[.command]?[name] else { return [] }
            return def.commands.flatMap { leaves($0, file: def.file, line: def.line, negated: negated != c.negated) }
        default:
            var leaf = c
            leaf.negated = negated != c.negated
            return [(leaf, file, line)]
        }
    }
}

/// What makes a sudoers command entry wider than it reads: the one list of
/// risky programs and forms.
///
/// The reasons are stated in prose, after the shell-escape and file-write
/// techniques catalogued publicly for sudo rules (GTFOBins and sudoers(5)):
/// a pager or editor runs `!sh`, an interpreter runs any code, a program that
/// takes a command or a file to write lets its arguments choose either.
public enum SudoersAudit {
    /// When a program in the list is risky.
    enum When: Sendable {
        /// Whatever its arguments.
        case always
        /// When its arguments are not fixed (none given, so any).
        case anyArguments
        /// When its arguments are not fixed, or one of them starts with one of these.
        case options([String])
        /// When its arguments are not fixed, or none of them is one of these.
        case unless([String])
    }

    struct Risk: Sendable {
        var when: When
        var reason: String
    }

    static let pager = "a pager, whose `!` command runs a shell as the target user"
    static let editor = "an editor, which runs a shell (`:!sh`, a subshell command) and writes any file as the target user"
    static let interpreter = "an interpreter, whose arguments or the script it reads are code run as the target user"
    static let runsOthers = "it runs the program its arguments name, so any argument list runs any program"
    static let writer = "it writes, copies, moves or changes the files its arguments name, so any argument list changes any file"

    /// Programs (by base name) whose rules give more than they say.
    static let programs: [String: Risk] = {
        var table: [String: Risk] = [:]
        for p in ["less", "more", "most", "pg", "pager", "man", "w3m", "lynx", "links"] { table[p] = Risk(when: .always, reason: pager) }
        for p in ["vi", "vim", "nvim", "view", "vimdiff", "rvim", "rview", "ex", "ed", "nano", "pico", "emacs", "joe", "mcedit",
                  "jed", "mg", "sensible-editor", "editor", "crontab", "visudo", "vipw", "vigr"] {
            table[p] = Risk(when: .always, reason: editor)
        }
        for p in ["sh", "bash", "dash", "zsh", "ksh", "mksh", "csh", "tcsh", "fish", "ash", "busybox",
                  "python", "python2", "python3", "perl", "ruby", "irb", "node", "nodejs", "php", "lua", "luajit", "tclsh", "wish",
                  "expect", "awk", "gawk", "mawk", "nawk", "gdb", "jjs", "Rscript", "R"] {
            table[p] = Risk(when: .always, reason: interpreter)
        }
        for p in ["env", "xargs", "nice", "ionice", "timeout", "nohup", "stdbuf", "setsid", "flock", "strace", "ltrace", "time",
                  "watch", "chroot", "unshare", "nsenter", "taskset", "script", "su", "sudo", "runuser", "setpriv", "systemd-run",
                  "start-stop-daemon", "run-parts", "ssh", "scp", "sftp"] {
            table[p] = Risk(when: .anyArguments, reason: runsOthers)
        }
        for p in ["cp", "mv", "tee", "dd", "install", "ln", "chmod", "chown", "chgrp", "rm", "truncate", "mount", "umount",
                  "curl", "wget", "openssl", "cpio", "zip", "unzip", "gzip", "gunzip", "xz", "bzip2", "split", "csplit",
                  "sort", "shred", "touch", "mkdir", "rmdir", "useradd", "usermod", "passwd", "chpasswd", "apt", "apt-get",
                  "dpkg", "pip", "pip3", "make"] {
            table[p] = Risk(when: .anyArguments, reason: writer)
        }
        table["find"] = Risk(when: .options(["-exec", "-execdir", "-ok", "-okdir", "-fprint", "-fprint0", "-fprintf", "-fls", "-delete"]),
                             reason: "`-exec`/`-ok` run any program and `-fprint`/`-fls`/`-delete` write or remove any file")
        table["tar"] = Risk(when: .options(["--to-command", "--checkpoint-action", "--use-compress-program", "-I", "--rsh-command",
                                            "--info-script", "--new-volume-script", "-F", "-x", "--extract", "--get"]),
                            reason: "`--checkpoint-action=exec=…`, `--to-command` and `-I` run a program; extracting writes any file")
        table["rsync"] = Risk(when: .options(["-e", "--rsh", "--rsync-path"]),
                              reason: "`-e`/`--rsh` run any program, and its destination is any file")
        table["sed"] = Risk(when: .unless(["--sandbox"]),
                            reason: "without `--sandbox`, its `e` command runs a shell and `w` writes any file")
        table["git"] = Risk(when: .always,
                            reason: "runs its pager, hooks, aliases and `-c core.*` settings: `git help`, `git -c core.pager=…` and a hook give a shell")
        table["journalctl"] = Risk(when: .unless(["--no-pager"]), reason: "without `--no-pager` it pages through less, whose `!` runs a shell")
        table["systemctl"] = Risk(when: .options(["edit", "--root", "-H", "--host", "-M", "--machine"]),
                                  reason: "with open arguments it takes any option and unit (`edit` opens an editor as root, `-H`/`-M` act on other machines, `--root` on another tree)")
        table["docker"] = Risk(when: .options(["run", "exec", "cp", "create", "build", "compose", "-H", "--host", "--config"]),
                               reason: "`docker run -v /:/host` or `exec` is a root shell on the host")
        table["podman"] = table["docker"]
        table["dmesg"] = Risk(when: .options(["-H", "--human"]), reason: "`-H` pages through less, whose `!` runs a shell")
        table["ip"] = Risk(when: .options(["netns", "-n", "-netns", "-batch"]), reason: "`ip netns exec` runs any program")
        return table
    }()

    static let setenvReason = "SETENV: the caller may set LD_PRELOAD, PATH and the rest of the environment for the command, "
        + "which lets it load its own code (sudoers(5), SETENV)"

    /// Why a runas list gives more than root.
    static func runasReasons(users: [Member]?, groups: [Member]?) -> [String] {
        var reasons: [String] = []
        func flat(_ list: [Member], negated: Bool = false) -> [(Member.Kind, Bool)] {
            list.flatMap { m -> [(Member.Kind, Bool)] in
                if case .resolved(_, let inner) = m.kind { return flat(inner, negated: negated != m.negated) }
                return [(m.kind, negated != m.negated)]
            }
        }
        if let users {
            let members = flat(users)
            if members.contains(where: { $0.0 == .all && !$0.1 }) {
                reasons.append("runas ALL: the command runs as any user, so whatever it can do, it can do as anyone")
            }
            let others = members.compactMap { kind, negated -> String? in
                guard !negated else { return nil }
                switch kind {
                case .word(let w) where w != "root" && w != "#0": return w
                case .group(let g): return "%" + g
                case .netgroup(let n): return "+" + n
                default: return nil
                }
            }
            if !others.isEmpty {
                reasons.append("the runas list is wider than root (\(others.joined(separator: ", "))): each target's files and processes are reachable too")
            }
            if members.contains(where: { $0.1 }) {
                reasons.append("a `!` in the runas list is a denylist: a user not named is still allowed")
            }
        }
        if let groups {
            let members = flat(groups)
            if members.contains(where: { $0.0 == .all && !$0.1 }) {
                reasons.append("runas group ALL: the command may run with any group (`sudo -g`)")
            } else {
                let named = members.compactMap { kind, negated -> String? in
                    if negated { return nil }
                    if case .word(let w) = kind, w != "root", w != "#0" { return w }
                    return nil
                }
                if !named.isEmpty { reasons.append("the command may run with group \(named.joined(separator: ", ")) (`sudo -g`)") }
            }
        }
        return reasons
    }

    /// The arguments of an entry as sudoers splits them (escapes kept), nil for "any".
    static func words(_ args: String) -> [String] {
        var out: [String] = []
        var current = ""
        var escaped = false
        for c in args {
            if escaped { current.append(c); escaped = false; continue }
            if c == "\\" { current.append(c); escaped = true; continue }
            if c == " " || c == "\t" {
                if !current.isEmpty { out.append(current); current = "" }
                continue
            }
            current.append(c)
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    /// Whether an argument is `option`: itself, `--long=value`, or a short option in a cluster (`-xzf` holds `-x`).
    static func matches(_ word: String, option: String) -> Bool {
        if word == option { return true }
        if option.hasPrefix("--") { return word.hasPrefix(option + "=") }
        if option.count == 2, option.hasPrefix("-"), let letter = option.last, word.hasPrefix("-"), !word.hasPrefix("--") {
            return word.dropFirst().contains(letter)
        }
        return false
    }

    /// Whether the text has an unescaped `*`, `?` or `[`.
    static func hasWildcard(_ s: String) -> Bool {
        var escaped = false
        for c in s {
            if escaped { escaped = false; continue }
            if c == "\\" { escaped = true; continue }
            if c == "*" || c == "?" || c == "[" { return true }
        }
        return false
    }

    /// Whether a `^…$` argument regex may match a blank (and so further arguments):
    /// a `.`, a negated class, `\s`/`\S`/`\W`/`\D`, or a blank in a class.
    static func regexMayMatchBlank(_ re: String) -> Bool {
        var escaped = false
        var inClass = false
        var previous: Character = " "
        for c in re {
            defer { previous = c }
            if escaped {
                escaped = false
                if "sSWD".contains(c) { return true }
                continue
            }
            if c == "\\" { escaped = true; continue }
            if inClass {
                if c == "]" { inClass = false }
                if c == " " || c == "\t" { return true }
                if c == "^" && previous == "[" { return true }
                continue
            }
            if c == "[" { inClass = true; continue }
            if c == "." { return true }
        }
        return false
    }

    /// The risks of one command entry.
    static func reasons(command: Command.Kind, negated: Bool, paths: SudoersAuditPaths) -> [(String, String)] {
        if negated {
            return [("negation", "a `!` entry used as a denylist: sudoers(5) warns that subtracting commands is not effective — "
                     + "a copy of the program under another name, or an interpreter, escapes it")]
        }
        switch command {
        case .all:
            return [("all", "ALL: any program with any arguments (and ALL implies SETENV), so the rule grants a full shell")]
        case .alias, .resolved:
            return []
        case .path(let path, let args):
            if path == "list" { return [] }
            var out: [(String, String)] = []
            let isRegex = path.hasPrefix("^")
            if isRegex {
                out.append(("program-wildcard", "the program is a regular expression: it names every program it matches"))
            } else if path.hasSuffix("/") {
                out.append(("directory", "a directory: every program in it, with any arguments, including ones added later"))
            } else if hasWildcard(path) {
                out.append(("program-wildcard", "a wildcard in the program path matches other programs than the one meant"))
            }
            let argWords = args.map(words)
            let fixed: Bool
            if let args {
                if args.hasPrefix("^") && args.hasSuffix("$") {
                    fixed = !regexMayMatchBlank(args)
                    if !fixed {
                        out.append(("regex-argument", "the argument regex can match a blank, so it matches further arguments too"))
                    }
                } else if hasWildcard(args) {
                    fixed = false
                    out.append(("argument-wildcard", "a wildcard in the arguments matches blanks too, so `*` stands for any further "
                                + "arguments and any file (`/bin/cat /var/log/*` reads `/var/log/../../etc/shadow`)"))
                } else {
                    fixed = true
                }
            } else if path != "sudoedit" && !path.hasSuffix("/") && !isRegex {
                fixed = false
                out.append(("any-arguments", "no argument list: sudoers reads a bare program as \"with any arguments\""))
            } else {
                fixed = false
            }
            let base = String(path.split(separator: "/").last ?? Substring(path))
            let name = base.hasPrefix("python") && base.dropFirst(6).allSatisfy({ $0.isNumber || $0 == "." }) ? "python" : base
            if !isRegex, let risk = programs[name] {
                // A regex's anchors are not part of its first and last words.
                let words = (argWords ?? []).map { w -> String in
                    var w = w
                    if w.hasPrefix("^") { w.removeFirst() }
                    if w.hasSuffix("$") && !w.hasSuffix("\\$") { w.removeLast() }
                    return w
                }
                let risky: Bool
                switch risk.when {
                case .always: risky = true
                case .anyArguments: risky = !fixed
                case .options(let options):
                    risky = !fixed || words.contains { w in options.contains { matches(w, option: $0) } }
                case .unless(let required):
                    risky = !fixed || !words.contains { w in required.contains(w) }
                }
                if risky { out.append(("shell-escape", "\(base): \(risk.reason)")) }
            }
            if !isRegex, path.hasPrefix("/") {
                if let why = writablePath(path, paths: paths) { out.append(why) }
            }
            return out
        }
    }

    /// Who other than root could replace the program: a looked-at answer for this machine, else what cannot be proven.
    static func writablePath(_ path: String, paths: SudoersAuditPaths) -> (String, String)? {
        switch paths {
        case .remote:
            let stock = ["/usr/", "/bin/", "/sbin/"].contains { path.hasPrefix($0) } && !path.hasPrefix("/usr/local/")
            return stock ? nil : ("unprovable-path", "outside /usr, /bin and /sbin (or under /usr/local): Luna cannot look at the "
                                  + "host, so it cannot prove that no one but root may write the program or a directory above it")
        case .local:
            var prefix = ""
            var candidates = ["/"]
            for part in path.split(separator: "/") {
                prefix += "/" + part
                candidates.append(prefix)
            }
            if path.hasSuffix("/") == false, hasWildcard(path) { candidates.removeLast() }
            for candidate in candidates {
                var st = stat()
                guard lstat(candidate, &st) == 0 else {
                    if candidate == candidates.last { return nil } // a missing program is sudo's problem, not a writer's
                    continue
                }
                let mode = st.st_mode
                let isLink = (mode & S_IFMT) == S_IFLNK
                if isLink { continue } // a symlink's own mode means nothing; its target's path is what sudo runs
                let sticky = (mode & S_ISVTX) != 0
                let groupWritable = (mode & S_IWGRP) != 0 && st.st_gid != 0
                let otherWritable = (mode & S_IWOTH) != 0
                if st.st_uid != 0 {
                    return ("writable-path", "\(candidate) is owned by uid \(st.st_uid), not root: its owner can replace the program")
                }
                if (otherWritable || groupWritable) && !(sticky && candidate != candidates.last) {
                    let who = otherWritable ? "every user" : "group \(st.st_gid)"
                    return ("writable-path", "\(candidate) is writable by \(who): they can replace the program")
                }
            }
            return nil
        }
    }
}
