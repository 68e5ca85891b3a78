/// Classifies an argv as read-only, mutating or destructive.
///
/// Built-in knowledge covers common tools (rm, shred, wipefs, mkfs*, dd of=,
/// truncate, userdel, passwd -d/-l, chpasswd, key rotation, systemctl
/// mask/disable, docker rm/prune, zfs/zpool destroy, qm/pct destroy …); estate
/// rules given to `init(extra:)` are checked first. Wrappers (env, nice, nohup,
/// timeout, stdbuf, setsid, chroot, sudo…) are looked through. Anything unknown
/// is mutating: it still needs an approval.
public struct Classifier: Sendable {
    /// Estate rules, checked before the built-ins (first match wins).
    public let extra: [ClassificationRule]

    /// Creates a classifier.
    ///
    /// - Parameter extra: Estate-specific rules, checked first.
    public init(extra: [ClassificationRule] = []) { self.extra = extra }

    /// Classifies an argv.
    ///
    /// - Parameter argv: Program and arguments.
    /// - Returns: The class and the reason.
    public func classify(_ argv: [String]) -> Classification {
        guard let first = argv.first else { return Classification(actionClass: .mutating, reason: "empty command") }
        for rule in extra where rule.matches(argv) {
            return Classification(actionClass: rule.actionClass, reason: rule.reason)
        }
        let base = Self.baseName(first)
        let args = Array(argv.dropFirst())
        if let inner = Self.wrappedCommand(base, args), !inner.isEmpty {
            let c = classify(inner)
            return Classification(actionClass: c.actionClass, reason: "\(base) runs \(Self.baseName(inner[0])): \(c.reason)")
        }
        return Self.builtIn(base, args)
    }

    static func baseName(_ p: String) -> String { p.split(separator: "/").last.map(String.init) ?? p }

    /// The command a wrapper runs, when it is one.
    static func wrappedCommand(_ base: String, _ args: [String]) -> [String]? {
        func afterOptions(_ args: [String], valueOptions: Set<String> = [], positional: Int = 0) -> [String] {
            var k = 0
            while k < args.count, args[k].hasPrefix("-") {
                if args[k] == "--" { k += 1; break }
                if valueOptions.contains(args[k]) { k += 1 }
                k += 1
            }
            while k < args.count, args[k].contains("="), base == "env" { k += 1 }
            return Array(args.dropFirst(min(args.count, k + positional)))
        }
        switch base {
        case "env": return afterOptions(args, valueOptions: ["-u", "-C", "-S"])
        case "nice": return afterOptions(args, valueOptions: ["-n"])
        case "nohup", "setsid", "stdbuf": return afterOptions(args)
        case "ionice": return afterOptions(args, valueOptions: ["-c", "-n", "-p"])
        case "timeout": return afterOptions(args, valueOptions: ["-s", "-k", "--signal", "--kill-after"], positional: 1)
        case "chroot": return afterOptions(args, positional: 1)
        case "sudo", "doas": return afterOptions(args, valueOptions: ["-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U"])
        case "xargs": return afterOptions(args, valueOptions: ["-I", "-n", "-P", "-d", "-L", "-s", "-E", "-a"])
        default: return nil
        }
    }

    static func has(_ args: [String], _ options: String...) -> Bool {
        args.contains { a in options.contains { o in a == o || (o.hasSuffix("=") && a.hasPrefix(o)) } }
    }

    static func destructive(_ r: String) -> Classification { Classification(actionClass: .destructive, reason: r) }
    static func mutating(_ r: String) -> Classification { Classification(actionClass: .mutating, reason: r) }
    static func readOnly(_ r: String) -> Classification { Classification(actionClass: .readOnly, reason: r) }

    /// Programs that only read whatever their arguments (forms that write are caught in `builtIn` first).
    static let readOnlyPrograms: Set<String> = [
        "cat", "ls", "id", "uname", "df", "du", "free", "uptime", "ps", "stat", "head", "tail", "grep", "egrep",
        "wc", "getent", "whoami", "lsblk", "blkid", "findmnt", "sha256sum", "sha1sum", "md5sum", "test", "true",
        "echo", "printenv", "w", "who", "last", "lsof", "netstat", "lscpu", "lsmod", "lspci", "lsusb",
        "readlink", "realpath", "diff", "cmp", "zcat", "zgrep", "pgrep", "vmstat", "iostat",
        "nproc", "hostid", "groups", "dig", "host", "nslookup", "ping", "tracepath", "uptime",
        "getfacl", "namei",
    ]

    /// Programs that write files or state whatever their arguments.
    static let writers: [String: String] = [
        "tee": "tee writes files", "cp": "cp writes files", "mv": "mv moves files", "install": "install writes files",
        "ln": "ln creates links", "mkdir": "mkdir creates directories", "touch": "touch creates or changes files",
        "chmod": "chmod changes modes", "chown": "chown changes owners", "chgrp": "chgrp changes groups",
        "setfacl": "setfacl changes ACLs", "chattr": "chattr changes attributes", "mknod": "mknod creates devices",
        "mkfifo": "mkfifo creates files", "kill": "kill signals processes", "pkill": "pkill signals processes",
        "killall": "killall signals processes", "reboot": "reboot restarts the host", "shutdown": "shutdown stops the host",
        "poweroff": "poweroff stops the host", "halt": "halt stops the host", "modprobe": "modprobe loads modules",
        "insmod": "insmod loads modules", "rmmod": "rmmod unloads modules", "swapon": "swapon changes swap",
        "swapoff": "swapoff changes swap", "umount": "umount changes mounts", "useradd": "useradd adds accounts",
        "groupadd": "groupadd adds groups", "adduser": "adduser adds accounts", "addgroup": "addgroup adds groups",
        "gpasswd": "gpasswd changes groups", "update-alternatives": "update-alternatives changes links",
        "awk": "awk programs can write files and run commands", "gawk": "gawk programs can write files and run commands",
        "mawk": "mawk programs can write files and run commands", "nawk": "nawk programs can write files and run commands",
    ]

    /// Short options given to a program, clusters split (`-Hc` → H, c), stopping at `--`.
    ///
    /// Only for programs whose short options take no attached values.
    static func shortFlags(_ args: [String]) -> Set<Character> {
        var out: Set<Character> = []
        for a in args {
            if a == "--" { break }
            if a.hasPrefix("-"), !a.hasPrefix("--"), a.count > 1 { out.formUnion(a.dropFirst()) }
        }
        return out
    }

    /// Whether any argument is one of the long options (exactly, or `--opt=value`, or a prefix form given with a trailing `*`).
    static func hasLong(_ args: [String], _ options: [String]) -> Bool {
        args.contains { a in
            options.contains { o in
                if o.hasSuffix("*") { return a.hasPrefix(String(o.dropLast())) }
                return a == o || a.hasPrefix(o + "=")
            }
        }
    }

    static func builtIn(_ base: String, _ args: [String]) -> Classification {
        let sub = args.first { !$0.hasPrefix("-") } ?? ""
        switch base {
        case "rm", "rmdir", "unlink": return destructive("\(base) deletes files")
        case "shred": return destructive("shred overwrites files beyond recovery")
        case "wipefs": return destructive("wipefs erases filesystem signatures")
        case "mkswap", "mke2fs", "blkdiscard", "sgdisk", "sfdisk", "fdisk", "parted":
            let words = args.filter { !$0.hasPrefix("-") }
            if base == "parted" {
                // `parted -l`, or `parted [-s] DEVICE print`: any other word is a command that may rewrite the disk.
                if has(args, "-l", "--list"), words.isEmpty { return readOnly("parted -l lists partition tables") }
                if words.count == 2, words[1] == "print", args.allSatisfy({ !$0.hasPrefix("-") || ["-s", "--script", "-m", "--machine"].contains($0) }) {
                    return readOnly("parted prints the partition table")
                }
            }
            if base == "fdisk", args.allSatisfy({ ["-l", "--list"].contains($0) || !$0.hasPrefix("-") }), has(args, "-l", "--list") {
                return readOnly("fdisk -l lists partitions")
            }
            return destructive("\(base) rewrites disks or partitions")
        case "dd":
            return args.contains { $0.hasPrefix("of=") } ? destructive("dd with of= overwrites its target")
                : readOnly("dd without of= only reads")
        case "truncate": return destructive("truncate discards file contents")
        case "userdel", "deluser", "groupdel", "delgroup": return destructive("\(base) removes accounts")
        case "passwd":
            if has(args, "-d", "--delete", "-l", "--lock", "-e", "--expire") { return destructive("passwd deletes, locks or expires a password") }
            if has(args, "-S", "--status") { return readOnly("passwd -S shows status") }
            return destructive("passwd changes a credential")
        case "chpasswd", "chage": return destructive("\(base) changes credentials")
        case "usermod":
            if has(args, "-L", "--lock", "-e", "--expiredate", "-p", "--password") { return destructive("usermod locks, expires or sets a credential") }
            return mutating("usermod changes an account")
        case "ssh-keygen":
            // Read-only only with reading options alone: -R, -H, -p, -c, -u, -s … rewrite files or keys.
            let reading: Set<String> = ["-l", "-F", "-y", "-L", "-v", "-q"]
            let withValue: Set<String> = ["-f", "-E", "-F"]
            var k = 0, readsOnly = has(args, "-l", "-F", "-y", "-L")
            while k < args.count {
                let a = args[k]
                if withValue.contains(a) { k += 2; continue }
                if !reading.contains(a) { readsOnly = false }
                k += 1
            }
            if readsOnly { return readOnly("ssh-keygen only reads keys") }
            return destructive("ssh-keygen creates, removes or rotates keys")
        case "certbot":
            if sub == "certificates" { return readOnly("certbot lists certificates") }
            if ["revoke", "delete"].contains(sub) || has(args, "--force-renewal") { return destructive("certbot \(sub) revokes, deletes or rotates a certificate") }
            return mutating("certbot changes certificates")
        case "gpg":
            if has(args, "--delete-key", "--delete-secret-key", "--delete-keys", "--delete-secret-keys", "--gen-revoke", "--generate-revocation") {
                return destructive("gpg deletes or revokes keys")
            }
            let listing: Set<String> = ["--list-keys", "-k", "--list-secret-keys", "-K", "--verify", "--fingerprint",
                                        "--with-colons", "--batch", "--no-tty", "-q", "--quiet", "--list-sigs", "--check-sigs"]
            let words = args.filter { !$0.hasPrefix("-") }
            if has(args, "--list-keys", "-k", "--list-secret-keys", "-K", "--verify", "--fingerprint", "--list-sigs", "--check-sigs"),
               args.allSatisfy({ listing.contains($0) || words.contains($0) }) {
                return readOnly("gpg lists or verifies")
            }
            return mutating("gpg changes a keyring")
        case "wg":
            if ["genkey", "genpsk"].contains(sub) { return destructive("wg generates key material (rotation)") }
            if ["show", "showconf"].contains(sub) || sub.isEmpty { return readOnly("wg shows interfaces") }
            return mutating("wg changes an interface")
        case "systemctl":
            if ["mask", "disable"].contains(sub) { return destructive("systemctl \(sub) takes a unit out of service permanently") }
            if ["status", "is-active", "is-enabled", "is-failed", "list-units", "list-unit-files", "list-timers",
                "show", "cat", "list-dependencies", "list-sockets", "list-jobs", "get-default"].contains(sub) || sub.isEmpty {
                return readOnly("systemctl \(sub.isEmpty ? "list" : sub) only reads")
            }
            return mutating("systemctl \(sub) changes a unit's state")
        case "journalctl":
            if args.contains(where: { $0.hasPrefix("--vacuum") }) { return destructive("journalctl --vacuum deletes journal files") }
            if hasLong(args, ["--setup-keys", "--rotate", "--flush", "--sync", "--relinquish-var", "--smart-relinquish-var",
                              "--update-catalog", "--force"]) {
                return mutating("journalctl rotates, flushes, seals or rewrites the journal")
            }
            return readOnly("journalctl reads logs")
        case "dmesg":
            let flags = shortFlags(args)
            if !flags.isDisjoint(with: ["c", "C", "n", "D", "E"])
                || hasLong(args, ["--clear", "--read-clear", "--console-level", "--console-off", "--console-on"]) {
                return mutating("dmesg clears the ring buffer or changes console logging")
            }
            return readOnly("dmesg reads the kernel log")
        case "loginctl":
            let reading: Set<String> = ["", "list-sessions", "session-status", "show-session", "list-users", "user-status",
                                        "show-user", "list-seats", "seat-status", "show-seat"]
            return reading.contains(sub) ? readOnly("loginctl \(sub.isEmpty ? "list-sessions" : sub) only reads")
                : mutating("loginctl \(sub) changes sessions or users")
        case "ss":
            if shortFlags(args).contains("K") || hasLong(args, ["--kill"]) { return mutating("ss -K closes sockets") }
            return readOnly("ss lists sockets")
        case "file":
            if shortFlags(args).contains("C") || hasLong(args, ["--compile"]) { return mutating("file -C writes a compiled magic file") }
            return readOnly("file only reads")
        case "tree":
            if args.contains("-o") { return mutating("tree -o writes a file") }
            return readOnly("tree only lists")
        case "sed":
            if hasLong(args, ["--in-place*"]) || args.contains(where: { $0.hasPrefix("-") && !$0.hasPrefix("--") && $0.dropFirst().contains("i") && !$0.contains("=") }) {
                return mutating("sed -i rewrites files")
            }
            if args.contains("--sandbox") { return readOnly("sed --sandbox cannot write files or run commands") }
            return mutating("sed scripts can write files (w) and run commands (e); only sed --sandbox is read-only")
        case "sort":
            if hasLong(args, ["--output", "--compress-program"]) || args.contains(where: { $0.hasPrefix("-o") && !$0.hasPrefix("--") }) {
                return mutating("sort -o writes a file (or --compress-program runs one)")
            }
            return readOnly("sort only reads")
        case "tar":
            // Read-only only in list mode, with no option that writes or runs something.
            let first = args.first ?? ""
            let oldStyle = !first.hasPrefix("-") ? Set(first) : []
            let flags = shortFlags(args).union(oldStyle)
            let lists = flags.contains("t") || hasLong(args, ["--list"])
            let writes = !flags.isDisjoint(with: ["c", "x", "r", "u", "A", "I", "F"])
                || hasLong(args, ["--create", "--extract", "--get", "--append", "--update", "--concatenate", "--catenate",
                                  "--delete", "--to-command", "--use-compress-program", "--info-script", "--new-volume-script",
                                  "--checkpoint-action", "--index-file", "--listed-incremental", "--rsh-command", "--rmt-command"])
            return lists && !writes ? readOnly("tar -t lists an archive") : mutating("tar creates, extracts or runs commands")
        case "git":
            let reading: Set<String> = ["status", "log", "show", "diff", "rev-parse", "ls-files", "ls-tree", "cat-file",
                                        "rev-list", "describe", "shortlog", "blame"]
            // A global option (-c, -C, --git-dir, --exec-path…) before the verb can change what runs: not read-only.
            if let verb = args.first, reading.contains(verb),
               !hasLong(args, ["--output", "--ext-diff", "--textconv", "--exec", "--open-files-in-pager"]) {
                return readOnly("git \(verb) only reads")
            }
            return mutating("git \(args.first ?? "") may write the repository, run hooks or a pager")
        case "docker", "podman":
            let words = args.filter { !$0.hasPrefix("-") }
            let w0 = words.first ?? "", w1 = words.dropFirst().first ?? ""
            if ["rm", "rmi", "kill"].contains(w0) || (["volume", "container", "image", "network", "system", "builder"].contains(w0) && ["rm", "prune", "remove"].contains(w1)) {
                return destructive("\(base) \(w0) \(w1) deletes containers, images or volumes")
            }
            // A global option before the subcommand (-H/--host, --context, --config…) may point at another daemon
            // and shifts the words: only a bare subcommand counts as read-only.
            let bare = args.first.map { !$0.hasPrefix("-") } ?? false
            if bare && ["ps", "inspect", "logs", "images", "version", "info"].contains(args[0]) {
                return readOnly("\(base) \(w0) only reads")
            }
            if bare && ["container", "image", "volume", "network"].contains(args[0]) && args.count > 1 && ["ls", "inspect"].contains(args[1]) {
                return readOnly("\(base) \(w0) \(w1) only reads")
            }
            return mutating("\(base) \(w0) is not one of its read-only subcommands (ps, inspect, logs, images, info, version)")
        case "zfs", "zpool":
            if ["destroy", "labelclear"].contains(sub) { return destructive("\(base) \(sub) destroys data") }
            if ["list", "get", "status", "iostat", "history"].contains(sub) { return readOnly("\(base) \(sub) only reads") }
            return mutating("\(base) \(sub) changes storage")
        case "qm", "pct":
            if sub == "destroy" { return destructive("\(base) destroy deletes a guest and its disks") }
            if ["list", "status", "config", "pending", "listsnapshot"].contains(sub) { return readOnly("\(base) \(sub) only reads") }
            return mutating("\(base) \(sub) changes a guest")
        case "lvremove", "vgremove", "pvremove": return destructive("\(base) removes LVM volumes")
        case "crontab":
            if has(args, "-r") { return destructive("crontab -r deletes the crontab") }
            if has(args, "-l"), !has(args, "-e", "-i"), args.filter({ !$0.hasPrefix("-") }).count <= (has(args, "-u") ? 1 : 0) {
                return readOnly("crontab -l lists")
            }
            return mutating("crontab replaces a crontab")
        case "find":
            if has(args, "-delete") { return destructive("find -delete deletes files") }
            if has(args, "-exec", "-execdir", "-ok", "-okdir") { return mutating("find runs a command for each file") }
            if has(args, "-fprint", "-fprint0", "-fprintf", "-fls") { return mutating("find -fprint/-fls writes a file") }
            return readOnly("find only lists")
        case "rsync": return has(args, "--delete", "--remove-source-files") ? destructive("rsync deletes files") : mutating("rsync copies files")
        case "apt", "apt-get", "dpkg":
            if ["purge", "remove", "autoremove"].contains(sub) || has(args, "-r", "-P", "--purge", "--remove") { return destructive("\(base) removes packages") }
            if ["list", "policy", "show", "search"].contains(sub) || has(args, "-l", "-s", "-L", "--list", "--status") { return readOnly("\(base) only reads package state") }
            return mutating("\(base) changes packages")
        case "iptables", "ip6tables", "nft":
            if has(args, "-F", "--flush", "-X") || sub == "flush" { return destructive("\(base) flushes firewall rules") }
            if has(args, "-L", "-S", "--list") || sub == "list" { return readOnly("\(base) lists rules") }
            return mutating("\(base) changes firewall rules")
        case "ip":
            // `ip [OPTIONS] OBJECT [show|list|ls|lst|get|identify|pids …]`: anything else (add, set, exec, -batch,
            // abbreviations) may change state.
            let valueOptions: Set<String> = ["-n", "-netns", "-f", "-family", "-rc", "-rcvbuf", "-l", "-loops"]
            let flagOptions: Set<String> = ["-j", "-json", "-p", "-pretty", "-s", "-stats", "-statistics", "-d", "-details",
                                            "-br", "-brief", "-c", "-color", "-4", "-6", "-o", "-oneline", "-h", "-human", "-t", "-timestamp"]
            var k = 0
            while k < args.count, args[k].hasPrefix("-") {
                if valueOptions.contains(args[k]) { k += 2 } else if flagOptions.contains(args[k]) || args[k].hasPrefix("-color=") { k += 1 } else {
                    return mutating("ip \(args[k]) is not a known read-only option")
                }
            }
            let rest = Array(args.dropFirst(min(k, args.count)))
            let verbs: Set<String> = ["show", "list", "ls", "lst", "get", "identify", "pids"]
            if rest.count <= 1 || verbs.contains(rest[1]) { return readOnly("ip \(rest.first ?? "") shows network state") }
            return mutating("ip \(rest.joined(separator: " ")) may change network state")
        case "sysctl":
            let flags = shortFlags(args)
            return flags.contains("w") || flags.contains("p") || hasLong(args, ["--write", "--load", "--system"])
                || args.contains(where: { $0.contains("=") && !$0.hasPrefix("-") })
                ? mutating("sysctl sets kernel parameters") : readOnly("sysctl reads kernel parameters")
        case "date":
            // `date [+FORMAT]` and -d/-f/-r reads; -s/--set, or a bare MMDDhhmm operand, sets the clock.
            var k = 0
            while k < args.count {
                let a = args[k]
                if ["-d", "-f", "-r"].contains(a) { k += 2; continue }
                if a.hasPrefix("--set") || (a.hasPrefix("-") && !a.hasPrefix("--") && a.contains("s")) {
                    return mutating("date -s sets the clock")
                }
                if !a.hasPrefix("-") && !a.hasPrefix("+") { return mutating("date \(a) sets the clock") }
                k += 1
            }
            return readOnly("date shows the time")
        case "hostname":
            if args.filter({ !$0.hasPrefix("-") }).isEmpty, !shortFlags(args).contains("F"), !hasLong(args, ["--file", "--boot"]) {
                return readOnly("hostname shows the name")
            }
            return mutating("hostname sets the host name")
        case "timedatectl", "hostnamectl":
            let reading: Set<String> = ["", "status", "show", "list-timezones", "timesync-status", "show-timesync"]
            return reading.contains(sub) ? readOnly("\(base) shows settings") : mutating("\(base) \(sub) changes settings")
        case "mount":
            // `mount`, `mount -l`, `mount [-l] -t TYPE` list; any other argument mounts or remounts.
            var k = 0, lists = true
            while k < args.count {
                if args[k] == "-t" { k += 2; continue }
                if args[k] != "-l" { lists = false }
                k += 1
            }
            return lists ? readOnly("mount lists mounts") : mutating("mount changes mounts")
        case "nginx", "apachectl", "sshd", "named-checkconf", "visudo":
            return has(args, "-t", "-T", "-c", "configtest") ? readOnly("\(base) checks a configuration") : mutating("\(base) changes a service")
        case "smartctl":
            return has(args, "-t", "--test", "-s", "-o", "-S", "-X", "--abort", "--smart", "--smart=", "--offlineauto", "--offlineauto=",
                       "--saveauto", "--saveauto=", "--set", "--set=", "--test=")
                ? mutating("smartctl starts a test or changes settings") : readOnly("smartctl reads disk health")
        default:
            if base.hasPrefix("mkfs") { return destructive("\(base) formats a filesystem") }
            if let why = writers[base] { return mutating(why) }
            if readOnlyPrograms.contains(base) { return readOnly("\(base) only reads") }
            return Classification(actionClass: .mutating, reason: "\(base) is not known to be read-only", known: false)
        }
    }
}
