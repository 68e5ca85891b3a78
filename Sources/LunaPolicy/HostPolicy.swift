/// What the gate knows about one inventory host.
public struct HostPolicy: Sendable, Codable, Equatable {
    /// The groups of the `luna` user on that host (primary group included).
    public var groups: [String]
    /// Whether /bin and /sbin are symlinks into /usr (Debian 12+, most current distributions).
    public var usrmerge: Bool
    /// Whether the host is this machine, so program files can be compared like sudo does.
    public var local: Bool

    /// Creates a host policy.
    ///
    /// - Parameters:
    ///   - groups: luna's groups there.
    ///   - usrmerge: Whether the host has merged /usr (default true).
    ///   - local: Whether the host is this machine (default false).
    public init(groups: [String] = [], usrmerge: Bool = true, local: Bool = false) {
        self.groups = groups
        self.usrmerge = usrmerge
        self.local = local
    }
}
