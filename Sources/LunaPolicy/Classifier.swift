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

    static let readOnlyPrograms: Set<String> = [
        "cat", "ls", "ss", "id", "uname", "df", "du", "free", "uptime", "ps", "stat", "head", "tail", "grep", "egrep",
        "wc", "getent", "whoami", "lsblk", "blkid", "findmnt", "sha256sum", "sha1sum", "md5sum", "test", "true",
        "echo", "printenv", "w", "who", "last", "lsof", "netstat", "lscpu", "lsmod", "lspci", "lsusb", "dmesg",
        "file", "readlink", "realpath", "diff", "cmp", "zcat", "zgrep", "tree", "pgrep", "vmstat", "iostat",
        "nproc", "hostid", "groups", "dig", "host", "nslookup", "ping", "tracepath", "uptime", "loginctl",
        "journalctl", "getfacl", "namei",
    ]

    static func builtIn(_ base: String, _ args: [String]) -> Classification {
        let sub = args.first { !$0.hasPrefix("-") } ?? ""
        switch base {
        case "rm", "rmdir", "unlink": return destructive("\(base) deletes files")
        case "shred": return destructive("shred overwrites files beyond recovery")
        case "wipefs": return destructive("wipefs erases filesystem signatures")
        case "mkswap", "mke2fs", "blkdiscard", "sgdisk", "sfdisk", "fdisk", "parted":
            if base == "parted", has(args, "print", "-l") { return readOnly("parted prints the partition table") }
            if base == "fdisk", has(args, "-l") { return readOnly("fdisk -l lists partitions") }
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
            if has(args, "-l", "-F", "-y", "-L") { return readOnly("ssh-keygen only reads keys") }
            return destructive("ssh-keygen creates, removes or rotates keys")
        case "certbot":
            if sub == "certificates" { return readOnly("certbot lists certificates") }
            if ["revoke", "delete"].contains(sub) || has(args, "--force-renewal") { return destructive("certbot \(sub) revokes, deletes or rotates a certificate") }
            return mutating("certbot changes certificates")
        case "gpg":
            if has(args, "--delete-key", "--delete-secret-key", "--delete-keys", "--delete-secret-keys", "--gen-revoke", "--generate-revocation") {
                return destructive("gpg deletes or revokes keys")
            }
            if has(args, "--list-keys", "-k", "--list-secret-keys", "-K", "--verify", "--fingerprint") { return readOnly("gpg lists or verifies") }
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
            if has(args, "--rotate", "--flush", "--sync") { return mutating("journalctl rotates or flushes the journal") }
            return readOnly("journalctl reads logs")
        case "docker", "podman":
            let words = args.filter { !$0.hasPrefix("-") }
            let w0 = words.first ?? "", w1 = words.dropFirst().first ?? ""
            if ["rm", "rmi", "kill"].contains(w0) || (["volume", "container", "image", "network", "system", "builder"].contains(w0) && ["rm", "prune", "remove"].contains(w1)) {
                return destructive("\(base) \(w0) \(w1) deletes containers, images or volumes")
            }
            if ["ps", "inspect", "logs", "images", "version", "info", "stats", "top", "port", "diff"].contains(w0) || (w1 == "ls" || w1 == "inspect") {
                return readOnly("\(base) \(w0) only reads")
            }
            return mutating("\(base) \(w0) changes containers")
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
            if has(args, "-l") { return readOnly("crontab -l lists") }
            return mutating("crontab replaces a crontab")
        case "find":
            if has(args, "-delete") { return destructive("find -delete deletes files") }
            if has(args, "-exec", "-execdir", "-ok", "-okdir") { return mutating("find runs a command for each file") }
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
            if args.contains(where: { ["add", "del", "delete", "set", "flush", "change", "replace"].contains($0) }) { return mutating("ip changes network state") }
            return readOnly("ip shows network state")
        case "sysctl":
            return has(args, "-w") || args.contains(where: { $0.contains("=") }) ? mutating("sysctl sets a kernel parameter") : readOnly("sysctl reads kernel parameters")
        case "hostname", "date", "timedatectl", "hostnamectl":
            return args.filter({ !$0.hasPrefix("-") }).isEmpty || sub == "status" ? readOnly("\(base) shows settings") : mutating("\(base) changes settings")
        case "mount": return args.isEmpty || has(args, "-l") ? readOnly("mount lists mounts") : mutating("mount changes mounts")
        case "nginx", "apachectl", "sshd", "named-checkconf", "visudo":
            return has(args, "-t", "-T", "-c", "configtest") ? readOnly("\(base) checks a configuration") : mutating("\(base) changes a service")
        case "smartctl": return has(args, "-t", "--test", "-s") ? mutating("smartctl starts a test or changes settings") : readOnly("smartctl reads disk health")
        default:
            if base.hasPrefix("mkfs") { return destructive("\(base) formats a filesystem") }
            if readOnlyPrograms.contains(base) { return readOnly("\(base) only reads") }
            return mutating("\(base) is not known to be read-only")
        }
    }
}
