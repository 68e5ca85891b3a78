import Foundation

/// How an approved argv is started on a host.
public enum ExecutionMode: String, Sendable, Codable {
    /// `sudo -n -u RUNAS -- ARGV` as the luna identity (the normal case; the target is always explicit).
    case sudo
    /// ARGV directly, for hosts where the service user already is luna, and for tests.
    case direct
}

/// How Luna reaches a host.
public enum Transport: String, Sendable, Codable {
    /// This machine, by spawning processes directly.
    case local
    /// Over ssh (through the bastion, when one is configured); see `[ssh]`.
    case ssh
}

/// One host of the inventory.
public struct HostConfig: Sendable, Equatable {
    /// The inventory name; also names the host's references (`configs/sudoers/luna-<name>`).
    public var name: String
    public var transport: Transport
    /// Groups the luna identity belongs to on that host (for `%group` sudoers rules).
    public var groups: [String]
    /// Whether /bin, /sbin and /lib are links into /usr on that host.
    public var usrmerge: Bool
    /// The drift checks enabled for the host.
    public var checks: [String]
    /// Where an `ssh` host is reached (nil for local hosts).
    public var ssh: SSHHostSettings? = nil
    /// The host's non-loopback addresses with prefix lengths, for address
    /// entries of sudoers host lists; nil = unknown (such entries never allow).
    public var addresses: [String]? = nil
    /// The numeric uid of the luna identity there, for `#uid` rules; nil = unknown.
    public var uid: Int? = nil
    /// Accounts commands may run as there: `name:uid:shell` (for `#uid` runas and `runas_check_shell`).
    public var accounts: [HostAccount] = []
    /// The host's /etc/shells, for `runas_check_shell`; nil = unknown (then that setting allows nothing).
    public var loginShells: [String]? = nil
}

/// An account of an inventory host that commands may run as.
public struct HostAccount: Sendable, Equatable {
    public var name: String
    public var uid: Int
    public var shell: String

    /// Parses `name:uid:shell`.
    static func parse(_ text: String) -> HostAccount? {
        let f = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard f.count == 3, !f[0].isEmpty, let uid = Int(f[1]), uid >= 0, f[2].hasPrefix("/") else { return nil }
        return HostAccount(name: f[0], uid: uid, shell: f[2])
    }
}

/// Luna's typed configuration, read from a TOML file.
///
/// Relative paths resolve against the config file's folder. Secrets never live
/// here: token and key files are named and read with `SecretFile`.
public struct LunaConfiguration: Sendable {
    /// The config file's absolute path.
    public var file: String
    /// The ops repository (a git work tree) holding configs/, memory/, skills/, prompts/, docs/.
    public var opsRepo: String
    /// Where the SQLite state and lock live.
    public var stateDirectory: String
    /// Seconds between scans in `luna run`.
    public var scanIntervalSeconds: Int
    /// The limited identity Luna acts as on every host.
    public var identity: String
    public var execution: ExecutionMode
    /// The sudo program used in `sudo` mode.
    public var sudoPath: String
    /// Seconds an action or a collection may run.
    public var commandTimeoutSeconds: Int
    /// Bytes of each output stream kept; the rest is dropped with a note.
    public var outputLimitBytes: Int
    /// Bytes of output a drift collection may print: `output_limit_bytes`, but
    /// at least 16 MiB, since a listing cut short is an error, never evidence.
    public var collectionOutputLimitBytes: Int { max(outputLimitBytes, 16 << 20) }
    /// Minutes a proposal waits for approval before it expires.
    public var approvalTTLMinutes: Int
    public var gitAuthorName: String
    public var gitAuthorEmail: String
    public var hosts: [HostConfig]
    /// The model planner's `[llm]` section; nil without one (skills only).
    public var llm: LLMConfiguration? = nil
    /// The approval channels besides the CLI: `[channels.<kind>]` (and `[discord]`).
    public var channels = ChannelSections()
    /// The Discord channel's settings, or nil when it is not configured.
    public var discord: DiscordSettings? {
        get { channels[DiscordSettings.self] }
        set { channels[DiscordSettings.self] = newValue }
    }
    /// The `[ssh]` and `[scan]` sections (transport, parallelism, reminders, daily scan).
    public var fleet: FleetSettings = FleetSettings()
    /// `[policy] read_only_aliases`: the `Cmnd_Alias` names in each host's sudoers
    /// reference whose commands the operator declares read-only — the only
    /// commands Luna runs without an approval (inspect, verification).
    public var readOnlyAliases: [String] = ["LUNA_READ"]
    /// `[skills] stale_after_days`: an approved skill unused this long is shown `stale` (still used).
    public var skillStaleAfterDays: Int = 90
    /// `[log]`, `[digest]` and `[metrics]`: how the daemon reports on itself.
    public var operations = OperationsSettings()

    /// The host called `name`, or nil when it is not in the inventory.
    public func host(_ name: String) -> HostConfig? { hosts.first { $0.name == name } }

    /// The ops repo's `configs` folder.
    public var configsDirectory: String { opsRepo + "/configs" }
    /// The folder of per-host sudoers references.
    public var sudoersDirectory: String { configsDirectory + "/sudoers" }
    /// The ops repo's `skills` folder.
    public var skillsDirectory: String { opsRepo + "/skills" }
    /// The ops repo's `memory` folder.
    public var memoryDirectory: String { opsRepo + "/memory" }

    /// Reads and validates a configuration file.
    ///
    /// - Parameters:
    ///   - path: The TOML file.
    ///   - stateDirectory: Overrides `state_dir` (the `--state-dir` option).
    ///   - knownChecks: The drift checks this build has, to validate `checks`.
    ///   - channelKinds: The approval channel kinds this build has, to read `[channels.<kind>]`
    ///     (the application passes its channel registry's; Discord alone by default).
    ///   - knownProviders: The model providers this build has (LunaModel's registry), to validate `[llm] provider`
    ///     and fill in its default `api_base`; with none, any `[llm]` section is refused.
    /// - Throws: `ConfigError` naming file:line:column and what was expected.
    public static func load(path: String, stateDirectory: String? = nil, knownChecks: [String],
                            channelKinds: [any ChannelSettings.Type] = ChannelSections.standardKinds,
                            knownProviders: [KnownLLMProvider] = []) throws(ConfigError) -> LunaConfiguration {
        let absolute = Self.absolute(path, relativeTo: FileManager.default.currentDirectoryPath)
        let root = TableReader(try TOML.load(path: absolute))
        let folder = (absolute as NSString).deletingLastPathComponent
        try root.checkKnownKeys(["luna", "approvals", "git", "hosts", "channels", "discord", "llm", "ssh", "scan", "policy", "skills",
                                "log", "digest", "metrics"])

        guard let luna = try root.table("luna") else { throw root.error(nil, "missing table [luna]") }
        try luna.checkKnownKeys(["ops_repo", "state_dir", "scan_interval_seconds", "identity", "execution",
                                 "sudo_path", "command_timeout_seconds", "output_limit_bytes"])
        let opsRepo = Self.absolute(try luna.string("ops_repo"), relativeTo: folder)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: opsRepo, isDirectory: &isDir), isDir.boolValue else {
            throw luna.error("ops_repo", "ops_repo \(opsRepo) is not a directory")
        }
        let configuredState = try luna.optionalString("state_dir") ?? "/var/lib/luna"
        let state = stateDirectory.map { Self.absolute($0, relativeTo: FileManager.default.currentDirectoryPath) }
            ?? Self.absolute(configuredState, relativeTo: folder)
        let interval = try Int(luna.optionalInt("scan_interval_seconds") ?? 300)
        guard interval >= 10 else { throw luna.error("scan_interval_seconds", "scan_interval_seconds must be at least 10") }
        let identity = try luna.optionalString("identity") ?? "luna"
        guard Self.isName(identity) else { throw luna.error("identity", "identity must be a user name like 'luna'") }
        let executionText = try luna.optionalString("execution") ?? "sudo"
        guard let execution = ExecutionMode(rawValue: executionText) else {
            throw luna.error("execution", "execution must be \"sudo\" or \"direct\", found \"\(executionText)\"")
        }
        let sudoPath = try luna.optionalString("sudo_path") ?? "/usr/bin/sudo"
        guard sudoPath.hasPrefix("/") else { throw luna.error("sudo_path", "sudo_path must be absolute") }
        let timeout = try Int(luna.optionalInt("command_timeout_seconds") ?? 120)
        guard (1...86_400).contains(timeout) else { throw luna.error("command_timeout_seconds", "command_timeout_seconds must be 1…86400") }
        let limit = try Int(luna.optionalInt("output_limit_bytes") ?? (1 << 20))
        guard (1024...(64 << 20)).contains(limit) else { throw luna.error("output_limit_bytes", "output_limit_bytes must be 1024…67108864") }

        var ttl = 60
        if let approvals = try root.table("approvals") {
            try approvals.checkKnownKeys(["ttl_minutes"])
            ttl = try Int(approvals.optionalInt("ttl_minutes") ?? 60)
            guard (1...10_080).contains(ttl) else { throw approvals.error("ttl_minutes", "ttl_minutes must be 1…10080 (a week)") }
        }

        var authorName = "Luna", authorEmail = "luna@localhost"
        if let git = try root.table("git") {
            try git.checkKnownKeys(["author_name", "author_email"])
            authorName = try git.optionalString("author_name") ?? authorName
            authorEmail = try git.optionalString("author_email") ?? authorEmail
        }

        var readOnlyAliases = ["LUNA_READ"]
        if let policy = try root.table("policy") {
            try policy.checkKnownKeys(["read_only_aliases"])
            readOnlyAliases = try policy.optionalStringArray("read_only_aliases") ?? readOnlyAliases
            for name in readOnlyAliases where name.range(of: "^[A-Z][A-Z0-9_]*$", options: .regularExpression) == nil {
                throw policy.error("read_only_aliases", "'\(name)' is not a sudoers alias name (capital letters, digits and '_', starting with a letter)")
            }
        }

        var staleAfter = 90
        if let skills = try root.table("skills") {
            try skills.checkKnownKeys(["stale_after_days"])
            staleAfter = try skills.optionalInt("stale_after_days", in: 1...36_500) ?? staleAfter
        }

        var hosts: [HostConfig] = []
        var hostNames = Set<String>()  // a set, not a scan of `hosts`: linear for large inventories
        let hostTables = try root.tables("hosts")
        guard !hostTables.isEmpty else { throw root.error(nil, "the inventory is empty: add at least one [[hosts]] table") }
        for table in hostTables {
            try table.checkKnownKeys(Set(["name", "transport", "groups", "usrmerge", "checks", "addresses", "uid", "accounts",
                                          "login_shells"]).union(SSHHostSettings.keys))
            let name = try table.string("name")
            guard Self.isName(name) else {
                throw table.error("name", "host name must be letters, digits, '.', '_' or '-' (it names files under configs/)")
            }
            guard hostNames.insert(name).inserted else { throw table.error("name", "host '\(name)' is listed twice") }
            let transportText = try table.optionalString("transport") ?? "local"
            guard let transport = Transport(rawValue: transportText) else {
                throw table.error("transport", "transport '\(transportText)' is not supported by this build; supported: local, ssh")
            }
            let checks = try table.optionalStringArray("checks") ?? knownChecks
            for check in checks where !knownChecks.contains(check) {
                throw table.error("checks", "unknown check '\(check)'; known: \(knownChecks.joined(separator: ", "))")
            }
            hosts.append(HostConfig(name: name, transport: transport,
                                    groups: try table.optionalStringArray("groups") ?? [],
                                    usrmerge: try table.optionalBool("usrmerge") ?? true,
                                    checks: checks,
                                    ssh: try SSHHostSettings.parse(table, transport: transport, identity: identity),
                                    addresses: try Self.addresses(table),
                                    uid: try table.optionalInt("uid", in: 0...Int(UInt32.max)),
                                    accounts: try Self.accounts(table),
                                    loginShells: try Self.loginShells(table)))
        }

        let fleet = try FleetSettings.parse(root: root, folder: folder, opsRepo: opsRepo, stateDirectory: state, identity: identity)
        if fleet.ssh == nil, let first = hostTables.first(where: { (try? $0.optionalString("transport")) == "ssh" }) {
            throw first.error("transport", "transport = \"ssh\" needs an [ssh] section with identity_file")
        }
        var config = LunaConfiguration(file: absolute, opsRepo: opsRepo, stateDirectory: state,
                                 scanIntervalSeconds: interval, identity: identity, execution: execution,
                                 sudoPath: sudoPath, commandTimeoutSeconds: timeout, outputLimitBytes: limit,
                                 approvalTTLMinutes: ttl, gitAuthorName: authorName, gitAuthorEmail: authorEmail,
                                 hosts: hosts, llm: try LLMConfiguration.parse(root.table("llm"), folder: folder, providers: knownProviders),
                                 fleet: fleet)
        config.channels = try ChannelSections.parse(root: root, folder: folder, kinds: channelKinds)
        config.readOnlyAliases = readOnlyAliases
        config.skillStaleAfterDays = staleAfter
        config.operations = try OperationsSettings.parse(root: root, folder: folder)
        return config
    }

    /// Whether a URL host is this machine's loopback: `localhost`, an IPv4
    /// address in 127.0.0.0/8 or `::1` — by address, never by a name's prefix
    /// (`127.example.com` is somebody else's host).
    public static func isLoopbackHost(_ host: String) -> Bool {
        let h = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if h.lowercased() == "localhost" { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, h, &v4) == 1 { return UInt32(bigEndian: v4.s_addr) >> 24 == 127 }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, h, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { b in b.prefix(15).allSatisfy { $0 == 0 } && b[15] == 1 }
        }
        return false
    }

    static func addresses(_ table: TableReader) throws(ConfigError) -> [String]? {
        guard let list = try table.optionalStringArray("addresses") else { return nil }
        for a in list {
            let parts = a.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let isV6 = parts[0].contains(":")
            var valid = isV6 ? parts[0].allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) && parts[0].filter({ $0 == ":" }).count >= 2
                : parts[0].split(separator: ".", omittingEmptySubsequences: false).count == 4
                    && parts[0].split(separator: ".", omittingEmptySubsequences: false).allSatisfy { UInt8($0) != nil }
            if parts.count == 2 { valid = valid && Int(parts[1]).map { $0 >= 0 && $0 <= (isV6 ? 128 : 32) } == true }
            guard valid else {
                throw table.error("addresses", "'\(a)' is not an address like 192.0.2.10/24 or fd00::2/64")
            }
        }
        return list
    }

    static func accounts(_ table: TableReader) throws(ConfigError) -> [HostAccount] {
        try (table.optionalStringArray("accounts") ?? []).map { (text: String) throws(ConfigError) -> HostAccount in
            guard let a = HostAccount.parse(text) else {
                throw table.error("accounts", "'\(text)' is not name:uid:shell (like nobody:65534:/usr/sbin/nologin)")
            }
            return a
        }
    }

    static func loginShells(_ table: TableReader) throws(ConfigError) -> [String]? {
        guard let list = try table.optionalStringArray("login_shells") else { return nil }
        for s in list where !s.hasPrefix("/") { throw table.error("login_shells", "'\(s)' is not an absolute path") }
        return list
    }

    static func isName(_ s: String) -> Bool {
        s.range(of: "^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$", options: .regularExpression) != nil
    }

    static func absolute(_ path: String, relativeTo base: String) -> String {
        let joined = path.hasPrefix("/") ? path : base + "/" + path
        return (joined as NSString).standardizingPath
    }
}
