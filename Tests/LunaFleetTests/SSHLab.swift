import Foundation
import LunaFleet

#if canImport(Glibc)
import Glibc
#endif

/// A throwaway SSH world for tests: a client key, real `sshd -D -e` daemons on
/// loopback aliases with generated host keys, and a login user.
///
/// Everything lives in one temp dir. ``shutdown()`` kills every sshd started here
/// together with its session processes; call it in a `defer`.
final class SSHLab {
    /// The login user. Not `luna`: on this machine that account exists with
    /// `/usr/sbin/nologin` and a locked password (owned by other tests), and
    /// sshd can run no command for it. This one is created with `/bin/sh`.
    static let user = "lunafleet"

    let directory: String
    let clientKey: String
    private(set) var daemons: [SSHDaemon] = []

    init() throws {
        var template = Array("/tmp/lfs.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw LabError("mkdtemp failed: errno \(errno)") }
        directory = String(cString: made)
        // sshd reads AuthorizedKeysFile as the login user: the dir must be traversable.
        chmod(directory, 0o755)
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        try Self.ensureUser()
        clientKey = directory + "/client_key"
        try Self.keygen(clientKey)
        try FileManager.default.createDirectory(atPath: controlDirectory, withIntermediateDirectories: true)
    }

    /// Short on purpose: control socket paths are limited to 107 bytes.
    var controlDirectory: String { directory + "/c" }

    /// Starts an sshd on `address` (a random free port) that accepts ``clientKey`` for ``user``.
    func startDaemon(address: String) throws -> SSHDaemon {
        let daemon = try SSHDaemon(address: address, directory: directory + "/sshd-\(daemons.count)", clientKey: clientKey)
        daemons.append(daemon)
        return daemon
    }

    /// Writes a known_hosts file pinning each daemon to `key` (default: its real host key).
    func knownHosts(_ name: String, _ entries: [(SSHDaemon, String?)]) throws -> String {
        let path = directory + "/" + name
        let lines = entries.map { daemon, key in "[\(daemon.address)]:\(daemon.port) \(key ?? daemon.hostPublicKey)\n" }
        try lines.joined().write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A fresh, unrelated ed25519 public key (for wrong known_hosts entries).
    func strayPublicKey() throws -> String {
        let path = directory + "/stray-\(UInt32.random(in: 0...UInt32.max))"
        try Self.keygen(path)
        return try String(contentsOfFile: path + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The SSH target for `daemon`.
    func target(_ daemon: SSHDaemon, host: String) -> SSHTarget {
        SSHTarget(host: host, address: daemon.address, port: daemon.port, user: Self.user)
    }

    /// Kills every sshd started here (and its sessions) and removes the temp dir.
    func shutdown() {
        for daemon in daemons { daemon.stop() }
        try? FileManager.default.removeItem(atPath: directory)
    }

    static func keygen(_ path: String) throws {
        let result = try ProcessRunner.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "luna-test", "-f", path])
        guard result.exitStatus == 0 else { throw LabError("ssh-keygen failed: \(result.stderrText)") }
    }

    /// Creates ``user`` with a usable shell and an unlocked (`*`, no password) account.
    static func ensureUser() throws {
        if getpwnam(user) == nil {
            let made = try ProcessRunner.run(["useradd", "-m", "-s", "/bin/sh", user])
            // 9: created concurrently by someone else; fine.
            guard made.exitStatus == 0 || made.exitStatus == 9 else { throw LabError("useradd: \(made.stderrText)") }
        }
        // With UsePAM no, sshd refuses accounts whose password starts with '!'.
        let shadow = (try? String(contentsOfFile: "/etc/shadow", encoding: .utf8)) ?? ""
        let entry = shadow.split(separator: "\n").first { $0.hasPrefix(user + ":") }
        if let entry, entry.split(separator: ":", omittingEmptySubsequences: false)[1].hasPrefix("!") {
            let unlocked = try ProcessRunner.run(["usermod", "-p", "*", user])
            guard unlocked.exitStatus == 0 else { throw LabError("usermod: \(unlocked.stderrText)") }
        }
    }
}

/// One `sshd -D -e` run by ``ProcessRunner`` on a background thread.
final class SSHDaemon: @unchecked Sendable {
    // @unchecked Sendable: `pid` and `finished` are only touched under `lock`;
    // everything else is immutable after init.
    let address: String
    let directory: String
    let hostPublicKey: String
    private(set) var port = 0
    private let lock = NSLock()
    private var pid: Int32 = 0
    private var finished: Result<CommandResult, FleetError>?

    init(address: String, directory: String, clientKey: String) throws {
        self.address = address
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        chmod(directory, 0o755)
        try SSHLab.keygen(directory + "/host_key")
        hostPublicKey = try String(contentsOfFile: directory + "/host_key.pub", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try FileManager.default.copyItem(atPath: clientKey + ".pub", toPath: directory + "/authorized_keys")
        chmod(directory + "/authorized_keys", 0o644)
        for _ in 0..<8 where try start(port: Int.random(in: 20000...59999)) { return }
        throw LabError("sshd on \(address) did not start; last log: \(log)")
    }

    /// Live processes serving connections (per-connection sshd and their children).
    var sessionProcesses: [Int32] {
        let pid = lock.withLock { self.pid }
        return pid > 0 ? descendants(of: pid) : []
    }

    var log: String {
        lock.withLock {
            if case .success(let result)? = finished { return result.stderrText }
            return "(still running)"
        }
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
            AllowUsers \(SSHLab.user)
            AllowTcpForwarding yes
            UseDNS no
            MaxStartups 100
            LogLevel VERBOSE

            """
        try config.write(toFile: directory + "/sshd_config", atomically: true, encoding: .utf8)
        lock.withLock {
            self.pid = 0
            self.finished = nil
        }
        let argv = [SystemPaths.sshd, "-D", "-e", "-f", directory + "/sshd_config"]
        let thread = Thread { [self] in
            let outcome = Result { () throws(FleetError) -> CommandResult in
                try ProcessRunner.run(argv, timeout: .seconds(600), outputLimit: 1 << 20) { spawned in
                    self.lock.withLock { self.pid = spawned }
                }
            }
            self.lock.withLock { self.finished = outcome }
        }
        thread.start()
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            let done = lock.withLock { finished != nil }
            if done { return false }  // most likely the port was taken
            if canConnect(address, port) {
                self.port = port
                return true
            }
            usleep(20_000)
        }
        stop()
        return false
    }

    /// SIGTERM to sshd, its process group and every descendant, then SIGKILL to
    /// whatever survived 3 s; waits until the runner has reaped sshd.
    func stop() {
        let pid = lock.withLock { self.pid }
        guard pid > 0 else { return }
        var victims = Set(descendants(of: pid))
        for signal in [SIGTERM, SIGKILL] {
            victims.formUnion(descendants(of: pid))
            for victim in victims { kill(victim, signal) }
            kill(-pid, signal)
            kill(pid, signal)
            let deadline = ContinuousClock.now + .seconds(3)
            while ContinuousClock.now < deadline {
                if lock.withLock({ finished != nil }) && victims.allSatisfy(isGone) { return }
                usleep(20_000)
            }
        }
    }
}

/// Paths of system tools used by the lab.
enum SystemPaths {
    static let sshd = "/usr/sbin/sshd"
}

struct LabError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// True when `pid` no longer runs (absent, or a zombie left for init).
func isGone(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return true }
    let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
    return state == "Z" || state == "X"
}

/// Every live process below `root` in the parent tree (from /proc).
func descendants(of root: Int32) -> [Int32] {
    var parents: [Int32: Int32] = [:]
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
        guard let pid = Int32(entry),
            let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { continue }
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

/// Whether a TCP connection to `address:port` (IPv4) succeeds right now.
func canConnect(_ address: String, _ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var socketAddress = sockaddr_in()
    socketAddress.sin_family = sa_family_t(AF_INET)
    socketAddress.sin_port = in_port_t(UInt16(port).bigEndian)
    guard inet_pton(AF_INET, address, &socketAddress.sin_addr) == 1 else { return false }
    let rc = withUnsafePointer(to: &socketAddress) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    return rc == 0
}
