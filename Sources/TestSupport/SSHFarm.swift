import Foundation
import LunaFleet

#if canImport(Glibc)
import Glibc
#endif

/// A throwaway estate of real `sshd -D -e` daemons on loopback addresses, for
/// end-to-end tests and the scan benchmark (adapted from the Fleet tests' lab).
///
/// Each host has its own directory with a host key, an `sshd_config`, and a
/// `bin/` folder first on the session's `PATH` (`SetEnv PATH=…`) holding an
/// `sshd` wrapper: `sshd -T` on that "host" then reports *that daemon's* config
/// (`-f <its config>`, `-h` a readable key, as the login user cannot read the
/// real host key). Every other tool is the machine's own. All hosts share this
/// machine's network namespace: `ss` shows every host the same listeners.
public final class SSHFarm: @unchecked Sendable {
    // @unchecked: `hosts` is only appended to by the creating test thread before
    // concurrent use; everything else is immutable after init.
    /// The login user (created with /bin/sh; `luna` here has nologin).
    public let user: String
    /// The farm's temp dir.
    public let directory: String
    /// The client's private key (authorized on every host).
    public let clientKey: String
    public private(set) var hosts: [SSHFarmHost] = []

    /// Creates the farm's folder, client key and login user.
    ///
    /// - Parameter user: The login user to create if missing (default `lunafleet`).
    public init(user: String = "lunafleet") throws {
        self.user = user
        var template = Array("/tmp/lsf.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw TestFailure("mkdtemp failed: errno \(errno)") }
        directory = String(cString: made)
        chmod(directory, 0o755)
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        try Self.ensureUser(user)
        clientKey = directory + "/client_key"
        try Self.keygen(clientKey)
    }

    /// Starts a host: an sshd on `address` (a free port) accepting ``clientKey`` for ``user``.
    ///
    /// - Parameters:
    ///   - name: A short name (its folder).
    ///   - address: A loopback IPv4 address.
    /// - Returns: The running host.
    @discardableResult
    public func start(name: String, address: String) throws -> SSHFarmHost {
        let host = try SSHFarmHost(name: name, address: address, directory: directory + "/" + name, farm: self)
        hosts.append(host)
        return host
    }

    /// Writes a known_hosts file pinning each host to `key` (default: its real host key).
    ///
    /// - Returns: The file's path.
    @discardableResult
    public func knownHosts(_ file: String, _ entries: [(SSHFarmHost, String?)]) throws -> String {
        let path = directory + "/" + file
        try entries.map { host, key in "[\(host.address)]:\(host.port) \(key ?? host.hostPublicKey)\n" }.joined()
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A fresh, unrelated ed25519 public key (for a wrong known_hosts entry).
    public func strayPublicKey() throws -> String {
        let path = directory + "/stray-\(UInt32.random(in: 0...UInt32.max))"
        try Self.keygen(path)
        return try String(contentsOfFile: path + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A fresh ed25519 key pair in the farm's folder, e.g. a forced-command surface's dedicated key.
    ///
    /// - Parameter name: The private key's file name (its public key is `name.pub`).
    /// - Returns: The private key's path and the public key line (`ssh-ed25519 AAAA… luna-test`).
    public func generateKey(_ name: String) throws -> (path: String, publicKey: String) {
        let path = directory + "/" + name
        try Self.keygen(path)
        return (path, try String(contentsOfFile: path + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Kills every sshd (and its sessions) and removes the farm's folder.
    public func shutdown() {
        for host in hosts { host.stop() }
        try? FileManager.default.removeItem(atPath: directory)
    }

    static func keygen(_ path: String) throws {
        let result = try ProcessRunner.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "luna-test", "-f", path])
        guard result.exitStatus == 0 else { throw TestFailure("ssh-keygen failed: \(result.stderrText)") }
    }

    /// Creates `user` with /bin/sh and an unlocked (`*`) password, so sshd with UsePAM no accepts it.
    static func ensureUser(_ user: String) throws {
        if getpwnam(user) == nil {
            let made = try ProcessRunner.run(["useradd", "-m", "-s", "/bin/sh", user])
            guard made.exitStatus == 0 || made.exitStatus == 9 else { throw TestFailure("useradd: \(made.stderrText)") }
        }
        let shadow = (try? String(contentsOfFile: "/etc/shadow", encoding: .utf8)) ?? ""
        let entry = shadow.split(separator: "\n").first { $0.hasPrefix(user + ":") }
        if let entry, entry.split(separator: ":", omittingEmptySubsequences: false)[1].hasPrefix("!") {
            let unlocked = try ProcessRunner.run(["usermod", "-p", "*", user])
            guard unlocked.exitStatus == 0 else { throw TestFailure("usermod: \(unlocked.stderrText)") }
        }
    }
}

/// One sshd of an ``SSHFarm``, run by ``ProcessRunner`` on a background thread.
public final class SSHFarmHost: @unchecked Sendable {
    // @unchecked: `pid`, `finished` and `port` are only touched under `lock`; the rest is immutable.
    public let name: String
    public let address: String
    /// The host's folder (config, keys, `bin/`).
    public let directory: String
    /// Its public host key line (`ssh-ed25519 AAAA… comment`).
    public let hostPublicKey: String
    let user: String
    private let lock = NSLock()
    private var pid: Int32 = 0
    private var finished: CommandResult?
    private var boundPort = 0

    /// The port sshd listens on.
    public var port: Int { lock.withLock { boundPort } }
    /// The daemon's config file (edit it to change what `sshd -T` reports; no restart needed).
    public var configFile: String { directory + "/sshd_config" }

    init(name: String, address: String, directory: String, farm: SSHFarm) throws {
        self.name = name
        self.address = address
        self.directory = directory
        self.user = farm.user
        try FileManager.default.createDirectory(atPath: directory + "/bin", withIntermediateDirectories: true)
        chmod(directory, 0o755)
        chmod(directory + "/bin", 0o755)
        try SSHFarm.keygen(directory + "/host_key")
        try SSHFarm.keygen(directory + "/t_key")
        chmod(directory + "/t_key", 0o644)
        hostPublicKey = try String(contentsOfFile: directory + "/host_key.pub", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try FileManager.default.copyItem(atPath: farm.clientKey + ".pub", toPath: directory + "/authorized_keys")
        chmod(directory + "/authorized_keys", 0o644)
        let wrapper = "#!/bin/sh\nexec /usr/sbin/sshd -T -f '\(directory)/sshd_config' -h '\(directory)/t_key' 2>/dev/null\n"
        try wrapper.write(toFile: directory + "/bin/sshd", atomically: true, encoding: .utf8)
        chmod(directory + "/bin/sshd", 0o755)
        for _ in 0..<8 where try start(port: Int.random(in: 20000...59999)) { return }
        throw TestFailure("sshd on \(address) did not start: \(log)")
    }

    /// The host's authorized_keys file (for ``SSHFarm/user``; sshd reads it at each login).
    public var authorizedKeysFile: String { directory + "/authorized_keys" }

    /// Appends one line to ``authorizedKeysFile``, e.g. `restrict,command="…" ssh-ed25519 AAAA…`.
    ///
    /// - Parameter line: The authorized_keys line (options, then the key); must not contain a newline.
    /// - Throws: ``TestFailure`` when the line has a newline or the file cannot be written.
    public func authorize(_ line: String) throws {
        guard !line.contains("\n") else { throw TestFailure("an authorized_keys line has no newline") }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: authorizedKeysFile))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data((line + "\n").utf8))
    }

    /// sshd's own log (stderr), once it has exited.
    public var log: String { lock.withLock { finished?.stderrText ?? "(still running)" } }

    /// The processes sshd started for sessions (its live descendants), e.g. to prove
    /// a connection went through this host.
    public var sessionProcesses: [Int32] {
        let pid = lock.withLock { self.pid }
        return pid > 0 ? Self.descendants(of: pid) : []
    }

    /// Starts sshd again on its port (after ``stop()``).
    public func restart() throws {
        guard try start(port: port) else { throw TestFailure("sshd on \(address):\(port) did not restart: \(log)") }
    }

    private func start(port: Int) throws -> Bool {
        let config = """
            ListenAddress \(address):\(port)
            HostKey \(directory)/host_key
            PidFile \(directory)/sshd.pid
            AuthorizedKeysFile \(directory)/authorized_keys
            StrictModes no
            UsePAM no
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            PubkeyAuthentication yes
            AllowUsers \(user)
            AllowTcpForwarding yes
            UseDNS no
            MaxStartups 200
            MaxSessions 50
            SetEnv PATH=\(directory)/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin

            """
        if !FileManager.default.fileExists(atPath: configFile) || port != self.port {
            try config.write(toFile: configFile, atomically: true, encoding: .utf8)
            chmod(configFile, 0o644)
        }
        lock.withLock { self.pid = 0; self.finished = nil }
        let argv = ["/usr/sbin/sshd", "-D", "-e", "-f", configFile]
        let thread = Thread { [self] in
            let outcome = try? ProcessRunner.run(argv, timeout: .seconds(3600), outputLimit: 1 << 20) { spawned in
                self.lock.withLock { self.pid = spawned }
            }
            self.lock.withLock { self.finished = outcome ?? CommandResult(exitStatus: -1) }
        }
        thread.start()
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if lock.withLock({ finished != nil }) { return false }
            if Self.canConnect(address, port) {
                lock.withLock { boundPort = port }
                return true
            }
            usleep(20_000)
        }
        stop()
        return false
    }

    /// Stops sshd and every process below it (sessions), and waits for them.
    public func stop() {
        let pid = lock.withLock { self.pid }
        guard pid > 0 else { return }
        for signal in [SIGTERM, SIGKILL] {
            let victims = Self.descendants(of: pid)
            for victim in victims { kill(victim, signal) }
            kill(-pid, signal)
            kill(pid, signal)
            let deadline = ContinuousClock.now + .seconds(3)
            while ContinuousClock.now < deadline {
                if lock.withLock({ finished != nil }) && Self.descendants(of: pid).isEmpty { return }
                usleep(20_000)
            }
        }
    }

    /// Live processes below `root` (from /proc).
    static func descendants(of root: Int32) -> [Int32] {
        var parents: [Int32: Int32] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let ppid = Int32(fields[1]), fields[0] != "Z" { parents[pid] = ppid }
        }
        var found: [Int32] = []
        var frontier = [root]
        while let next = frontier.popLast() {
            let children = parents.filter { $0.value == next }.map(\.key)
            found += children
            frontier += children
        }
        return found
    }

    /// Whether a TCP connection to `address:port` (IPv4) succeeds now.
    static func canConnect(_ address: String, _ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, address, &sa.sin_addr) == 1 else { return false }
        return withUnsafePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}
