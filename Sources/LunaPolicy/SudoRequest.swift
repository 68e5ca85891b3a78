/// How a command path is compared with the paths in a rule.
public enum PathResolution: Sendable, Equatable {
    /// Compare the resolved files on this machine, as sudo does (so on a usrmerge
    /// system /bin/ls matches a rule for /usr/bin/ls). The program must exist.
    case local
    /// Compare canonical path strings: for a remote host whose files Luna cannot
    /// see. With `usrmerge`, /bin and /sbin are read as /usr/bin and /usr/sbin.
    case canonical(usrmerge: Bool)
}

/// One question for the matcher: may `user` run `argv` on `host` as `runasUser`?
public struct SudoRequest: Sendable {
    /// The invoking user (the agent's identity).
    public var user: String
    /// All groups of the user, primary included (names; `#gid` entries allowed).
    public var groups: [String]
    /// The host name the reference is evaluated for.
    public var host: String
    /// The target user (`sudo -u`).
    public var runasUser: String
    /// The target group (`sudo -g`), if any.
    public var runasGroup: String?
    /// The command: an absolute path (or `sudoedit`) and its arguments.
    public var argv: [String]
    /// How program paths are compared.
    public var paths: PathResolution
    /// The user's numeric id, for `#uid` entries.
    public var uid: Int?
    /// The user who runs sudo, when it is not `user`: for `sudo -l -U luna` run
    /// by root this is root, and sudo's "run as yourself" rules (`()` and
    /// group-only runas specs) then refer to root. Nil means `user`.
    public var invokingUser: String?

    /// The user that "run as yourself" refers to.
    var invoker: String { invokingUser ?? user }

    /// Creates a request.
    ///
    /// - Parameters:
    ///   - user: The invoking user, `luna` by default.
    ///   - groups: The user's groups (from the inventory, not this machine's passwd).
    ///   - host: The host name.
    ///   - runasUser: The target user, `root` by default.
    ///   - runasGroup: The target group, if any.
    ///   - argv: The command.
    ///   - paths: How paths are compared.
    ///   - uid: The user's numeric id, if `#uid` rules should match.
    public init(user: String = "luna", groups: [String] = [], host: String, runasUser: String = "root",
                runasGroup: String? = nil, argv: [String], paths: PathResolution = .canonical(usrmerge: true),
                uid: Int? = nil, invokingUser: String? = nil) {
        self.invokingUser = invokingUser
        self.user = user
        self.groups = groups
        self.host = host
        self.runasUser = runasUser
        self.runasGroup = runasGroup
        self.argv = argv
        self.paths = paths
        self.uid = uid
    }
}
