import Foundation

/// Where an ssh host is reached: `address`, `port` and `user` of a `[[hosts]]` table.
public struct SSHHostSettings: Sendable, Equatable {
    /// An IP address or DNS name.
    public var address: String
    /// The SSH port (default 22).
    public var port: Int
    /// The login user (default: the configured identity).
    public var user: String

    /// Creates settings.
    ///
    /// - Parameters:
    ///   - address: An IP address or DNS name.
    ///   - port: The SSH port.
    ///   - user: The login user.
    public init(address: String, port: Int = 22, user: String) {
        self.address = address
        self.port = port
        self.user = user
    }

    /// The host keys only ssh hosts may carry.
    static let keys: Set<String> = ["address", "port", "user"]

    /// Reads `address`, `port` and `user` of one `[[hosts]]` table.
    ///
    /// - Parameters:
    ///   - table: The host's table.
    ///   - transport: Its transport; only `ssh` hosts may (and must) name an address.
    ///   - identity: The default login user.
    /// - Returns: The settings for an ssh host, nil for a local one.
    /// - Throws: `ConfigError` naming file:line:column.
    static func parse(_ table: TableReader, transport: Transport, identity: String) throws(ConfigError) -> SSHHostSettings? {
        guard transport == .ssh else {
            for key in keys.sorted() where table.contains(key) {
                throw table.error(key, "'\(key)' only applies to hosts with transport = \"ssh\"")
            }
            return nil
        }
        guard table.contains("address") else {
            throw table.error(nil, "an ssh host needs address = \"IP or DNS name\"")
        }
        let address = try table.string("address")
        guard address.range(of: "^[A-Za-z0-9][A-Za-z0-9._:-]{0,252}$", options: .regularExpression) != nil else {
            throw table.error("address", "address must be a plain IP address or DNS name, found \(address.debugDescription)")
        }
        let port = try table.optionalInt("port", in: 1...65535) ?? 22
        let user = try table.optionalString("user") ?? identity
        guard LunaConfiguration.isName(user) else { throw table.error("user", "user must be a plain user name") }
        return SSHHostSettings(address: address, port: port, user: user)
    }
}

/// The `[ssh]` section: how every ssh host (and the bastion) is reached.
public struct SSHSettings: Sendable, Equatable {
    /// The private key offered to every hop.
    public var identityFile: String
    /// The pinned host keys (default `configs/known_hosts` in the ops repo).
    public var knownHostsFile: String
    /// The bastion every connection goes through, or nil for direct connections.
    public var bastion: SSHHostSettings?
    /// The TCP connect timeout per hop.
    public var connectTimeoutSeconds: Int
    /// How many hosts are scanned at once.
    public var maxParallel: Int
    /// Where ControlMaster sockets live (default `<state_dir>/ssh`; at most 66 bytes).
    public var controlDirectory: String
    /// How many ssh hosts (in inventory order) keep their master connection between
    /// scans, so the next scan is warm; the rest connect afresh each scan (`[ssh] warm_hosts`).
    public var warmHosts: Int = SSHSettings.defaultWarmHosts

    /// The default number of warm masters, sized for this machine: an idle ssh client
    /// master holds about 6 MiB, and together they may take 2% of the memory (8 to 256).
    public static var defaultWarmHosts: Int {
        let budget = Double(ProcessInfo.processInfo.physicalMemory) * 0.02 / Double(6 << 20)
        return min(256, max(8, Int(budget)))
    }
}

/// Luna's fleet settings: the `[ssh]` section and the `[scan]` section (schedule and reminders).
public struct FleetSettings: Sendable, Equatable {
    /// The `[ssh]` section; nil when absent (then no host may use `transport = "ssh"`).
    public var ssh: SSHSettings?
    /// An ongoing finding is reminded at most once every this many hours (`[scan] reminder_hours`, default 24).
    public var reminderHours: Int
    /// An extra scan every day at this local time (`[scan] daily_scan = "06:00"`), or nil.
    public var dailyScan: DailyTime?
    /// How many hosts are scanned at once when there is no `[ssh]` section.
    public static let defaultParallel = 8

    /// Hosts scanned at once.
    public var maxParallel: Int { ssh?.maxParallel ?? Self.defaultParallel }

    /// Creates settings (tests; `load` reads them from the file).
    public init(ssh: SSHSettings? = nil, reminderHours: Int = 24, dailyScan: DailyTime? = nil) {
        self.ssh = ssh
        self.reminderHours = reminderHours
        self.dailyScan = dailyScan
    }

    /// Reads `[ssh]` and `[scan]`.
    ///
    /// - Parameters:
    ///   - root: The whole file.
    ///   - folder: The config file's folder (relative paths resolve against it).
    ///   - opsRepo: The ops repo (for the default known_hosts).
    ///   - stateDirectory: The state directory (for the default control directory).
    ///   - identity: The default login user of the bastion.
    /// - Throws: `ConfigError` naming file:line:column.
    static func parse(root: TableReader, folder: String, opsRepo: String, stateDirectory: String,
                      identity: String) throws(ConfigError) -> FleetSettings {
        var settings = FleetSettings()
        if let scan = try root.table("scan") {
            try scan.checkKnownKeys(["reminder_hours", "daily_scan"])
            settings.reminderHours = try scan.optionalInt("reminder_hours", in: 1...8760) ?? 24
            if let text = try scan.optionalString("daily_scan") {
                guard let time = DailyTime(text) else {
                    throw scan.error("daily_scan", "daily_scan must be a local time HH:MM like \"06:00\", found \(text.debugDescription)")
                }
                settings.dailyScan = time
            }
        }
        if let ssh = try root.table("ssh") {
            try ssh.checkKnownKeys(["identity_file", "known_hosts", "bastion_address", "bastion_port", "bastion_user",
                                    "connect_timeout_seconds", "max_parallel", "control_dir", "warm_hosts"])
            let identityFile = LunaConfiguration.absolute(try ssh.string("identity_file"), relativeTo: folder)
            let knownHosts = LunaConfiguration.absolute(try ssh.optionalString("known_hosts") ?? "configs/known_hosts", relativeTo: opsRepo)
            var bastion: SSHHostSettings?
            if let address = try ssh.optionalString("bastion_address") {
                guard address.range(of: "^[A-Za-z0-9][A-Za-z0-9._:-]{0,252}$", options: .regularExpression) != nil else {
                    throw ssh.error("bastion_address", "bastion_address must be a plain IP address or DNS name")
                }
                let user = try ssh.optionalString("bastion_user") ?? identity
                guard LunaConfiguration.isName(user) else { throw ssh.error("bastion_user", "bastion_user must be a plain user name") }
                bastion = SSHHostSettings(address: address, port: try ssh.optionalInt("bastion_port", in: 1...65535) ?? 22, user: user)
            } else {
                for key in ["bastion_port", "bastion_user"] where ssh.contains(key) {
                    throw ssh.error(key, "\(key) needs bastion_address")
                }
            }
            let control = LunaConfiguration.absolute(try ssh.optionalString("control_dir") ?? stateDirectory + "/ssh", relativeTo: folder)
            // ControlPath is <dir>/%C (40 hex digits); a unix socket path holds 107 bytes.
            guard control.utf8.count <= 66 else {
                throw ssh.error(ssh.contains("control_dir") ? "control_dir" : nil,
                                "the ssh control directory \(control) is longer than 66 bytes (unix socket paths are limited);"
                                    + " set [ssh] control_dir to a shorter path, e.g. \"/run/luna/ssh\"")
            }
            settings.ssh = SSHSettings(
                identityFile: identityFile, knownHostsFile: knownHosts, bastion: bastion,
                connectTimeoutSeconds: try ssh.optionalInt("connect_timeout_seconds", in: 1...300) ?? 10,
                maxParallel: try ssh.optionalInt("max_parallel", in: 1...256) ?? Self.defaultParallel,
                controlDirectory: control,
                warmHosts: try ssh.optionalInt("warm_hosts", in: 0...4096) ?? SSHSettings.defaultWarmHosts)
        }
        return settings
    }
}

/// A local time of day, `HH:MM`.
public struct DailyTime: Sendable, Equatable, CustomStringConvertible {
    public var hour: Int
    public var minute: Int

    /// Parses `HH:MM` (00:00…23:59); nil when malformed.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCII) }),
              let h = Int(parts[0]), let m = Int(parts[1]), (0...23).contains(h), (0...59).contains(m) else { return nil }
        hour = h
        minute = m
    }

    public var description: String { String(format: "%02d:%02d", hour, minute) }
}
