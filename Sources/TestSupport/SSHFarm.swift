import Foundation
import LunaFleet

#if canImport(Glibc)
import Glibc
#endif

/// A throwaway estate of real `sshd -D -e` daemons on loopback addresses, for
/// end-to-end tests and the scan benchmark, each as stock as this machine allows.
///
/// Each host's sshd runs in a mount namespace of its own (`unshare --mount
/// --propagation private`) where four bind mounts make it a host of its own:
/// `/etc/ssh/sshd_config` is that host's copy of Debian's stock file
/// (`/usr/share/openssh/sshd_config`), `/etc/ssh/sshd_config.d/` is that host's
/// folder holding the farm's drop-in (`farm.conf`: ListenAddress, PidFile,
/// AuthorizedKeysFile, AllowUsers, and room for the bench's parallel sessions),
/// `/etc/sudoers.d/` is that host's folder, empty until ``SSHFarmHost/installSudoers(_:)``
/// puts a reference there (after `visudo -cf` passes), and `/var/log/` is that
/// host's folder holding an empty `auth.log` as rsyslog creates it (root:adm
/// 0640; there is no journal, as on a host with rsyslog). Everything a session
/// starts — the login shell, `sudo`, `sshd -T` — sees that host's files, and
/// the machine's real host keys, readable by root only. Nothing is hidden: the
/// login user has a normal shell and sshd's default `PATH` (no `/usr/sbin`), so a
/// check that needs root works only through sudo and the host's sudoers.
///
/// All hosts share this machine's network namespace (`ss` shows every host the
/// same listeners) and its host keys (one known_hosts key for all of them).
public final class SSHFarm: @unchecked Sendable {
    // @unchecked: `hosts` is only appended to by the creating test thread before
    // concurrent use; everything else is immutable after init.
    /// The login user (created with /bin/sh; `luna` here has nologin).
    public let user: String
    /// The farm's folder: under /run, so every component of the authorized_keys
    /// path is root's and not group- or world-writable (sshd's StrictModes, on as shipped).
    public let directory: String
    /// The client's private key (authorized on every host).
    public let clientKey: String
    /// The machine's ed25519 host key line, which every farm host presents.
    public let hostPublicKey: String
    public private(set) var hosts: [SSHFarmHost] = []

    /// Debian's stock sshd_config, as the package ships it.
    public static let stockConfig = "/usr/share/openssh/sshd_config"

    /// Whether farm tests can run here, or must run (``SystemRequirements/required``):
    /// root, sshd, ssh, sudo, visudo and a mount namespace. Never a fallback: without
    /// them a farm test is skipped, and under `LUNA_SYSTEM_TESTS=1` it runs and fails.
    public static var available: Bool {
        SystemRequirements.required || unavailableReason == nil
    }

    /// Why the farm cannot run on this machine, or nil.
    public static let unavailableReason: String? = {
        guard SystemRequirements.isRoot else { return "the sshd farm needs root (sshd, useradd, mount namespaces)" }
        for tool in ["sshd", "ssh", "ssh-keygen", "useradd", "sudo", "visudo", "unshare", "mount"] where SystemRequirements.which(tool) == nil {
            return "the sshd farm needs \(tool)"
        }
        guard FileManager.default.fileExists(atPath: stockConfig) else { return "no stock sshd_config at \(stockConfig) (openssh-server)" }
        guard let probe = try? ProcessRunner.run(["/usr/bin/unshare", "--mount", "--propagation", "private", "--", "/bin/true"]) else {
            return "unshare cannot be run"
        }
        return probe.exitStatus == 0 ? nil : "mount namespaces are not available here (unshare --mount: \(probe.stderrText))"
    }()

    /// Creates the farm's folder, client key and login user.
    ///
    /// - Parameter user: The login user to create if missing (default `lunafleet`).
    /// - Throws: ``TestFailure`` when the farm cannot run here (``unavailableReason``).
    public init(user: String = "lunafleet") throws {
        if let reason = Self.unavailableReason { throw TestFailure(reason) }
        self.user = user
        var template = Array("/run/lsf.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw TestFailure("mkdtemp under /run failed: errno \(errno)") }
        directory = String(cString: made)
        chmod(directory, 0o755)
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "/etc/ssh/sshd_config.d", withIntermediateDirectories: true)
        // The machine's own host keys, as the package's postinst makes them (missing ones only).
        try Self.machineSetup.withLock {
            guard !FileManager.default.fileExists(atPath: "/etc/ssh/ssh_host_ed25519_key") else { return }
            let made = try ProcessRunner.run(["ssh-keygen", "-A"])
            guard made.exitStatus == 0 else { throw TestFailure("ssh-keygen -A: \(made.stderrText)") }
        }
        hostPublicKey = try String(contentsOfFile: "/etc/ssh/ssh_host_ed25519_key.pub", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
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

    /// Writes a known_hosts file pinning each host to `key` (default: the machine's host key).
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

    /// Creates `user` with /bin/sh and an unlocked (`*`) password: a locked one (`!`) fails PAM's account check.
    public static func ensureUser(_ user: String) throws {
        try machineSetup.withLock { try createUser(user) }
    }

    /// Serialises changes to the machine's accounts and keys: suites start farms in
    /// parallel, and two `useradd` at once can fail on the passwd lock.
    static let machineSetup = NSLock()

    static func createUser(_ user: String) throws {
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

/// One sshd of an ``SSHFarm`` in its own mount namespace, run by ``ProcessRunner`` on a background thread.
public final class SSHFarmHost: @unchecked Sendable {
    // @unchecked: `pid`, `finished` and `port` are only touched under `lock`; the rest is immutable.
    public let name: String
    public let address: String
    /// The host's folder (its sshd_config, sshd_config.d/, sudoers.d/, authorized_keys).
    public let directory: String
    /// The public host key line it presents (`ssh-ed25519 AAAA… comment`): the machine's.
    public let hostPublicKey: String
    let user: String
    private let lock = NSLock()
    private var pid: Int32 = 0
    private var finished: CommandResult?
    private var boundPort = 0

    /// The port sshd listens on.
    public var port: Int { lock.withLock { boundPort } }
    /// The host's `/etc/ssh/sshd_config` (Debian's stock text). It is bind-mounted:
    /// edit it in place, since a file renamed over it is not what the host sees.
    public var configFile: String { directory + "/sshd_config" }
    /// The host's `/etc/ssh/sshd_config.d/` (the stock config includes `*.conf` from it first).
    public var dropInDirectory: String { directory + "/sshd_config.d" }
    /// The host's `/etc/sudoers.d/`.
    public var sudoersDirectory: String { directory + "/sudoers.d" }
    /// The host's `/var/log/` (its own, so a host's logs are not the machine's).
    public var logDirectory: String { directory + "/log" }
    /// The host's `/var/log/auth.log`.
    public var authLogFile: String { logDirectory + "/auth.log" }

    init(name: String, address: String, directory: String, farm: SSHFarm) throws {
        self.name = name
        self.address = address
        self.directory = directory
        self.user = farm.user
        hostPublicKey = farm.hostPublicKey
        for folder in [directory, directory + "/sshd_config.d", directory + "/sudoers.d", directory + "/log"] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            chmod(folder, 0o755)
        }
        // rsyslog's auth log as Debian installs it: root:adm 0640, unreadable to luna without sudo.
        FileManager.default.createFile(atPath: authLogFile, contents: Data(), attributes: [.posixPermissions: 0o640])
        if let adm = getgrnam("adm") { chown(authLogFile, 0, adm.pointee.gr_gid) }
        try FileManager.default.copyItem(atPath: SSHFarm.stockConfig, toPath: directory + "/sshd_config")
        chmod(directory + "/sshd_config", 0o644)
        try FileManager.default.copyItem(atPath: farm.clientKey + ".pub", toPath: directory + "/authorized_keys")
        chmod(directory + "/authorized_keys", 0o644)
        for _ in 0..<8 where try start(port: Int.random(in: 20000...59999)) { return }
        throw TestFailure("sshd on \(address) did not start: \(log)")
    }

    /// Writes `/etc/ssh/sshd_config.d/NAME.conf` on this host (read at the next `sshd -T` or login;
    /// the farm's own drop-in is `farm.conf`, so a name sorting before it wins over it).
    ///
    /// - Parameters:
    ///   - name: The drop-in's name without `.conf`.
    ///   - text: Its sshd_config lines; nil removes it.
    public func sshdDropIn(_ name: String, _ text: String?) throws {
        let path = dropInDirectory + "/" + name + ".conf"
        guard let text else { try? FileManager.default.removeItem(atPath: path); return }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o644)
    }

    /// Installs `text` as this host's `/etc/sudoers.d/luna`, as an operator would:
    /// only after `visudo -cf` accepts it (never skipped), mode 0440.
    ///
    /// - Parameter text: The sudoers text (a reference written for ``SSHFarm/user``); nil removes it.
    /// - Throws: ``TestFailure`` with visudo's words when it does not parse.
    public func installSudoers(_ text: String?) throws {
        let path = sudoersDirectory + "/luna"
        guard let text else { try? FileManager.default.removeItem(atPath: path); return }
        let candidate = directory + "/sudoers.candidate"
        try text.write(toFile: candidate, atomically: true, encoding: .utf8)
        chmod(candidate, 0o440)
        let check = try ProcessRunner.run(["visudo", "-cf", candidate])
        guard check.exitStatus == 0 else {
            throw TestFailure("visudo -cf refused the sudoers for \(name): \(check.stdoutText)\(check.stderrText)")
        }
        guard rename(candidate, path) == 0 else { throw TestFailure("cannot install \(path): errno \(errno)") }
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
        // The farm's part of the host's configuration; the rest is the stock file.
        // MaxStartups/MaxSessions: the bench connects to many hosts through one bastion at once.
        let farmConfig = """
            ListenAddress \(address):\(port)
            PidFile \(directory)/sshd.pid
            AuthorizedKeysFile \(directory)/authorized_keys
            AllowUsers \(user)
            MaxStartups 200
            MaxSessions 50

            """
        try farmConfig.write(toFile: dropInDirectory + "/farm.conf", atomically: true, encoding: .utf8)
        chmod(dropInDirectory + "/farm.conf", 0o644)
        lock.withLock { self.pid = 0; self.finished = nil }
        // unshare and sh exec in place, so the spawned pid is sshd's.
        let mounts = [(configFile, "/etc/ssh/sshd_config"), (dropInDirectory, "/etc/ssh/sshd_config.d"),
                      (sudoersDirectory, "/etc/sudoers.d"), (logDirectory, "/var/log")]
        let script = mounts.map { "mount --bind '\($0.0)' '\($0.1)'" }.joined(separator: " && ") + " && exec /usr/sbin/sshd -D -e"
        let argv = ["/usr/bin/unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script]
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
