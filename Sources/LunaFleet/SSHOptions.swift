/// How ``SSHExecutor`` runs `ssh`: which key, which pinned host keys, which bastion.
///
/// Paths must be absolute and made of `A–Z a–z 0–9 / . _ - + @ , =` only: `ssh`
/// expands `%`, `${…}` and `~` in several of them and splits some on whitespace,
/// so anything else is refused rather than escaped.
public struct SSHOptions: Sendable, Equatable {
    /// The `ssh` client binary.
    public var sshPath: String
    /// The private key offered to every host (`-i`, `IdentitiesOnly=yes`).
    public var identityFile: String
    /// The only known_hosts file trusted (`StrictHostKeyChecking=yes`).
    public var knownHostsFile: String
    /// The jump host every connection goes through, or nil to connect directly.
    public var bastion: SSHTarget?
    /// Where ControlMaster sockets live (`<dir>/%C`); keep it short (socket paths max 107 bytes).
    public var controlDirectory: String
    /// The TCP connect timeout for each hop.
    public var connectTimeout: Duration
    /// How long this host's ControlMaster lives idle (`ControlPersist`): longer than the
    /// scan interval keeps the next scan warm (no handshake); 60 s by default.
    public var controlPersist: Duration
    /// How long the bastion's shared master lives idle.
    public var bastionPersist: Duration

    /// Creates options.
    ///
    /// - Parameters:
    ///   - sshPath: The `ssh` client (default `/usr/bin/ssh`).
    ///   - identityFile: The private key to authenticate with.
    ///   - knownHostsFile: The pinned host keys for the bastion and every target.
    ///   - bastion: The jump host, or nil for direct connections.
    ///   - controlDirectory: The directory for ControlMaster sockets.
    ///   - connectTimeout: The per-hop connect timeout (default 10 s).
    public init(
        sshPath: String = "/usr/bin/ssh", identityFile: String, knownHostsFile: String, bastion: SSHTarget? = nil,
        controlDirectory: String, connectTimeout: Duration = .seconds(10),
        controlPersist: Duration = .seconds(60), bastionPersist: Duration = .seconds(60)
    ) {
        self.controlPersist = controlPersist
        self.bastionPersist = bastionPersist
        self.sshPath = sshPath
        self.identityFile = identityFile
        self.knownHostsFile = knownHostsFile
        self.bastion = bastion
        self.controlDirectory = controlDirectory
        self.connectTimeout = connectTimeout
    }
}
