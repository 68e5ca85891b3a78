/// What the gate knows about one inventory host.
///
/// Facts left unknown (nil) make the gate fail closed where a rule depends on
/// them: host address entries, `#uid` users, `runas_check_shell`.
public struct HostPolicy: Sendable, Codable, Equatable {
    /// The groups of the `luna` user on that host (primary group included).
    public var groups: [String]
    /// Whether /bin and /sbin are symlinks into /usr (Debian 12+, most current distributions).
    public var usrmerge: Bool
    /// Whether the host is this machine, so program files can be compared like sudo does.
    public var local: Bool
    /// The host's non-loopback addresses with prefix lengths (`192.0.2.10/24`); nil when unknown.
    public var addresses: [String]?
    /// luna's numeric user id on that host, for `#uid` rules; nil when unknown.
    public var uid: Int?
    /// Accounts commands may run as there (name, uid, groups, shell).
    public var accounts: [SudoAccount]
    /// The host's /etc/shells, for `runas_check_shell`; nil when unknown.
    public var loginShells: [String]?

    /// Creates a host policy.
    ///
    /// - Parameters:
    ///   - groups: luna's groups there.
    ///   - usrmerge: Whether the host has merged /usr (default true).
    ///   - local: Whether the host is this machine (default false).
    ///   - addresses: The host's addresses, if known.
    ///   - uid: luna's uid there, if known.
    ///   - accounts: Target accounts there.
    ///   - loginShells: The host's valid shells, if known.
    public init(groups: [String] = [], usrmerge: Bool = true, local: Bool = false, addresses: [String]? = nil,
                uid: Int? = nil, accounts: [SudoAccount] = [], loginShells: [String]? = nil) {
        self.groups = groups
        self.usrmerge = usrmerge
        self.local = local
        self.addresses = addresses
        self.uid = uid
        self.accounts = accounts
        self.loginShells = loginShells
    }
}
