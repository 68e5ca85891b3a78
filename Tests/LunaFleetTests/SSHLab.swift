import Foundation
import LunaFleet
import TestSupport

/// The sshd hosts of the Fleet tests: a thin view of TestSupport's `SSHFarm`
/// (real sshd instances on loopback addresses), so one implementation starts,
/// pins and stops them for every test target.
typealias SSHDaemon = SSHFarmHost

final class SSHLab {
    /// The login user. Not `luna`: on a test machine that account may exist with
    /// `/usr/sbin/nologin`, and sshd can run no command for it.
    static let user = "lunafleet"

    let farm: SSHFarm
    var directory: String { farm.directory }
    var clientKey: String { farm.clientKey }

    init() throws {
        farm = try SSHFarm(user: Self.user)
        try FileManager.default.createDirectory(atPath: controlDirectory, withIntermediateDirectories: true)
    }

    /// Short on purpose: control socket paths are limited to 107 bytes.
    var controlDirectory: String { directory + "/c" }

    /// Starts an sshd on `address` (a free port) that accepts ``clientKey`` for ``user``.
    func startDaemon(address: String) throws -> SSHDaemon {
        try farm.start(name: "sshd-\(farm.hosts.count)", address: address)
    }

    /// Writes a known_hosts file pinning each daemon to `key` (default: its real host key).
    func knownHosts(_ name: String, _ entries: [(SSHDaemon, String?)]) throws -> String {
        try farm.knownHosts(name, entries)
    }

    /// A fresh, unrelated ed25519 public key (for wrong known_hosts entries).
    func strayPublicKey() throws -> String { try farm.strayPublicKey() }

    /// The SSH target for `daemon`.
    func target(_ daemon: SSHDaemon, host: String) -> SSHTarget {
        SSHTarget(host: host, address: daemon.address, port: daemon.port, user: Self.user)
    }

    /// Kills every sshd started here (and its sessions) and removes the temp dir.
    func shutdown() { farm.shutdown() }
}

/// True when `pid` no longer runs (absent, or a zombie left for init).
func isGone(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return true }
    let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
    return state == "Z" || state == "X"
}
