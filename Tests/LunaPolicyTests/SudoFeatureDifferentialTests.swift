import Foundation
import LunaCodec
import Synchronization
import Testing
import TestSupport
@testable import LunaPolicy

/// One question put to both sudo and Luna: `sudo -l -U luna [-u U] [-g G] argv`.
struct SudoQuery {
    var runasUser: String?
    var runasGroup: String?
    var argv: [String]

    var sudoArguments: String {
        var s = "sudo -l -U luna"
        if let runasUser { s += " -u " + shellQuote(runasUser) }
        if let runasGroup { s += " -g " + shellQuote(runasGroup) }
        return s + " " + argv.map(shellQuote).joined(separator: " ")
    }
}

/// A generated sudoers file for one feature class, and what to ask about it.
struct FeatureCase {
    var text: String
    var queries: [SudoQuery]
}

/// What this machine's sudo knows: accounts, groups, addresses and shells, so
/// Luna can be told the same facts.
struct MachineFacts {
    var uid: Int
    var gids: [String]
    var opsGid: Int
    var host: String
    var accounts: [SudoAccount]
    var groupIDs: [String: Int]
    var addresses: [String]
    var shells: [String]

    static func gather(_ accounts: (uid: Int, gids: [String], opsGid: Int)) throws -> MachineFacts {
        var ids: [String: Int] = [:]
        for line in try runProcess("/usr/bin/getent", ["group"]).output.split(separator: "\n") {
            let f = line.split(separator: ":", omittingEmptySubsequences: false)
            if f.count > 2, let gid = Int(f[2]) { ids[String(f[0])] = gid }
        }
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "localhost"
        return MachineFacts(uid: accounts.uid, gids: accounts.gids, opsGid: accounts.opsGid, host: host,
                            accounts: SudoRequest.localAccounts(["root", "daemon", "nobody", "luna", "bin"]),
                            groupIDs: ids, addresses: SudoRequest.localInterfaceAddresses(), shells: SudoRequest.localLoginShells())
    }

    func request(_ q: SudoQuery, now: Date) -> SudoRequest {
        // Without -u sudo runs as runas_default (root here); with only -g, as the invoker (root: sudo -l -U is run by root).
        SudoRequest(user: "luna", groups: gids, host: host, runasUser: q.runasUser ?? "root", runasGroup: q.runasGroup,
                    runasUserSpecified: q.runasUser != nil, argv: q.argv, paths: .local, uid: uid, invokingUser: "root",
                    now: now, hostAddresses: addresses, accounts: accounts, groupIDs: groupIDs, loginShells: shells)
            .checking()
    }
}

extension SudoRequest {
    /// The same request as `sudo -l command` asks it.
    func checking() -> SudoRequest {
        var r = self
        r.checkOnly = true
        return r
    }
}

/// Generators of sudoers files that exercise one sudoers feature each.
struct FeatureGenerator {
    var rng: SeededRandom
    let facts: MachineFacts
    let now: Date
    let includeFile: String

    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &rng)] }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }
    mutating func some<T>(_ items: [T], max: Int) -> [T] { (0..<Int.random(in: 1...max, using: &rng)).map { _ in pick(items) } }

    mutating func command() -> String {
        pick(["/usr/bin/id", "/usr/bin/ls", "/usr/bin/ls -l", "/usr/bin/cat", "ALL", "/usr/bin/", "!/usr/bin/cat", "/usr/bin/l*"])
    }

    mutating func queries(_ n: Int, runas: [String?] = [nil, "root"], groups: [String?] = [nil]) -> [SudoQuery] {
        (0..<n).map { _ in
            SudoQuery(runasUser: pick(runas), runasGroup: pick(groups),
                      argv: pick([["/usr/bin/id"], ["/usr/bin/ls"], ["/usr/bin/ls", "-l"], ["/usr/bin/cat", "/etc/hostname"],
                                  ["/usr/bin/id", "-u"]]))
        }
    }

    func stamp(_ offset: TimeInterval, _ format: String, zone: TimeZone = TimeZone(identifier: "UTC")!) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = zone
        f.dateFormat = format
        return f.string(from: now.addingTimeInterval(offset))
    }

    mutating func timeValue() -> String {
        let days: [TimeInterval] = [-400, -3, -1.0 / 12, 1.0 / 12, 3, 400]
        let offset: TimeInterval = pick(days) * 86_400
        switch Int.random(in: 0..<9, using: &rng) {
        case 0: return stamp(offset, "yyyyMMddHHmmss") + "Z"
        case 1: return stamp(offset, "yyyyMMddHHmm") + "Z"
        case 2: return stamp(offset, "yyyyMMddHH") + "Z"
        case 3: return stamp(offset, "yyyyMMddHHmmss", zone: TimeZone(secondsFromGMT: 3600)!) + "+0100"
        case 4: return stamp(offset, "yyyyMMddHH", zone: TimeZone(secondsFromGMT: -5 * 3600)!) + "-05"
        case 5: return stamp(offset, "yyyyMMddHHmmss", zone: .current)
        case 6: return stamp(offset, "yyyyMMddHHmm") + ".5Z"
        case 7: return stamp(offset, "yyyyMMddHHmmss", zone: TimeZone(secondsFromGMT: 19_800)!) + "+0530"
        default: return pick(["2017030108", "201703010830305Z", "20170301", "20170301083000X", "20170301083000+1",
                              "20170301083000Zjunk", "2017030108.Z", "abc"])
        }
    }

    mutating func time() -> FeatureCase {
        var lines = ["# time-bounded rules"]
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            var opts = ""
            if chance(0.7) { opts += "NOTBEFORE=\(timeValue()) " }
            if chance(0.7) { opts += "NOTAFTER=\(timeValue()) " }
            lines.append("luna ALL = \(pick(["", "(ALL) ", "NOPASSWD: "]).isEmpty ? "" : "(ALL) ")\(opts)\(command())"
                         + (chance(0.3) ? ", \(command())" : ""))
        }
        return FeatureCase(text: lines.joined(separator: "\n") + "\n", queries: queries(20))
    }

    mutating func chrootCwd() -> FeatureCase {
        var lines = ["# CHROOT and CWD"]
        if chance(0.2) { lines.append(pick(["Defaults runchroot=*", "Defaults runcwd=*", "Defaults runcwd=/tmp", "Defaults runchroot=/",
                                            "Defaults runcwd=tmp", "Defaults !runchroot"])) }
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            let opt = pick(["CHROOT=* ", "CHROOT=/ ", "CHROOT=/nonexistent ", "CWD=* ", "CWD=/tmp ", "CWD=~ ", "CWD=~root ",
                            "CWD=tmp ", "CHROOT=relative ", "", "TIMEOUT=5m ", "CWD=* CHROOT=* "])
            lines.append("luna ALL = \(chance(0.5) ? "(ALL) " : "")\(opt)\(chance(0.3) ? "NOPASSWD: " : "")\(command())")
        }
        return FeatureCase(text: lines.joined(separator: "\n") + "\n", queries: queries(20))
    }

    mutating func checkShell() -> FeatureCase {
        var lines = ["# runas_check_shell"]
        for _ in 0..<Int.random(in: 1...2, using: &rng) {
            lines.append(pick(["Defaults runas_check_shell", "Defaults:luna runas_check_shell", "Defaults>nobody runas_check_shell",
                               "Defaults>root runas_check_shell", "Defaults!/usr/bin/id runas_check_shell", "Defaults !runas_check_shell",
                               "Defaults@\(facts.host) runas_check_shell", "Defaults:root runas_check_shell"]))
        }
        lines.append("luna ALL = (\(pick(["ALL", "root, nobody, daemon", "ALL, !daemon", "#0, #65534, luna"]))) \(command())")
        if chance(0.5) { lines.append("luna ALL = () /usr/bin/ls") }
        let runas: [String?] = [nil, "root", "nobody", "daemon", "luna", "#0", "#65534", "bin"]
        return FeatureCase(text: lines.joined(separator: "\n") + "\n", queries: queries(20, runas: runas))
    }

    mutating func defaultsValue(_ name: String, _ def: DefaultSetting) -> String {
        let good: [String]
        switch def.kind {
        case .flag: good = []
        case .int: good = ["5", "-3", "0"]
        case .uint: good = ["5", "0", "80"]
        case .mode: good = ["077", "0644", "0777"]
        case .str: good = def.path || def.chpath ? ["/var/tmp/x", "\"/usr/bin:/bin\""] + (def.chpath ? ["*", "~"] : []) : ["word", "\"two words\""]
        case .list: good = ["FOO", "\"A B\""]
        case .timeout: good = ["15", "1h30m", "2d", "10m30s"]
        case .timespec: good = ["5", "1.5", "-1", "0"]
        case .tuple: good = DefaultSetting.tuples[name] ?? []
        case .logfac: good = ["auth", "local3"]
        case .logpri: good = ["notice", "none"]
        case .rlimit: good = ["5", "infinity", "1,2", "user", "default"]
        }
        let bad = ["15f", "-1", "0999", "x", "10m30ss", "relative/path", "1,x", "never-ever", "99999999999"]
        return chance(0.75) && !good.isEmpty ? pick(good) : pick(bad)
    }

    mutating func defaults() -> FeatureCase {
        var lines = ["# Defaults validation"]
        let names = DefaultSetting.table.keys.sorted().filter { !["syslog_maxlen", "timestampowner", "iolog_user", "iolog_group",
                                                                  "runas_default", "group_plugin", "sudoers_locale"].contains($0) }
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            let unknown = chance(0.08)
            let name = unknown ? pick(["foo_bar", "env_keeps", "requiretty2", "timestamp"]) : pick(names)
            let def = DefaultSetting.table[name] ?? DefaultSetting(.flag)
            var form = Int.random(in: 0..<5, using: &rng)
            if chance(0.7) {
                // Mostly a form this setting takes, so the matcher is compared too, not only the parser.
                switch def.kind {
                case .flag: form = pick([0, 1])
                case .list: form = pick([1, 2, 4])
                case .tuple, .logfac: form = pick([0, 1, 2])
                default: form = def.bool ? pick([1, 2]) : 2
                }
            }
            let scope = pick(["", "", ":luna", ":root", "@\(facts.host)", ">root", "!/usr/bin/ls"])
            let entry: String
            switch form {
            case 0: entry = name
            case 1: entry = "!" + name
            case 2, 3: entry = name + "=" + defaultsValue(name, def)
            default: entry = name + pick(["+=", "-="]) + defaultsValue(name, def)
            }
            lines.append("Defaults\(scope) \(entry)")
        }
        lines.append("luna ALL = (ALL) \(command())")
        return FeatureCase(text: lines.joined(separator: "\n") + "\n", queries: queries(16))
    }

    mutating func digests() -> FeatureCase {
        var lines = ["# digests"]
        let files = ["/usr/bin/id", "/usr/bin/ls"]
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            let file = pick(files)
            let alg = pick(["sha224", "sha256", "sha384", "sha512"])
            let data = FileManager.default.contents(atPath: chance(0.8) ? file : "/usr/bin/cat") ?? Data()
            let sum = SHA2.digest(alg, data) ?? []
            var value: String
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: value = sum.map { String(format: "%02x", $0) }.joined()
            case 1: value = Data(sum).base64EncodedString()
            case 2: value = Data(sum).base64EncodedString().replacingOccurrences(of: "=", with: "")
            default: value = String(repeating: "0", count: sum.count * 2)
            }
            if chance(0.05) { value = String(value.dropLast()) }
            let target = pick([file, "ALL", file + " *", "CMDS", file, "ALL"])
            // A digest goes on a path or ALL; on an alias it is a syntax error, so put it inside the alias.
            let alias = target == "CMDS" && chance(0.8) ? "Cmnd_Alias CMDS = \(alg):\(value) \(file)" : "Cmnd_Alias CMDS = \(file)"
            lines.removeAll { $0.hasPrefix("Cmnd_Alias") }
            lines.append(alias)
            if alias.contains(":") {
                lines.append("luna ALL = \(chance(0.3) ? "!" : "")CMDS" + (chance(0.3) ? ", /usr/bin/cat" : ""))
                continue
            }
            lines.append("luna ALL = \(alg):\(value) \(chance(0.3) ? "!" : "")\(target)" + (chance(0.3) ? ", /usr/bin/cat" : ""))
        }
        let alias = lines.filter { $0.hasPrefix("Cmnd_Alias") }.last ?? "Cmnd_Alias CMDS = /usr/bin/id"
        let body = lines.filter { !$0.hasPrefix("Cmnd_Alias") }
        return FeatureCase(text: ([alias] + body).joined(separator: "\n") + "\n", queries: queries(16))
    }

    mutating func network() -> FeatureCase {
        var pool = ["ALL", facts.host, "127.0.0.1", "127.0.0.0/8", "::1", "10.0.0.0/8", "10.1.2.3", "2001:db8::1", "fd01::/16",
                    "198.51.100.0/24", "0.0.0.0/0", "1.2.3.4/33"]
        for a in facts.addresses {
            let parts = a.split(separator: "/").map(String.init)
            let bytes = HostAddress.parse(parts[0]) ?? []
            let bits = Int(parts.count > 1 ? parts[1] : "32") ?? 32
            let network = HostAddress.format(HostAddress.and(bytes, HostAddress.mask(bits: bits, count: bytes.count)))
            pool += [parts[0], network, "\(network)/\(bits)", "\(parts[0])/\(bits)", "\(network)/\(max(1, bits - 8))",
                     "\(network)/\(min(bytes.count * 8, bits + 4))"]
            if bytes.count == 4 {
                let mask = HostAddress.format(HostAddress.mask(bits: bits, count: 4))
                pool += ["\(network)/\(mask)", "\(parts[0])/255.255.255.255"]
            }
        }
        var lines = ["# host addresses and networks"]
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            let hosts = some(pool, max: 3).map { (chance(0.35) ? "!" : "") + $0 }.joined(separator: ", ")
            if chance(0.3) {
                lines.append("Host_Alias NETS\(lines.count) = \(hosts)")
                lines.append("luna \(chance(0.3) ? "ALL, !" : "")NETS\(lines.count - 1) = \(command())")
            } else {
                lines.append("luna \(hosts) = \(command())")
            }
        }
        return FeatureCase(text: lines.joined(separator: "\n") + "\n", queries: queries(16))
    }

    mutating func uids() -> FeatureCase {
        let uid = facts.uid
        var lines = ["# #uid users and runas"]
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            let users = some(["#\(uid)", "#0", "!#\(uid)", "luna", "#\(uid + 1)", "%#\(facts.opsGid)", "ALL"], max: 2).joined(separator: ", ")
            let runas = pick(["", "(#0) ", "(#\(uid)) ", "(#65534) ", "(#1) ", "(root) ", "(daemon, #0) ", "(ALL, !#1) ", "(#0, !root) "])
            lines.append("\(users) ALL = \(runas)\(command())")
        }
        let runas: [String?] = [nil, "root", "#0", "daemon", "#1", "#65534", "nobody", "luna", "#\(uid)"]
        return FeatureCase(text: lines.joined(separator: "\n") + "\n", queries: queries(16, runas: runas))
    }

    mutating func groups() -> FeatureCase {
        let gid = facts.opsGid
        var lines = ["# runas groups"]
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            let runas = pick(["(%lunaops) ", "(%root) ", "(%#0) ", "(:lunaops) ", "(root:lunaops) ", "(ALL:ALL) ", "(root:!lunaops, ALL) ",
                              "(:#\(gid)) ", "(luna:lunaops) ", "(%luna) ", "(daemon:daemon) ", "(root : root, lunaops) ", "(:ALL, !root) "])
            lines.append("luna ALL = \(runas)\(command())")
        }
        let runas: [String?] = [nil, nil, "root", "luna", "daemon"]
        let groups: [String?] = [nil, "lunaops", "#\(gid)", "root", "#0", "daemon", "luna"]
        return FeatureCase(text: lines.joined(separator: "\n") + "\n", queries: queries(16, runas: runas, groups: groups))
    }

    mutating func emptyRunas() -> FeatureCase {
        var lines = ["# empty runas list"]
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            lines.append("luna ALL = \(pick(["() ", "(:) ", "(root) ", "", "(), (root) "]).replacingOccurrences(of: "(), (root) ", with: "() /usr/bin/id, (root) "))\(command())")
        }
        let runas: [String?] = [nil, "root", "luna", "daemon"]
        return FeatureCase(text: lines.joined(separator: "\n") + "\n", queries: queries(12, runas: runas))
    }

    mutating func emptyArgs() -> FeatureCase {
        var lines = ["# empty quotes mean no arguments"]
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            let spec = pick(["/usr/bin/ls \"\"", "/usr/bin/ls", "/usr/bin/ls *", "!/usr/bin/ls \"\"", "/usr/bin/ls -l",
                             "/usr/bin/ls \"\", /usr/bin/id \"\"", "/usr/bin/l* \"\""])
            lines.append("luna ALL = " + spec)
        }
        let argvs = [["/usr/bin/ls"], ["/usr/bin/ls", "\"\""], ["/usr/bin/ls", ""], ["/usr/bin/ls", "-l"], ["/usr/bin/id"],
                     ["/usr/bin/id", "\"\""]]
        return FeatureCase(text: lines.joined(separator: "\n") + "\n",
                           queries: (0..<10).map { _ in SudoQuery(runasUser: nil, runasGroup: nil, argv: pick(argvs)) })
    }

    mutating func syntax() -> FeatureCase {
        let base = "luna ALL = (ALL) /usr/bin/id"
        let escapedInclude = includeFile.replacingOccurrences(of: " ", with: "\\ ")
        let text = pick([
            base + " \\\n", base + " \\", base + "\\", base + "\n# trailing \\\n",
            "\"%\" ALL = /usr/bin/id", "\"%:\" ALL = /usr/bin/id", "\"+\" ALL = /usr/bin/id", "\"%lunaops\" ALL = /usr/bin/id",
            "luna ALL = (\"%\") /usr/bin/id",
            "Cmnd_Alias TIMEOUT = /usr/bin/id\nluna ALL = TIMEOUT", "Cmnd_Alias CWD = /usr/bin/id\nluna ALL = CWD",
            "Cmnd_Alias NOTBEFORE = /usr/bin/id\nluna ALL = NOTBEFORE", "Cmnd_Alias NOTAFTER = /usr/bin/id\nluna ALL = NOTAFTER",
            "Cmnd_Alias CHROOT = /usr/bin/id\nluna ALL = CHROOT", "User_Alias ROLE = luna\nROLE ALL = /usr/bin/id",
            "Host_Alias TYPE = ALL\nluna TYPE = /usr/bin/id", "Cmnd_Alias TIMEOUTS = /usr/bin/id\nluna ALL = TIMEOUTS",
            "Cmnd_Alias PRIVS = /usr/bin/id\nluna ALL = PRIVS",
            "luna ALL = list", "luna ALL = list, /usr/bin/id", "luna ALL = !list, /usr/bin/ls", "luna ALL = list -l",
            "@include \(escapedInclude)", "@include \"\(includeFile)\"", "luna ALL = /usr/bin/id\n@include \(escapedInclude)x",
            "luna ALL = TIMEOUT=10m30ss /usr/bin/id", "luna ALL = TIMEOUT=1d2h3m4s /usr/bin/id", "luna ALL = TIMEOUT=5 /usr/bin/id",
            "luna ALL = TIMEOUT=10x /usr/bin/id", "luna ALL = TIMEOUT=1h1d /usr/bin/id", "luna ALL = TIMEOUT=-1 /usr/bin/id",
            "luna ALL = TIMEOUT=3m3m /usr/bin/id", "luna ALL = TIMEOUT=99999999999 /usr/bin/id",
            "luna ALL = NOPASSWD: TIMEOUT=5 /usr/bin/id", "luna ALL = TIMEOUT=5 NOPASSWD: /usr/bin/id",
            "luna ALL = CWD=/tmp NOEXEC: /usr/bin/id", "luna ALL = NOEXEC: CWD=/tmp /usr/bin/id",
            "Defaults command_timeout=15f\n" + base, "Defaults command_timeout=15m\n" + base, "Defaults foo_bar\n" + base,
            "Defaults runas_default=nosuchuser\n" + base, "Defaults iolog_user=nosuch\n" + base, "Defaults group_plugin=x\n" + base, "Defaults sudoers_locale=C\n" + base, "Defaults sudoers_locale=xx_YY\n" + base, "Defaults timestampowner=nosuch\n" + base, "Defaults syslog_maxlen=0\n" + base, "Defaults env_keep=\"A B\"\n" + base, "Defaults secure_path=\"\"\n" + base, "Defaults passwd_tries=0\n" + base, "Defaults !loglinelen\n" + base, "Defaults lecture_file=relative\n" + base, "Defaults editor=vi\n" + base, "Defaults editor=/usr/bin/vi:/bin/nano\n" + base, "Defaults mailerpath=x\n" + base, "Defaults iolog_dir=~x\n" + base, "Defaults runcwd=~\n" + base, "Defaults runchroot=x\n" + base, "Defaults closefrom=+3\n" + base, "Defaults passwd_tries= 3\n" + base, "Defaults timestamp_timeout=1.\n" + base, "Defaults timestamp_timeout=.5\n" + base, "Defaults timestamp_timeout=1.5x\n" + base, "Defaults timestamp_timeout=1.1234567891x\n" + base, "Defaults command_timeout=1h1d\n" + base, "Defaults command_timeout=0\n" + base, "Defaults rlimit_core=\"5,infinity\"\n" + base, "Defaults rlimit_core=\"infinity,5\"\n" + base, "Defaults rlimit_core=\"1,\"\n" + base, "Defaults rlimit_core=1k\n" + base, "Defaults umask=0777\n" + base, "Defaults umask=1777\n" + base, "Defaults !umask\n" + base, "Defaults lecture\n" + base, "Defaults !lecture\n" + base, "Defaults timestamp_type\n" + base, "Defaults !timestamp_type\n" + base, "Defaults syslog\n" + base, "Defaults !syslog\n" + base, "Defaults syslog=local9\n" + base, "Defaults env_keep-=HOME\n" + base, "Defaults env_keep+=\"A B\"\n" + base, "Defaults !env_keep\n" + base, "Defaults !!requiretty\n" + base, "Defaults verifypw=any\n" + base, "Defaults log_format=json\n" + base, "Defaults intercept_type=ptrace\n" + base,
        ])
        return FeatureCase(text: text + "\n", queries: queries(12))
    }
}

@Suite("Differential test against real sudo, per sudoers feature", .serialized)
struct SudoFeatureDifferentialTests {
    /// Per class: cases compared, files both rejected, and Luna's deliberate fail-closed denials.
    struct Tally: Sendable {
        var compared = 0
        var rejectedByBoth = 0
        var files = 0
        var failClosed = 0
    }

    @Test("Sudoers.decide agrees with sudo -l for every modelled feature class",
          .enabled(if: SystemRequirements.available(tools: ["sudo", "visudo", "unshare", "mount", "useradd"], needsRoot: true)),
          .timeLimit(.minutes(3)))
    func features() throws {
        // LUNA_SUDO_FILES=N runs N files per class (the CI default is 50, about 7,000 cases).
        let filesPerClass = Int(ProcessInfo.processInfo.environment["LUNA_SUDO_FILES"] ?? "") ?? (SystemRequirements.required ? 50 : 8)
        let facts = try MachineFacts.gather(try SudoDifferentialTests.ensureAccounts())
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("luna-sudo-features-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let includeFile = dir + "/included file"
        FileManager.default.createFile(atPath: includeFile, contents: Data("luna ALL = /usr/bin/ls\n".utf8),
                                       attributes: [.posixPermissions: 0o440])
        let now = Date()
        let seedBase = UInt64(ProcessInfo.processInfo.environment["LUNA_SUDO_SEED"] ?? "") ?? 20_261_201
        let classes: [(String, @Sendable (inout FeatureGenerator) -> FeatureCase)] = [
            ("time-bounded rules (NOTBEFORE/NOTAFTER)", { $0.time() }),
            ("CHROOT=/CWD= and runchroot/runcwd", { $0.chrootCwd() }),
            ("runas_check_shell", { $0.checkShell() }),
            ("Defaults names and values", { $0.defaults() }),
            ("digests (hex, base64, on ALL)", { $0.digests() }),
            ("host addresses and networks", { $0.network() }),
            ("#uid users and runas", { $0.uids() }),
            ("runas groups (%group, :group, user:group)", { $0.groups() }),
            ("empty runas ()", { $0.emptyRunas() }),
            ("empty quotes (no arguments)", { $0.emptyArgs() }),
            ("syntax sudo rejects (backslash, empty groups, reserved words, list, @include, TIMEOUT=)", { $0.syntax() }),
        ]
        // The only deliberate difference: Luna's executor passes neither -R nor -D
        // and no SELinux context, so rules (or Defaults) with these never allow.
        let failClosedAllowed = ["CHROOT=", "CWD=", "runchroot=", "runcwd=", "ROLE=", "TYPE="]
        let tallies = Mutex([String: Tally]())
        let disagreements = Mutex([String]())
        let jobs = classes.indices.flatMap { c in (0..<filesPerClass).map { (c, $0) } }

        DispatchQueue.concurrentPerform(iterations: 2) { worker in
            for (n, job) in jobs.enumerated() where n % 2 == worker {
                let (c, index) = job
                let (name, make) = classes[c]
                let seed = seedBase &+ UInt64(c * 10_000 + index)
                var gen = FeatureGenerator(rng: SeededRandom(state: seed), facts: facts, now: now, includeFile: includeFile)
                let fc = make(&gen)
                let path = "\(dir)/sudoers-\(c)-\(index)"
                FileManager.default.createFile(atPath: path, contents: Data(fc.text.utf8), attributes: [.posixPermissions: 0o440])
                let parsed = Result { () throws(SudoersError) in try Sudoers.parse(fc.text, file: path) }
                let visudoOK = ((try? runProcess("/usr/sbin/visudo", ["-cf", path]).status) ?? 1) == 0
                tallies.withLock { $0[name, default: Tally()].files += 1 }
                guard visudoOK else {
                    if case .success = parsed {
                        disagreements.withLock { $0.append("[\(name)] visudo rejects but Luna accepts (seed \(seed)):\n\(fc.text)") }
                    } else {
                        tallies.withLock { $0[name, default: Tally()].rejectedByBoth += 1 }
                    }
                    continue
                }
                let sudoers: Sudoers
                switch parsed {
                case .success(let s): sudoers = s
                case .failure(let e):
                    disagreements.withLock { $0.append("[\(name)] visudo accepts but Luna rejects: \(e) (seed \(seed))\n\(fc.text)") }
                    continue
                }
                var script = "mount --bind \(shellQuote(path)) /etc/sudoers || exit 99\n"
                for q in fc.queries { script += q.sudoArguments + " >/dev/null 2>&1; echo $?\n" }
                let scriptPath = path + ".sh"
                FileManager.default.createFile(atPath: scriptPath, contents: Data(script.utf8))
                guard let result = try? runProcess("/usr/bin/unshare", ["-m", "/bin/sh", scriptPath]), result.status == 0 else {
                    disagreements.withLock { $0.append("[\(name)] could not run sudo in a private mount namespace") }
                    continue
                }
                let codes = result.output.split(separator: "\n").map { Int($0) ?? -1 }
                for (k, q) in fc.queries.enumerated() where k < codes.count {
                    let decision = sudoers.decide(facts.request(q, now: now))
                    let sudoAllows = codes[k] == 0
                    let note = decision.note ?? ""
                    let failClosed = sudoAllows && !decision.allowed && note.contains("fails closed")
                        && failClosedAllowed.contains { note.contains($0) }
                    tallies.withLock {
                        $0[name, default: Tally()].compared += 1
                        if failClosed { $0[name, default: Tally()].failClosed += 1 }
                    }
                    if sudoAllows != decision.allowed && !failClosed {
                        disagreements.withLock {
                            $0.append("""
                                [\(name)] sudo says \(sudoAllows ? "allowed" : "denied (exit \(codes[k]))"), Luna says \(decision)
                                command: \(q.sudoArguments)
                                file (seed \(seed)):
                                \(fc.text)
                                """)
                        }
                    }
                }
            }
        }
        let final = tallies.withLock { $0 }
        let found = disagreements.withLock { $0 }
        var total = 0
        print("sudo feature differential (seed \(seedBase)), per feature class:")
        for (name, _) in classes {
            let t = final[name] ?? Tally()
            total += t.compared
            print("  \(name): \(t.compared) cases compared over \(t.files) files; \(t.rejectedByBoth) files rejected by both visudo and Luna; \(t.failClosed) fail-closed denials")
        }
        print("sudo feature differential: \(total) cases compared; disagreements: \(found.count)")
        var shown: [String: Int] = [:]
        for d in found {
            let cls = String(d.prefix { $0 != "]" })
            shown[cls, default: 0] += 1
            if shown[cls]! <= 3 { print("---- DISAGREEMENT\n\(d)") }
        }
        #expect(found.isEmpty, "see the DISAGREEMENT blocks printed above")
        for (name, _) in classes { #expect((final[name]?.compared ?? 0) + (final[name]?.rejectedByBoth ?? 0) > 0, "class \(name) compared nothing") }
    }
}
