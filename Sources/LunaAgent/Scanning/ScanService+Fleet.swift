import Foundation
import LunaConfig
import LunaDrift
import LunaFleet
import LunaSystem
import Synchronization

/// The pseudo-check that reports whether an ssh host could be reached at all.
public enum ReachCheck {
    /// Its name in results and findings.
    public static let name = "reach"
    /// The finding subject when ssh could not connect.
    public static let unreachable = "unreachable"
    /// The finding subject when the host key did not match the pinned known_hosts.
    public static let hostKeyMismatch = "hostkey-mismatch"
}

extension AgentEnvironment {
    /// The ssh executor for an ssh host: pinned known_hosts, the configured key and
    /// bastion, ControlMaster sockets under the configured control directory.
    ///
    /// - Throws: `AgentError` when the host has no address or there is no `[ssh]` section.
    public static func sshExecutor(_ host: HostConfig, _ config: LunaConfiguration) throws -> SSHExecutor {
        guard var options = try sshOptions(config), let endpoint = host.ssh else {
            throw AgentError(.invalid, "host \(host.name) uses ssh but the configuration has no [ssh] section or address")
        }
        if isWarm(host, config) { options.controlPersist = warmPersist(config) }
        return SSHExecutor(target: SSHTarget(host: host.name, address: endpoint.address, port: endpoint.port, user: endpoint.user),
                           options: options, outputLimit: config.outputLimitBytes)
    }

    /// Whether `host` keeps its master between scans: the first `[ssh] warm_hosts` ssh hosts of the inventory.
    public static func isWarm(_ host: HostConfig, _ config: LunaConfiguration) -> Bool {
        guard let warm = config.fleet.ssh?.warmHosts, warm > 0 else { return false }
        return config.hosts.filter { $0.transport == .ssh }.prefix(warm).contains { $0.name == host.name }
    }

    /// A warm master outlives the scan interval by a minute, so the next scan finds it; one
    /// idle longer than that (the daemon stopped, the interval grew) closes itself.
    public static func warmPersist(_ config: LunaConfiguration) -> Duration {
        .seconds(config.scanIntervalSeconds + 60)
    }

    /// The `[ssh]` section as executor options (nil without one); creates the control directory (0700).
    public static func sshOptions(_ config: LunaConfiguration) throws -> SSHOptions? {
        guard let ssh = config.fleet.ssh else { return nil }
        try FileManager.default.createDirectory(atPath: ssh.controlDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        return SSHOptions(
            identityFile: ssh.identityFile, knownHostsFile: ssh.knownHostsFile,
            bastion: ssh.bastion.map { SSHTarget(host: "bastion", address: $0.address, port: $0.port, user: $0.user) },
            controlDirectory: ssh.controlDirectory, connectTimeout: .seconds(ssh.connectTimeoutSeconds),
            controlPersist: .seconds(60), bastionPersist: ssh.warmHosts > 0 ? warmPersist(config) : .seconds(60))
    }

    /// Opens the bastion's shared connection before a scan fans out (see
    /// `SSHExecutor.openBastion`). A failure is logged, not fatal: each host then
    /// tries the bastion itself and reports its own `reach` finding.
    public static let openBastion: @Sendable (LunaConfiguration, _ log: @Sendable (String) -> Void) -> Void = { config, log in
        guard config.hosts.contains(where: { $0.transport == .ssh }) else { return }
        do {
            guard let options = try sshOptions(config), options.bastion != nil else { return }
            try SSHExecutor.openBastion(options, timeout: options.connectTimeout * 2 + .seconds(5))
        } catch {
            log("bastion: no shared connection, each host connects through the bastion alone: \(error)")
        }
    }
}

extension ScanService {
    /// Runs the chosen checks on every host: hosts concurrently (at most
    /// `config.fleet.maxParallel` at once), each host's collections in one round
    /// trip when its transport can batch them.
    ///
    /// An ssh host also gets a `reach` result: `ok`, or `drift` with the subject
    /// `unreachable` or `hostkey-mismatch` (and then its other checks are
    /// `unavailable`, which resolves nothing). Nothing ever falls back to local execution.
    ///
    /// - Parameters:
    ///   - hosts: The hosts, in report order.
    ///   - checks: Check names to run (each host's enabled checks when nil).
    /// - Returns: The results, in host order then check order.
    func collect(hosts: [HostConfig], checks: [String]?,
                 progress: (@Sendable (_ done: Int, _ total: Int, _ host: String) -> Void)? = nil) -> [CheckResult] {
        let finished = Mutex(0)
        if hosts.contains(where: { $0.transport == .ssh }) { environment.prepareFleet(config, environment.log.lines(at: .warning)) }
        return Parallel.map(hosts, width: config.fleet.maxParallel) { [self] host in
            let results = scanHost(host, checks: checks)
            if let progress {
                let done = finished.withLock { n in n += 1; return n }
                progress(done, hosts.count, host.name)
            }
            return results
        }.flatMap { $0 }
    }

    /// Scans one host (see ``collect(hosts:checks:)``).
    func scanHost(_ host: HostConfig, checks: [String]?) -> [CheckResult] {
        let names = host.checks.filter { checks == nil || checks!.contains($0) }
        // The sudoers comparison and audit are for this configuration's identity and its groups on
        // this host (for %group rules), not the catalog's defaults.
        let selected = names.compactMap(CheckCatalog.named).map { check -> any DriftCheck in
            if check is SudoersCheck { return SudoersCheck(user: config.identity, groups: host.groups) }
            if check is SudoAuditCheck { return SudoAuditCheck(user: config.identity, groups: host.groups, local: host.transport == .local) }
            return check
        }
        let executor: any Executor
        do {
            // Collections can be large (every listener, every SUID file, every cron line): they get
            // a higher output limit than actions, and a listing cut at the limit is an error.
            var scanConfig = config
            scanConfig.outputLimitBytes = config.collectionOutputLimitBytes
            executor = try environment.executor(host, scanConfig)
        } catch {
            return names.map { CheckResult(host: host.name, check: $0, status: .error, detail: "cannot reach the host: \(error)") }
        }
        let timeout = Duration.seconds(config.commandTimeoutSeconds)
        // Stateful checks (failed logins since the last scan) resume from the state
        // saved in the ledger and save where this collection ended.
        let ledger = self.ledger
        func collectKeepingState() throws(FleetError) -> [CheckResult] {
            let (results, states) = try HostCollection.check(selected, host: host.name, executor: executor, references: references,
                                                             timeout: timeout, now: environment.now(),
                                                             state: { key in try? ledger.value(key) },
                                                             elevate: collectionElevation(host))
            for (key, value) in states {
                do { try ledger.setValue(key, value) } catch { environment.log(.error, "cannot save check state \(key): \(error)") }
            }
            return results
        }
        guard host.transport == .ssh else {
            return (try? collectKeepingState()) ?? []
        }
        do {
            let results = try collectKeepingState()
            return [CheckResult(host: host.name, check: ReachCheck.name, status: .ok, detail: "reached over ssh")] + results
        } catch {
            let subject: String
            switch error.kind {
            case .unreachable: subject = ReachCheck.unreachable
            case .hostKeyMismatch: subject = ReachCheck.hostKeyMismatch
            default:
                return [CheckResult(host: host.name, check: ReachCheck.name, status: .error, detail: error.description)]
                    + names.map { CheckResult(host: host.name, check: $0, status: .unavailable, detail: "not collected: ssh failed") }
            }
            let summary = subject == ReachCheck.unreachable
                ? "\(host.name) cannot be reached over ssh" : "\(host.name)'s host key does not match the pinned known_hosts"
            let item = DriftItem(subject: subject, summary: summary, observed: error.message)
            return [CheckResult(host: host.name, check: ReachCheck.name, status: .drift, detail: error.message, items: [item])]
                + names.map { CheckResult(host: host.name, check: $0, status: .unavailable, detail: "not collected: \(subject)") }
        }
    }
}
