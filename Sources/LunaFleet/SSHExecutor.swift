import Foundation

/// Runs commands on a remote host with the system `ssh` client, never a local shell.
///
/// `ssh` itself is spawned from an argv by ``ProcessRunner``. The remote argv is
/// quoted by ``RemoteCommand`` for the remote login shell. Every connection is
/// pinned: `BatchMode`, `StrictHostKeyChecking=yes` against one known_hosts file,
/// one identity, and `-F /dev/null` so no user or system ssh config can interfere.
/// Connections are multiplexed (`ControlMaster=auto`, `ControlPersist` from ``SSHOptions``), so the
/// handshake (and the bastion hop) is paid once a minute, not once per command.
///
/// The bastion is reached with a `ProxyCommand` running a second `ssh -W %h:%p`
/// with the same pinning (rather than `ProxyJump`, which would read the default
/// config for the jump host). The inner ssh never becomes a master itself, but it
/// uses the bastion's shared connection when ``openBastion(timeout:)`` started
/// one: then each host costs one handshake (its own, end to end through the
/// tunnel) instead of two, and the bastion sees one login per scan, not one per
/// host. Without a running bastion master the inner ssh connects on its own.
///
/// `ssh` exits 255 for its own failures; those become ``FleetError``s
/// (`.hostKeyMismatch` or `.unreachable`) when its stderr says so. A remote
/// command's own exit status, including 255 with other stderr, is a normal result.
public struct SSHExecutor: Executor {
    /// Where to connect.
    public let target: SSHTarget
    /// How to connect.
    public let options: SSHOptions
    /// Bytes kept from each of stdout and stderr.
    public let outputLimit: Int

    /// The inventory name of the target.
    public var host: String { target.host }

    /// Creates an executor for one target.
    ///
    /// - Parameters:
    ///   - target: The host to run commands on.
    ///   - options: The client, key, known_hosts, bastion and multiplexing directory.
    ///   - outputLimit: Bytes kept from each output stream (default 1 MiB).
    public init(target: SSHTarget, options: SSHOptions, outputLimit: Int = 1 << 20) {
        self.target = target
        self.options = options
        self.outputLimit = outputLimit
    }

    /// Runs `argv` on the target and waits for it.
    ///
    /// - Parameters:
    ///   - argv: The remote program and its arguments, delivered verbatim.
    ///   - timeout: Limit for the whole `ssh` invocation, connection included.
    /// - Returns: The remote command's exit status and output.
    /// - Throws: ``FleetError``: `.invalidArgument` (bad argv or options),
    ///   `.unreachable`, `.hostKeyMismatch`, or `.programNotFound` when `ssh` is missing.
    public func run(_ argv: [String], timeout: Duration) throws(FleetError) -> CommandResult {
        try run(argv, timeout: timeout, onSpawn: { _ in })
    }

    /// Runs `argv` on the target, reporting the local `ssh` client's pid (its process group) once spawned.
    public func run(_ argv: [String], timeout: Duration, onSpawn: @escaping (Int32) -> Void) throws(FleetError) -> CommandResult {
        do throws(FleetError) {
            let remoteCommand = try RemoteCommand.quote(argv)
            // With ControlPersist, ssh sends the ProxyCommand's stderr to /dev/null,
            // so the bastion hop logs to a file of its own (read on failure).
            let proxyLog = options.bastion.map { _ in
                options.controlDirectory + "/proxy-" + String(UInt64.random(in: 0...UInt64.max), radix: 16) + ".log"
            }
            defer { if let proxyLog { unlink(proxyLog) } }
            let commandLine = try sshArgv(remoteCommand: remoteCommand, proxyLog: proxyLog)
            let result = try ProcessRunner.run(
                commandLine, environment: Self.clientEnvironment(), timeout: timeout, outputLimit: outputLimit,
                onSpawn: onSpawn)
            var diagnostics = result
            if result.exitStatus == 255, let proxyLog, let hop = FileManager.default.contents(atPath: proxyLog) {
                diagnostics.stderr = hop.prefix(64 * 1024) + result.stderr
            }
            if let failure = Self.classify(diagnostics) {
                throw FleetError(failure.kind, failure.message, argv: argv)
            }
            return result
        } catch {
            var located = error
            located.host = target.host
            located.argv = argv
            throw located
        }
    }

    /// Asks the ControlMaster for this target to exit (`ssh -O exit`), if one runs.
    ///
    /// Harmless when no master exists.
    public func disconnect() {
        guard let commandLine = try? sshOptions(for: target, sharing: .master) + ["-O", "exit", target.address]
        else { return }
        _ = try? ProcessRunner.run(
            [options.sshPath] + commandLine, environment: Self.clientEnvironment(), timeout: .seconds(10))
    }

    /// The full `ssh` argv that runs `remoteCommand` (already quoted) on the target.
    ///
    /// - Parameters:
    ///   - remoteCommand: The command line for the remote shell.
    ///   - proxyLog: Where the bastion hop's ssh logs (`-E`), or nil for its default.
    /// - Returns: The argv to spawn.
    /// - Throws: ``FleetError`` `.invalidArgument` for an unsafe path, address or user.
    func sshArgv(remoteCommand: String, proxyLog: String? = nil) throws(FleetError) -> [String] {
        var argv = [options.sshPath]
        argv += try sshOptions(for: target, sharing: .master)
        if let bastion = options.bastion {
            var inner = [options.sshPath] + (try sshOptions(for: bastion, sharing: .bastionClient))
            if let proxyLog { inner += ["-E", try Self.safePath(proxyLog, what: "proxy log")] }
            inner += ["-W", "%h:%p", bastion.address]
            // ssh runs ProxyCommand with /bin/sh after expanding %-tokens; the
            // elements are validated to hold no '%', so only %h:%p is expanded.
            argv += ["-o", "ProxyCommand=" + inner.map(RemoteCommand.quote(element:)).joined(separator: " ")]
        }
        argv += ["-T", target.address, remoteCommand]
        return argv
    }

    /// How one hop shares connections (OpenSSH's ControlMaster).
    enum Sharing {
        /// Become the master for this hop when none runs, and keep it 60 s after the last use.
        case master
        /// As `master`, at the bastion's fixed socket (``bastionSocket``).
        case bastionMaster
        /// Use the bastion's master when one runs; never become one (connect alone otherwise).
        case bastionClient
        /// No shared connection at all (a host-key scan: nothing outlives the one connection).
        case alone
    }

    /// The bastion's shared-connection socket: a fixed name, because the inner ssh
    /// runs from a `ProxyCommand`, where ssh does not expand `%C`.
    ///
    /// The name hashes user, address and port (FNV-1a), so two bastions never share one.
    func bastionSocket(_ directory: String, _ hop: SSHTarget) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "\(hop.user)@\(hop.address):\(hop.port)".utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return directory + "/b-" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The pinned connection options for one hop.
    func sshOptions(for hop: SSHTarget, sharing: Sharing, hostKeys: String = "yes") throws(FleetError) -> [String] {
        let identity = try Self.safePath(options.identityFile, what: "identityFile")
        let knownHosts = try Self.safePath(options.knownHostsFile, what: "knownHostsFile")
        _ = try Self.safePath(options.sshPath, what: "sshPath")
        try Self.validate(hop)
        let timeout = options.connectTimeout.components
        let seconds = max(1, timeout.seconds + (timeout.attoseconds > 0 ? 1 : 0))
        var argv = [
            "-F", "/dev/null",
            "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=\(hostKeys)",
            "-o", "UserKnownHostsFile=\(knownHosts)",
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "IdentitiesOnly=yes",
            "-i", identity,
            "-o", "ConnectTimeout=\(seconds)",
        ]
        let directory = try Self.safePath(options.controlDirectory, what: "controlDirectory")
        // %C is a 40-hex-digit hash; sun_path holds 107 bytes plus NUL.
        guard directory.utf8.count + 41 <= 107 else {
            throw FleetError(
                .invalidArgument,
                "controlDirectory \(directory) is too long for a unix socket path (max \(107 - 41) bytes)")
        }
        switch sharing {
        case .master:
            argv += ["-o", "ControlMaster=auto", "-o", "ControlPath=\(directory)/%C", "-o", "ControlPersist=\(Self.persistSeconds(options.controlPersist))"]
        case .bastionMaster:
            argv += ["-o", "ControlMaster=auto", "-o", "ControlPath=\(bastionSocket(directory, hop))", "-o", "ControlPersist=\(Self.persistSeconds(options.bastionPersist))"]
        case .bastionClient:
            argv += ["-o", "ControlMaster=no", "-o", "ControlPath=\(bastionSocket(directory, hop))"]
        case .alone:
            argv += ["-o", "ControlMaster=no", "-o", "ControlPath=none"]
        }
        argv += ["-p", String(hop.port), "-l", hop.user]
        return argv
    }

    /// `ControlPersist` in whole seconds, at least 1 (0 would mean "for ever").
    static func persistSeconds(_ d: Duration) -> Int { max(1, Int(d.components.seconds)) }

    /// This process's environment without an ssh agent, so only the pinned key is offered.
    static func clientEnvironment() -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["SSH_AUTH_SOCK"] = nil
        return environment
    }
}
