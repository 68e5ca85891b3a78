import Foundation
import LunaAgent
import LunaConfig
import LunaDrift
import TestSupport
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// End to end over real sshd: a bastion (127.0.0.2) and two hosts (127.0.0.3, 127.0.0.4),
/// every connection through the bastion with pinned host keys.
///
/// Each host is stock (`SSHFarm`: Debian's sshd_config in its own mount
/// namespace, its reference installed as its sudoers after `visudo -cf`), and
/// luna runs with `execution = "sudo"`: `sshd -T` reaches root only through
/// the host's declared read set. All three sshd share this machine's network
/// namespace, so `ss` on either host sees every listener of the machine: the
/// drifted listener is bound to host a's own address (127.0.0.3) and the test
/// asserts on that listener, which keeps it independent of listeners other
/// processes open meanwhile.
@Suite("Scan over ssh through a bastion", .serialized,
       .enabled(if: SSHFarm.available, "needs root, sshd, sudo, visudo and mount namespaces (unshare --mount)"))
struct SSHScanTests {
    /// The farm, an ops repo whose config names the farm, and a movable clock.
    final class World {
        let farm: SSHFarm
        let ops: TemporaryOpsRepo
        let bastion: SSHFarmHost
        let a: SSHFarmHost
        let b: SSHFarmHost
        let clock = TestClock()
        /// Host a's scanned tool (each host has its own path: they share one filesystem).
        var tool: String { farm.directory + "/scanned/a/tool" }

        init() throws {
            farm = try SSHFarm()
            do {
                bastion = try farm.start(name: "bastion", address: "127.0.0.2")
                a = try farm.start(name: "a", address: "127.0.0.3")
                b = try farm.start(name: "b", address: "127.0.0.4")
                try farm.knownHosts("known_hosts", [(bastion, nil), (a, nil), (b, nil)])
                // The operator's hardening, in the drop-in folder the stock config includes first.
                // Logins by key only (a capture refuses weaker values); X11 in a drop-in of its own, which a test removes.
                for host in [a, b] {
                    try host.sshdDropIn("05-logins", "PasswordAuthentication no\nPermitRootLogin no\n")
                    try host.sshdDropIn("10-hardening", "X11Forwarding no\n")
                }
                // A scanned test path: a root-owned tool, not SUID.
                for name in ["a", "b"] {
                    try FileManager.default.createDirectory(atPath: farm.directory + "/scanned/" + name, withIntermediateDirectories: true)
                    chmod(farm.directory + "/scanned", 0o755)
                    chmod(farm.directory + "/scanned/" + name, 0o755)
                    FileManager.default.createFile(atPath: farm.directory + "/scanned/\(name)/tool", contents: Data("#!/bin/sh\n".utf8),
                                                   attributes: [.posixPermissions: 0o755])
                }
                let user = farm.user
                let hosts = [a, b].map { h in
                    """
                    [[hosts]]
                    name = "\(h.name)"
                    transport = "ssh"
                    address = "\(h.address)"
                    port = \(h.port)
                    user = "\(user)"
                    checks = ["ports", "sshd", "files"]

                    """
                }.joined(separator: "\n")
                // Each host's reference is its installed sudoers: sshd -T through sudo.
                let sudoers = "Cmnd_Alias LUNA_READ = /usr/sbin/sshd -T\n\(user) ALL = (root) NOPASSWD: LUNA_READ\n"
                for host in [a, b] { try host.installSudoers(sudoers) }
                ops = try TemporaryOpsRepo(files: [
                    "configs/files/a": "\(farm.directory)/scanned/a/tool 0755 root:root\n",
                    "configs/files/b": "\(farm.directory)/scanned/b/tool 0755 root:root\n",
                    "configs/sudoers/luna-a": sudoers,
                    "configs/sudoers/luna-b": sudoers,
                ], config: """
                    [luna]
                    ops_repo = "@ROOT@/repo"
                    state_dir = "@ROOT@/state"
                    identity = "\(user)"
                    execution = "sudo"
                    command_timeout_seconds = 60

                    [scan]
                    reminder_hours = 6

                    [ssh]
                    identity_file = "\(farm.clientKey)"
                    known_hosts = "\(farm.directory)/known_hosts"
                    bastion_address = "\(bastion.address)"
                    bastion_port = \(bastion.port)
                    bastion_user = "\(farm.user)"
                    connect_timeout_seconds = 5
                    max_parallel = 4
                    control_dir = "\(farm.directory)/c"

                    \(hosts)
                    """)
            } catch {
                farm.shutdown()
                throw error
            }
        }

        func agent(_ edit: (inout LunaConfiguration) -> Void = { _ in }) throws -> Agent {
            var config = try LunaConfiguration.load(path: ops.config, knownChecks: CheckCatalog.names)
            edit(&config)
            let clock = self.clock
            return try Agent(config: config, environment: AgentEnvironment(now: { clock.now }, log: { _ in }))
        }

        func remove() {
            farm.shutdown()
            ops.remove()
        }
    }

    /// Events about `host` whose subject is one of `subjects`, as "kind subject".
    static func events(_ report: ScanReport, _ host: String, _ subjects: Set<String>) -> [String] {
        report.events.compactMap { e in
            guard e.key.host == host, subjects.contains(e.key.subject) else { return nil }
            switch e {
            case .appeared: return "new \(e.key.subject)"
            case .changed: return "changed \(e.key.subject)"
            case .resolved: return "resolved \(e.key.subject)"
            case .ongoing: return nil
            }
        }.sorted()
    }

    @Test("drift on three checks is found once, reminded, and resolved after undoing; all through the bastion")
    func driftFoundOnceAndResolved() throws {
        let world = try World()
        defer { world.remove() }
        let agent = try world.agent()

        // References from the hosts' current state, committed with a reason.
        for host in ["a", "b"] {
            let (changes, commit) = try agent.curation.captureBaseline(host: host, reason: "initial baseline of \(host)")
            #expect(commit != nil)
            #expect(changes.allSatisfy { $0.problem == nil }, "\(changes)")
        }
        let log = try world.ops.git("log", "--format=%s")
        // The files reference already matched, so only ports and sshd were written.
        #expect(log.contains("luna: baseline ports, sshd on a: initial baseline of a"))
        let sshdRef = try String(contentsOfFile: world.ops.repo + "/configs/sshd/a", encoding: .utf8)
        #expect(sshdRef.contains("x11forwarding no"))
        #expect(try agent.curation.baselineDiff(host: "a", checks: ["sshd", "files"]).allSatisfy(\.isUnchanged))

        let seen = Mutex<[String]>([])
        let first = try agent.scanner.scan(progress: { done, total, host in
            seen.withLock { $0.append("\(done)/\(total) \(host)") }
        })
        #expect(first.results.filter { $0.check == "reach" }.map(\.status) == [.ok, .ok])
        // Progress: one call per host, counting up to the total.
        let calls = seen.withLock { $0 }
        #expect(calls.count == 2 && calls.map { $0.prefix(3) } == ["1/2", "2/2"] && Set(calls.map { $0.dropFirst(4) }) == ["a", "b"], "\(calls)")
        // The scan opened one shared bastion connection (its fixed socket name) for both hosts.
        let sockets = try FileManager.default.contentsOfDirectory(atPath: world.farm.directory + "/c")
        #expect(sockets.filter { $0.hasPrefix("b-") }.count == 1, "\(sockets)")
        for check in ["sshd", "files"] {
            #expect(first.results.filter { $0.check == check }.map(\.status) == [.ok, .ok], "\(first.text)")
        }

        // Drift on host a: a new listener on a's address, a SUID bit on the scanned tool, X11Forwarding on.
        let listener = try Listener(address: world.a.address)
        chmod(world.tool, 0o4755)
        // The hardening drop-in is gone: the stock file's X11Forwarding yes applies again.
        try world.a.sshdDropIn("10-hardening", nil)
        let subjects: Set = ["+tcp \(world.a.address):\(listener.port)", "\(world.tool) mode", "x11forwarding"]

        let found = try agent.scanner.scan()
        #expect(Self.events(found, "a", subjects) == subjects.map { "new " + $0 }.sorted(), "\(found.text)")
        #expect(found.text.contains("\(world.tool): mode 4755, reference 0755"))
        #expect(found.text.contains("x11forwarding: expected no, found yes"))
        #expect(Self.events(found, "b", ["x11forwarding", "\(world.farm.directory)/scanned/b/tool mode"]).isEmpty)

        // Reported once: the next scan is silent about them, and so is one 5 h later.
        let again = try agent.scanner.scan()
        #expect(Self.events(again, "a", subjects).isEmpty)
        #expect(again.reminders.isEmpty)
        world.clock.advance(5 * 3600)
        #expect(try agent.scanner.scan().reminders.filter { $0.key.host == "a" && subjects.contains($0.key.subject) }.isEmpty)
        // After reminder_hours (6) since the report: one reminder each, then quiet again.
        world.clock.advance(2 * 3600)
        let reminded = try agent.scanner.scan()
        #expect(reminded.reminders.filter { $0.key.host == "a" && subjects.contains($0.key.subject) }.count == 3)
        #expect(reminded.text.contains("Still open (reminder):"))
        #expect(try agent.scanner.scan().reminders.filter { $0.key.host == "a" && subjects.contains($0.key.subject) }.isEmpty)

        // Undo all three: each resolves.
        listener.close()
        chmod(world.tool, 0o755)
        try world.a.sshdDropIn("10-hardening", "X11Forwarding no\n")
        let undone = try agent.scanner.scan()
        #expect(Self.events(undone, "a", subjects) == subjects.map { "resolved " + $0 }.sorted(), "\(undone.text)")
        #expect(try agent.ledger.findings().filter { $0.host == "a" && subjects.contains($0.subject) }.isEmpty)
    }

    @Test("a stopped sshd is unreachable and a wrong host key is hostkey-mismatch; never a local fallback")
    func unreachableAndHostKeyMismatch() throws {
        let world = try World()
        defer { world.remove() }
        let agent = try world.agent()
        _ = try agent.curation.captureBaseline(host: "b", checks: ["sshd"], reason: "baseline")

        world.b.stop()
        let down = try agent.scanner.scan(hosts: ["b"])
        let reach = try #require(down.results.first { $0.check == "reach" })
        #expect(reach.status == .drift)
        #expect(reach.items.map(\.subject) == ["unreachable"])
        let reason = try #require(reach.detail.split(whereSeparator: \.isNewline).first.map(String.init))
        #expect(down.text.contains(reason), "ssh's reason is in the text report too: \(down.text)")
        #expect(down.results.filter { $0.check != "reach" }.allSatisfy { $0.status == .unavailable })
        #expect(Self.events(down, "b", ["unreachable"]) == ["new unreachable"])
        #expect(Self.events(try agent.scanner.scan(hosts: ["b"]), "b", ["unreachable"]).isEmpty)
        try world.b.restart()
        let back = try agent.scanner.scan(hosts: ["b"])
        #expect(Self.events(back, "b", ["unreachable"]) == ["resolved unreachable"])
        #expect(back.results.first { $0.check == "sshd" }?.status == .ok, "\(back.text)")

        // A wrong pinned key for a (fresh control dir: a live master was verified earlier).
        let wrong = try world.farm.knownHosts("wrong_hosts", [(world.bastion, nil), (world.a, try world.farm.strayPublicKey()), (world.b, nil)])
        let pinned = try world.agent { config in
            config.fleet.ssh?.knownHostsFile = wrong
            config.fleet.ssh?.controlDirectory = world.farm.directory + "/c2"
        }
        let mismatch = try pinned.scanner.scan(hosts: ["a", "b"])
        let reachA = try #require(mismatch.results.first { $0.host == "a" && $0.check == "reach" })
        #expect(reachA.items.map(\.subject) == ["hostkey-mismatch"], "\(mismatch.text)")
        #expect(mismatch.results.filter { $0.host == "a" && $0.check != "reach" }.allSatisfy { $0.status == .unavailable })
        #expect(mismatch.results.first { $0.host == "b" && $0.check == "reach" }?.status == .ok)
    }

    @Test("the secrets and sudoaudit checks on a remote host, through the bastion")
    func secretsAndSudoauditOverSSH() throws {
        let world = try World()
        defer { world.remove() }
        let app = world.farm.directory + "/scanned/a/app"
        try FileManager.default.createDirectory(atPath: app, withIntermediateDirectories: true)
        chmod(app, 0o755)
        let password = "Pa" + "ss-" + SecretsHygieneTests.filler(14)
        FileManager.default.createFile(atPath: app + "/.env", contents: Data("DB_PASSWORD=\(password)\n".utf8),
                                       attributes: [.posixPermissions: 0o640])
        FileManager.default.createFile(atPath: app + "/docker-compose.yml",
                                       contents: Data("services:\n  db:\n    environment:\n      - DB_PASSWORD=\(password)\n".utf8),
                                       attributes: [.posixPermissions: 0o644])
        try world.ops.write("configs/secrets/a", "dir \(app) root:root\n")
        // The reference grew an argument wildcard: luna may read any file as root.
        try world.ops.write("configs/sudoers/luna-a", "Cmnd_Alias LUNA_READ = /usr/sbin/sshd -T\n\(world.farm.user) ALL = (root) NOPASSWD: LUNA_READ, /usr/bin/cat /var/log/*\n")
        let agent = try world.agent { config in
            for i in config.hosts.indices where config.hosts[i].name == "a" { config.hosts[i].checks = ["secrets", "sudoaudit"] }
        }
        let report = try agent.scanner.scan(hosts: ["a"])
        let secrets = report.results.first { $0.check == "secrets" }
        #expect(secrets?.status == .drift, "\(secrets?.detail ?? "none")")
        #expect(secrets?.items.map(\.subject).sorted() == ["\(app)/.env mode", "\(app)/docker-compose.yml DB_PASSWORD"], "\(secrets?.detail ?? "")")
        #expect(secrets?.detail.contains("\(app)/docker-compose.yml:4: DB_PASSWORD: the value of a secret-named key") == true, "\(secrets?.detail ?? "")")
        #expect(secrets?.detail.contains(password) == false)
        let audit = report.results.first { $0.check == "sudoaudit" }
        #expect(audit?.status == .drift, "\(audit?.detail ?? "none")")
        #expect(audit?.detail.contains("luna-a:2: (root) NOPASSWD: /usr/bin/cat /var/log/* — a wildcard in the arguments") == true, "\(audit?.detail ?? "")")
    }

    @Test("luna baseline diff and capture through the CLI")
    func baselineCommands() throws {
        let world = try World()
        defer { world.remove() }
        let diff = LunaCLITestRunner.run(["--config", world.ops.config, "baseline", "diff", "--host", "a", "--check", "sshd"])
        #expect(diff.status == 1, "\(diff.err)")
        #expect(diff.out.contains("+ x11forwarding no"))
        let noReason = LunaCLITestRunner.run(["--config", world.ops.config, "baseline", "capture", "--host", "a"])
        #expect(noReason.status == 2)
        let capture = LunaCLITestRunner.run(["--config", world.ops.config, "baseline", "capture", "--host", "a", "--check", "sshd",
                                            "--reason", "sshd hardened as of today"])
        #expect(capture.status == 0, "\(capture.err)")
        #expect(try world.ops.git("log", "-1", "--format=%B").contains("sshd hardened as of today"))
        let clean = LunaCLITestRunner.run(["--config", world.ops.config, "baseline", "diff", "--host", "a", "--check", "sshd"])
        #expect(clean.status == 0, "\(clean.out)")

        // Every host at once: a is captured already, b is not.
        let neither = LunaCLITestRunner.run(["--config", world.ops.config, "baseline", "diff"])
        #expect(neither.status == 2 && neither.err.contains("--all-hosts"), "\(neither.err)")
        let allDiff = LunaCLITestRunner.run(["--config", world.ops.config, "baseline", "diff", "--all-hosts", "--check", "sshd"])
        #expect(allDiff.status == 1, "\(allDiff.out)\(allDiff.err)")
        #expect(allDiff.out.contains("configs/sshd/a (sshd): unchanged") && allDiff.out.contains("configs/sshd/b (sshd):\n"), "\(allDiff.out)")
        let before = try world.ops.git("rev-list", "--count", "HEAD")
        let all = LunaCLITestRunner.run(["--config", world.ops.config, "baseline", "capture", "--all-hosts", "--check", "sshd",
                                        "--reason", "every host's sshd as of today"])
        #expect(all.status == 0, "\(all.out)\(all.err)")
        #expect(all.out.contains("a: nothing to capture") && all.out.contains("b: committed "), "\(all.out)")
        #expect(Int(try world.ops.git("rev-list", "--count", "HEAD")) == Int(before)! + 1)
        let allClean = LunaCLITestRunner.run(["--config", world.ops.config, "baseline", "diff", "--all-hosts", "--check", "sshd"])
        #expect(allClean.status == 0, "\(allClean.out)")
    }
}

/// A TCP listener on one loopback address and a free port, closed by ``close()``.
final class Listener {
    let fd: Int32
    let port: Int

    init(address: String) throws {
        // CLOEXEC: processes other tests spawn meanwhile must not inherit the
        // listening socket and keep it open after close().
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        self.fd = fd
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_port = 0
        inet_pton(AF_INET, address, &sa.sin_addr)
        let bound = withUnsafePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 4) == 0 else { throw TestFailure("cannot listen on \(address): errno \(errno)") }
        var out = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &out) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: out.sin_port))
    }

    func close() { Glibc.close(fd) }
}
