import Foundation
import LunaAgent
import LunaConfig
import LunaDrift
import LunaFleet
import LunaSystem
import TestSupport

/// `luna-bench scan [--hosts N] [--parallel P] [--idle-seconds S] [--peer] [--init]`: a scan of N real
/// sshd "hosts" on loopback through a bastion (stock hosts: `sshd -T` through
/// sudo and each host's installed sudoers), wall time vs the slowest single
/// host, then the daemon's idle RSS and CPU between scans.
func scanBench(_ args: [String]) throws {
    let count = Int(try option("--hosts", in: args, default: 30))
    let parallel = Int(try option("--parallel", in: args, default: 32))
    let idleSeconds = try option("--idle-seconds", in: args, default: 20)
    guard geteuid() == 0 else { throw BenchError(description: "scan needs root (it starts sshd instances and a login user)") }
    guard count <= 1000 else { throw BenchError(description: "--hosts at most 1000") }
    let sampled = Int(try option("--singles", in: args, default: 30))

    let farm = try SSHFarm()
    defer { farm.shutdown() }
    print("scan: starting a bastion and \(count) sshd hosts on 127.0.x.y …")
    let bastion = try farm.start(name: "bastion", address: "127.0.9.250")
    var hosts: [SSHFarmHost] = []
    // 250 hosts per /24: 127.0.1.1 … 127.0.1.250, 127.0.2.1 …
    for i in 1...count { hosts.append(try farm.start(name: "h\(i)", address: "127.0.\(1 + (i - 1) / 250).\((i - 1) % 250 + 1)")) }
    try farm.knownHosts("known_hosts", [(bastion, nil)] + hosts.map { ($0, nil) })

    // Stock hosts: sshd -T reaches root only through each host's installed sudoers (its reference).
    let sudoers = "Cmnd_Alias LUNA_READ = \(SSHDCheck.argv.joined(separator: " "))\n\(farm.user) ALL = (root) NOPASSWD: LUNA_READ\n"
    var files: [String: String] = [:]
    for h in hosts {
        try h.installSudoers(sudoers)
        try h.sshdDropIn("10-hardening", "PasswordAuthentication no\nX11Forwarding no\n")
        files["configs/sudoers/luna-\(h.name)"] = sudoers
        files["configs/sshd/\(h.name)"] = "passwordauthentication no\npubkeyauthentication yes\nx11forwarding no\n"
        files["configs/files/\(h.name)"] = "/etc/passwd 0644 root:root\n/etc/shadow 0640 root:shadow\n"
        // Every farm host shares this machine's network namespace, so each sees every other host's
        // listener: the farm's are all loopback, and comparing them would make N² findings.
        files["configs/ports/\(h.name)"] = "ignore loopback\n"
    }
    let ops = try TemporaryOpsRepo(files: files, config: farmConfig(farm: farm, bastion: bastion, hosts: hosts, maxParallel: parallel,
                                                                    controlDirectory: farm.directory + "/c", knownHosts: farm.directory + "/known_hosts"))
    defer { ops.remove() }
    let base = try LunaConfiguration.load(path: ops.config, knownChecks: CheckCatalog.names)

    var round = 0
    /// A scan with a fresh ControlMaster directory (cold: every handshake paid) or the shared one (warm).
    func timedScan(_ names: [String]?, cold: Bool) throws -> (Double, ScanReport) {
        var config = base
        if cold {
            round += 1
            config.fleet.ssh?.controlDirectory = farm.directory + "/k\(round)"
        }
        let agent = try Agent(config: config, environment: AgentEnvironment(log: { _ in }))
        let start = ContinuousClock.now
        let report = try agent.scanner.scan(hosts: names)
        let elapsed = ContinuousClock.now - start
        return (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, report)
    }

    var singles: [Double] = []
    // Each host alone, cold: the first --singles hosts (every host's alone time is the same shape).
    for h in hosts.prefix(max(1, sampled)) {
        let (seconds, report) = try timedScan([h.name], cold: true)
        guard report.results.first(where: { $0.check == "reach" })?.status == .ok else {
            throw BenchError(description: "\(h.name) not reached: \(report.text)")
        }
        singles.append(seconds)
    }
    let slowest = singles.max() ?? 0
    let median = singles.sorted()[singles.count / 2]
    let cpuBefore = processCPU()
    let busyBefore = systemBusySeconds()
    let (wall, report) = try timedScan(nil, cold: true)
    let busy = systemBusySeconds() - busyBefore
    let cpuAfter = processCPU()
    let reached = report.results.filter { $0.check == "reach" && $0.status == .ok }.count
    let collected = report.results.filter { $0.check == "sshd" && ($0.status == .ok || $0.status == .drift) }
    guard collected.count == count else {
        throw BenchError(description: "sshd was not collected through sudo on every host: \(report.results.filter { $0.check == "sshd" && $0.status != .ok }.prefix(3).map(\.detail))")
    }
    // CPU this process and its reaped children (the ssh clients) spent on that scan is printed below.
    _ = try timedScan(nil, cold: false)  // bring every ControlMaster up (they persist 60 s)
    let (warmSingle, _) = try timedScan([hosts[0].name], cold: false)
    let (warmWall, _) = try timedScan(nil, cold: false)
    // Peak memory: this process (the scan runs in it, as in the daemon) and the warm ssh masters.
    let masters = sshMasters(controlDirectory: farm.directory + "/c")
    print(String(format: "scan: single host, cold (new ssh connection via the bastion): median %.2f s, slowest %.2f s", median, slowest))
    print(String(format: "scan: all %d hosts at once (max_parallel %d), cold: %.2f s wall = %.2f× the slowest single host (target ≤ 1.5×); %d/%d reached",
                 count, parallel, wall, wall / slowest, reached, count))
    print(String(format: "scan: that scan used %.2f s CPU in luna + ssh clients (%.3f s per host: luna %.3f, ssh clients %.3f) on %d cores, load average %@",
                 cpuAfter.total - cpuBefore.total, (cpuAfter.total - cpuBefore.total) / Double(count),
                 (cpuAfter.own - cpuBefore.own) / Double(count), (cpuAfter.children - cpuBefore.children) / Double(count),
                 ProcessInfo.processInfo.activeProcessorCount,
                 ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?").split(separator: " ").prefix(3).joined(separator: " ")))
    // Every "host" here is an sshd on this machine, so the hosts' own work (their side of
    // each handshake, their sessions, their collectors) shares these cores with luna. No
    // schedule can finish before all that CPU is spent: busy CPU / cores is the floor.
    let cores = Double(ProcessInfo.processInfo.activeProcessorCount)
    let floor = max(slowest, busy / cores)
    print(String(format: "scan: the whole machine was busy %.2f CPU-s during it (luna, ssh clients, %d sshd and their sessions) = %.2f s on %.0f cores: the floor any schedule has here; wall = %.2f× max(slowest single, floor)",
                 busy, count + 1, busy / cores, cores, wall / floor))
    print(String(format: "scan: warm (ControlMaster up): one host %.2f s, all %d hosts %.2f s", warmSingle, count, warmWall))
    print(String(format: "scan: peak memory: luna (this process, VmHWM) %.1f MiB; %d warm ssh masters %.1f MiB RSS together (%.1f MiB each)",
                 Double(rssKiB(getpid(), "VmHWM:")) / 1024, masters.count, Double(masters.rssKiB) / 1024,
                 masters.count == 0 ? 0 : Double(masters.rssKiB) / 1024 / Double(masters.count)))
    if args.contains("--peer") {
        try ansiblePeer(farm: farm, bastion: bastion, hosts: hosts, parallel: parallel, lunaCold: wall, lunaWarm: warmWall)
    }
    if args.contains("--init") {
        try initBench(farm: farm, bastion: bastion, hosts: hosts, parallel: parallel)
    }

    // The daemon between scans: `luna run` with a one-hour interval, sampled after its first scan.
    let luna = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("luna").path
    guard FileManager.default.isExecutableFile(atPath: luna) else { throw BenchError(description: "no luna binary beside luna-bench at \(luna)") }
    let daemon = Process()
    daemon.executableURL = URL(fileURLWithPath: luna)
    daemon.arguments = ["--config", ops.config, "--state-dir", ops.root + "/daemon-state", "run"]
    daemon.standardOutput = FileHandle.nullDevice
    daemon.standardError = FileHandle.nullDevice
    try daemon.run()
    // This process maps the same Swift libraries; the kernel only pages out pages one
    // process maps, so the bench gives its own back first (on a server, luna is alone).
    IdleMemory.trim()
    defer { if daemon.isRunning { daemon.terminate(); daemon.waitUntilExit() } }
    let deadline = Date().addingTimeInterval(120)
    while !FileManager.default.fileExists(atPath: ops.root + "/daemon-state/luna.db") && Date() < deadline {
        Thread.sleep(forTimeInterval: 0.2)
    }
    Thread.sleep(forTimeInterval: 0.5)
    let ledger = try Ledger(path: ops.root + "/daemon-state/luna.db")
    while Date() < deadline {
        if (try? ledger.lastScanAt()) ?? nil != nil { break }
        Thread.sleep(forTimeInterval: 0.2)
    }
    Thread.sleep(forTimeInterval: 2)
    let pid = daemon.processIdentifier
    let ticks0 = cpuTicks(pid)
    let t0 = Date()
    Thread.sleep(forTimeInterval: idleSeconds)
    let ticks1 = cpuTicks(pid)
    let elapsed = Date().timeIntervalSince(t0)
    let hz = Double(sysconf(Int32(_SC_CLK_TCK)))
    let cpu = Double(ticks1 - ticks0) / hz / elapsed * 100
    print(String(format: "scan: daemon idle between scans: RSS %.1f MiB (target < 30) = %.1f MiB private (RssAnon) + %.1f MiB shared library pages (RssFile); PSS %.1f MiB; CPU %.2f %% over %.0f s (target ≈ 0)",
                 Double(rssKiB(pid)) / 1024, Double(rssKiB(pid, "RssAnon:")) / 1024, Double(rssKiB(pid, "RssFile:")) / 1024,
                 Double(pssKiB(pid)) / 1024, cpu, elapsed))
    daemon.terminate()
    daemon.waitUntilExit()
}

/// The bench's luna.toml: every farm host through the bastion, ports, sshd (through sudo) and files.
func farmConfig(farm: SSHFarm, bastion: SSHFarmHost, hosts: [SSHFarmHost], maxParallel: Int, controlDirectory: String, knownHosts: String?) -> String {
    let inventory = hosts.map { h in
        "[[hosts]]\nname = \"\(h.name)\"\ntransport = \"ssh\"\naddress = \"\(h.address)\"\nport = \(h.port)\nuser = \"\(farm.user)\"\nchecks = [\"ports\", \"sshd\", \"files\"]\n"
    }.joined(separator: "\n")
    return """
        [luna]
        ops_repo = "@ROOT@/repo"
        state_dir = "@ROOT@/state"
        scan_interval_seconds = 3600
        identity = "\(farm.user)"
        execution = "sudo"

        [ssh]
        identity_file = "\(farm.clientKey)"
        \(knownHosts.map { "known_hosts = \"\($0)\"" } ?? "")
        bastion_address = "\(bastion.address)"
        bastion_port = \(bastion.port)
        bastion_user = "\(farm.user)"
        max_parallel = \(maxParallel)
        control_dir = "\(controlDirectory)"

        \(inventory)
        """
}

/// `luna init --dry-run` on the farm from an empty ops repo (every key fetched through the
/// bastion, every reference captured, sshd through sudo), one host at a time and then
/// `max_parallel` at once, in the same run on the same hosts.
func initBench(farm: SSHFarm, bastion: SSHFarmHost, hosts: [SSHFarmHost], parallel: Int) throws {
    var seconds: [Int: Double] = [:]
    var captured: [Int: Int] = [:]
    for width in [1, parallel] {
        // No known_hosts: init writes the ops repo's own (configs/known_hosts).
        let ops = try TemporaryOpsRepo(files: [:], config: farmConfig(farm: farm, bastion: bastion, hosts: hosts, maxParallel: width,
                                                                       controlDirectory: farm.directory + "/init-\(width)", knownHosts: nil))
        defer { ops.remove() }
        let config = try LunaConfiguration.load(path: ops.config, knownChecks: CheckCatalog.names)
        let agent = try Agent(config: config, environment: AgentEnvironment(log: { _ in }))
        var options = InitOptions(owner: "bench", reason: "bench")
        options.dryRun = true
        let start = ContinuousClock.now
        let report = try InitService(context: agent.context).run(options) { _ in true }
        let elapsed = ContinuousClock.now - start
        seconds[width] = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        captured[width] = report.hosts.reduce(0) { $0 + $1.captured.count }
        guard report.keys.filter({ $0.state == "new" }).count == hosts.count + 1 else {
            throw BenchError(description: "init did not fetch every key: \(report.keys.filter { $0.state != "new" }.prefix(3))")
        }
    }
    print(String(format: "init: --dry-run from an empty ops repo, %d hosts + bastion (keys through the bastion, %d references captured): one host at a time %.2f s, max_parallel %d %.2f s (%.1f× faster)",
                 hosts.count, captured[parallel] ?? 0, seconds[1] ?? 0, parallel, seconds[parallel] ?? 0, (seconds[1] ?? 0) / max(0.001, seconds[parallel] ?? 1)))
}

/// Seconds all CPUs spent busy (not idle or waiting for I/O) since boot, from /proc/stat.
func systemBusySeconds() -> Double {
    guard let handle = FileHandle(forReadingAtPath: "/proc/stat"), let data = try? handle.readToEnd() else { return 0 }
    try? handle.close()
    guard let line = String(decoding: data, as: UTF8.self).split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return 0 }
    // user nice system idle iowait irq softirq steal …
    let ticks = line.split(separator: " ").dropFirst().compactMap { Double($0) }
    guard ticks.count >= 8 else { return 0 }
    let busy = ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6] + ticks[7]
    return busy / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// The proportional set size of a process (shared pages split among their users), in KiB.
func pssKiB(_ pid: Int32) -> Int {
    guard let handle = FileHandle(forReadingAtPath: "/proc/\(pid)/smaps_rollup"), let data = try? handle.readToEnd() else { return 0 }
    try? handle.close()
    let line = String(decoding: data, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("Pss:") }
    return Int(line?.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "0") ?? 0
}

/// utime + stime of a process, in clock ticks.
func cpuTicks(_ pid: Int32) -> Int {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return 0 }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    // After the name: state is field 0, utime field 11, stime field 12.
    return (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)
}

/// A resident-memory figure of a process from /proc/PID/status (VmRSS by default), in KiB.
func rssKiB(_ pid: Int32, _ field: String = "VmRSS:") -> Int {
    let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
    guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field) }) else { return 0 }
    return Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "0") ?? 0
}

/// User + system CPU seconds of this process and of its reaped children (the ssh clients).
func processCPU() -> (own: Double, children: Double, total: Double) {
    var me = rusage(), kids = rusage()
    getrusage(RUSAGE_SELF.rawValue, &me)
    getrusage(RUSAGE_CHILDREN.rawValue, &kids)
    func secs(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    let own = secs(me.ru_utime) + secs(me.ru_stime), children = secs(kids.ru_utime) + secs(kids.ru_stime)
    return (own, children, own + children)
}

/// The peer, side by side on the same farm in the same run: ansible-core (from PyPI, in
/// the benchmark's own virtualenv, never a dependency of Luna) running one ad-hoc
/// `command` module call per host through the same bastion with its own ControlPersist,
/// cold (a fresh control directory) and warm, against Luna's full scan of every enabled check.
func ansiblePeer(farm: SSHFarm, bastion: SSHFarmHost, hosts: [SSHFarmHost], parallel: Int, lunaCold: Double, lunaWarm: Double) throws {
    let venv = ProcessInfo.processInfo.environment["LUNA_BENCH_ANSIBLE_VENV"] ?? "/opt/luna-bench-ansible"
    let version = "2.17.7"
    let ansible = venv + "/bin/ansible"
    if !FileManager.default.isExecutableFile(atPath: ansible) {
        print("scan: peer: installing ansible-core \(version) into \(venv) (PyPI) …")
        for argv in [["python3", "-m", "venv", venv], [venv + "/bin/pip", "install", "-q", "ansible-core==\(version)"]] {
            let r = try ProcessRunner.run(argv, timeout: .seconds(900))
            guard r.exitStatus == 0 else { throw BenchError(description: "\(argv.joined(separator: " ")) failed: \(r.stderrText)") }
        }
    }
    let dir = farm.directory + "/ansible"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let knownHosts = farm.directory + "/known_hosts"
    let proxy = "ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=\(knownHosts) -o IdentitiesOnly=yes "
        + "-i \(farm.clientKey) -p \(bastion.port) -l \(farm.user) -W %h:%p \(bastion.address)"
    var inventory = "[farm]\n"
    for h in hosts { inventory += "\(h.name) ansible_host=\(h.address) ansible_port=\(h.port)\n" }
    inventory += """
        [farm:vars]
        ansible_user=\(farm.user)
        ansible_ssh_private_key_file=\(farm.clientKey)
        ansible_python_interpreter=/usr/bin/python3
        ansible_ssh_common_args='-F /dev/null -o StrictHostKeyChecking=yes -o UserKnownHostsFile=\(knownHosts) -o IdentitiesOnly=yes -o ProxyCommand="\(proxy)"'

        """
    try inventory.write(toFile: dir + "/hosts.ini", atomically: true, encoding: .utf8)
    var round = 0
    func run(cold: Bool) throws -> Double {
        if cold { round += 1 }
        var env = ProcessInfo.processInfo.environment
        env["ANSIBLE_HOST_KEY_CHECKING"] = "True"
        env["ANSIBLE_SSH_CONTROL_PATH_DIR"] = dir + "/cp\(round)"
        env["ANSIBLE_SSH_ARGS"] = "-o ControlMaster=auto -o ControlPersist=60s"
        env["ANSIBLE_LOCAL_TEMP"] = dir + "/tmp"
        env["ANSIBLE_FORKS"] = String(parallel)
        env["ANSIBLE_GATHERING"] = "explicit"
        let start = ContinuousClock.now
        let r = try ProcessRunner.run([ansible, "farm", "-i", dir + "/hosts.ini", "-m", "command", "-a", "/bin/true", "-o"],
                                      environment: env, timeout: .seconds(900))
        let elapsed = ContinuousClock.now - start
        let ok = r.stdoutText.split(separator: "\n").filter { $0.contains("CHANGED") || $0.contains("SUCCESS") }.count
        guard r.exitStatus == 0, ok == hosts.count else {
            throw BenchError(description: "ansible reached \(ok)/\(hosts.count) hosts (exit \(r.exitStatus)): \(r.stdoutText.suffix(600)) \(r.stderrText.suffix(600))")
        }
        return elapsed.seconds
    }
    let cold = try run(cold: true)
    let warm = try run(cold: false)
    print(String(format: "scan: peer ansible-core %@, one ad-hoc `command /bin/true` per host, forks %d: cold %.2f s, warm %.2f s", version, parallel, cold, warm))
    print(String(format: "scan: side by side, %d hosts: Luna's full scan (ports, sshd through sudo, files) cold %.2f s vs ansible %.2f s = %.2f×; warm %.2f s vs %.2f s = %.2f×",
                 hosts.count, lunaCold, cold, lunaCold / cold, lunaWarm, warm, lunaWarm / warm))
}

/// The ssh master processes serving sockets in `controlDirectory`, and their resident memory together.
func sshMasters(controlDirectory: String) -> (count: Int, rssKiB: Int) {
    var count = 0, rss = 0
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
        guard let pid = Int32(entry), let cmd = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(entry)/cmdline")) else { continue }
        let argv = String(decoding: cmd, as: UTF8.self).split(separator: "\0")
        // A forked master renames itself `ssh: <socket> [mux]`.
        guard let first = argv.first, first.hasPrefix("ssh: "), first.hasSuffix("[mux]"), first.contains(controlDirectory + "/") else { continue }
        count += 1
        rss += rssKiB(pid)
    }
    return (count, rss)
}
