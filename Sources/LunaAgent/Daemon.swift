import Foundation
import LunaConfig
import LunaSystem
#if canImport(Glibc)
import Glibc
#endif

/// The long-running loop behind `luna run`.
///
/// It takes the run lock, turns any `executing` left by a crash into
/// `interrupted`, tells systemd it is ready, then runs a cycle every scan
/// interval and executes newly approved proposals every few seconds in between.
/// It logs events (not reports), records every scheduled scan that did not run
/// or failed, sends the daily digest and writes the metrics textfile. SIGTERM or
/// SIGINT stop it between steps; SIGHUP re-reads the configuration between steps.
public struct Daemon: Sendable {
    public var agent: Agent
    public var notifier: SystemdNotifier
    /// How often approved proposals are picked up between scans.
    public var approvalPoll: Duration
    /// The configured approval channels besides the CLI (from the ``ChannelRegistry``).
    public var channels: [any ApprovalChannel]
    /// Whether this is the service: it logs each cycle's events and records the scheduled
    /// scans that did not run. `luna run --once` (false) prints the report instead, and a
    /// cycle run by hand is not a schedule that was missed.
    public var supervised = true
    /// Re-reads the configuration on a reload request; nil: a reload is refused with a log line.
    public var configure: (@Sendable () throws -> LunaConfiguration)?
    /// The channels of a reloaded agent.
    public var makeChannels: @Sendable (Agent) throws -> [any ApprovalChannel]

    public init(agent: Agent, notifier: SystemdNotifier = SystemdNotifier(), approvalPoll: Duration = .seconds(5),
                channels: [any ApprovalChannel] = [], configure: (@Sendable () throws -> LunaConfiguration)? = nil) {
        self.agent = agent
        self.notifier = notifier
        self.approvalPoll = approvalPoll
        self.channels = channels
        self.configure = configure
        // Channels given as they are (tests) stay the same across a reload.
        makeChannels = { _ in channels }
    }

    /// A daemon driving the registry's configured channels (rebuilt from the new configuration on a reload).
    public init(agent: Agent, notifier: SystemdNotifier = SystemdNotifier(), approvalPoll: Duration = .seconds(5),
                registry: ChannelRegistry, configure: (@Sendable () throws -> LunaConfiguration)? = nil) {
        self.init(agent: agent, notifier: notifier, approvalPoll: approvalPoll, channels: registry.channels, configure: configure)
        makeChannels = { try ChannelRegistry(agent: $0).channels }
    }

    /// Installs the SIGTERM/SIGINT handlers that request a clean stop (see `StopSignal`)
    /// and the SIGHUP handler that requests a reload (see `ReloadSignal`).
    public static func installSignalHandlers() {
        StopSignal.install()
        ReloadSignal.install()
    }

    var log: AgentLog { agent.environment.log }
    var events: DaemonEvents { DaemonEvents(log: log, redactor: agent.redactor()) }

    /// Whether a stop was requested.
    public static var shouldStop: Bool { StopSignal.isRequested }

    /// Recovers after a crash: an `executing` proposal whose action process is gone becomes
    /// `interrupted`; one whose action still runs stays `executing` until it ends. Never re-run.
    ///
    /// Called at start and at every approval poll, so an action that outlived the
    /// luna that started it is resolved soon after it ends.
    @discardableResult
    public func recover() throws -> Ledger.Recovery {
        let recovery = try agent.ledger.recoverExecuting()
        for id in try agent.gating.gateLeftoverProposals() {
            agent.environment.log(.warning, "proposal \(id) was left ungated when luna stopped; gated now")
        }
        for id in recovery.interrupted {
            agent.environment.log(.warning, "proposal \(id) was executing when luna stopped; marked interrupted, not re-run")
        }
        for id in recovery.endedUnobserved {
            agent.environment.log(.warning, "proposal \(id)'s action ran to completion after luna stopped (exit status unknown); marked interrupted, not re-run")
        }
        return recovery
    }

    /// Tells a scan problem everywhere: the log (a warning; an error for a failed cycle) and a notice on every channel.
    func tell(_ problem: ScanProblem) {
        log(problem.kind == .failed ? .error : .warning, problem.text)
        for channel in channels { channel.notice(problem.text) }
    }

    /// Records the scheduled scans that did not run between `due` and `now`: a due time
    /// counts as missed when the one after it has come too (the scan running now
    /// stands for the latest); nothing when fewer than that passed.
    ///
    /// - Returns: The problem recorded, if any.
    @discardableResult
    func recordMissed(from due: Date, now: Date, because reason: String) throws -> ScanProblem? {
        let schedule = ScanSchedule(agent.config)
        var missed = 0, at = due
        while missed < 100_000 {
            let next = schedule.nextScan(after: at)
            guard next <= now else { break }
            missed += 1
            at = next
        }
        guard missed > 0 else { return nil }
        let problem = try agent.ledger.recordScanProblem(.missed, dueAt: due, scans: missed, detail: reason)
        tell(problem)
        return problem
    }

    /// What to say when luna's HOME cannot be seen (a `luna` user made earlier with HOME under
    /// `/home`, which the unit's `ProtectHome=yes` hides): ssh finds no `~/.ssh`, git no `~/.gitconfig`.
    public static func homeWarning(_ home: String?) -> String? {
        guard let home, !home.isEmpty else { return nil }
        var isDirectory: ObjCBool = false
        guard !FileManager.default.fileExists(atPath: home, isDirectory: &isDirectory) || !isDirectory.boolValue else { return nil }
        return "HOME \(home) cannot be seen" + (home.hasPrefix("/home/") ? " (the unit's ProtectHome=yes hides /home)" : "")
            + ": ssh finds no ~/.ssh and git no ~/.gitconfig there; give luna the HOME /var/lib/luna (usermod -d /var/lib/luna luna)"
    }

    /// Logs each decision recorded since the last one logged, from any channel (the CLI's in another process too).
    func logDecisions() {
        do {
            let after = Int64(try agent.ledger.value(Self.decisionsKey) ?? "") ?? 0
            let decisions = try agent.ledger.approvals(after: after)
            guard let last = decisions.last else { return }
            for d in decisions { events.decision(d.proposalID, d.record) }
            try agent.ledger.setValue(Self.decisionsKey, String(last.row))
        } catch {
            log(.error, "cannot read the decisions: \(error)")
        }
    }

    static let decisionsKey = "log.decisions_after"

    /// Writes the metrics textfile when configured; a failure is logged, never fatal.
    func writeMetrics(now: Date) {
        do { try MetricsFile(context: agent.context).write(now: now) } catch {
            log(.error, "cannot write the metrics textfile \(agent.config.operations.metricsTextfile ?? ""): \(error)")
        }
    }

    /// Sends the daily digest to every channel and logs it in one line.
    func sendDigest(now: Date) -> [String]? {
        do {
            let digest = Digest(context: agent.context)
            let lines = try digest.lines(now: now)
            let text = lines.joined(separator: "\n")
            for channel in channels { channel.digest(text) }
            for channel in channels { channel.tick(force: true) }
            log(.info, "digest: " + lines.dropFirst().map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " "))
            try digest.markSent(now)
            return lines
        } catch {
            log(.error, "cannot send the daily digest: \(error)")
            return nil
        }
    }

    /// Hands the recorder's notices (a blocked ops repo, a removed stale lock, a repair) to the operator once:
    /// the returned lines for the cycle report, the log, and a notice on every configured channel.
    func recordingNotices() -> [String] {
        let notices: [String]
        do { notices = try agent.ledger.takeRecordingNotices() } catch {
            agent.environment.log(.error, "cannot read the recorder's notices: \(error)")
            return []
        }
        for line in notices {
            agent.environment.log(.warning, line)
            for channel in channels { channel.notice(line) }
        }
        return notices
    }

    /// Where the loop stands between steps: what is due, and when (wall-clock times
    /// from the agent's environment, so a test clock drives the whole loop).
    public struct State: Sendable, Equatable {
        /// When the next scan cycle is due.
        public var nextScan: Date
        /// When approved proposals are next picked up between scans.
        public var nextPoll: Date
        /// Actions that outlived an earlier luna and still run (resolved at polls).
        public var stillRunning: Int
        /// When the daily digest is due next (nil without `[digest]`).
        public var nextDigest: Date? = nil
    }

    /// What one step did.
    public struct Step: Sendable {
        /// The scan cycle's report, when a scan was due.
        public var cycle: CycleReport?
        /// Proposals executed at an approval poll between scans.
        public var executed: [Int64] = []
        /// Outcomes recorded at that poll.
        public var recorded: [Int64] = []
        /// Proposals that expired at that poll.
        public var expired: [Int64] = []
        /// The recorder's notices told at that poll.
        public var notices: [String] = []
        /// Scheduled scans that did not run, or the cycle that failed, found at this step.
        public var problems: [ScanProblem] = []
        /// The digest's lines, when it was sent at this step.
        public var digest: [String]?
    }

    /// Recovers, reconciles the memory index, records the scheduled scans missed while
    /// luna was not running, and tells systemd it is ready; the first scan is due at once.
    ///
    /// - Parameter now: The wall-clock time (the agent's environment's clock).
    /// - Returns: The loop's state.
    public func start(now: Date) throws -> State {
        let stillRunning = try recover().stillRunning.count
        // The memory files are the source of truth: reconcile the index at start.
        do { try agent.curation.reconcileMemory() } catch { agent.environment.log(.error, "memory reconcile failed: \(error)") }
        if let warning = Self.homeWarning(ProcessInfo.processInfo.environment["HOME"]) { log(.warning, warning) }
        if supervised, let last = try agent.ledger.lastScanStartedAt() {
            try recordMissed(from: ScanSchedule(agent.config).nextScan(after: last), now: now, because: "luna was not running")
        }
        // Decisions made before this start are history: only new ones are logged.
        if try agent.ledger.value(Self.decisionsKey) == nil, let last = try agent.ledger.approvals(after: 0).last {
            try agent.ledger.setValue(Self.decisionsKey, String(last.row))
        }
        notifier.notify("READY=1\nSTATUS=started; first scan")
        return State(nextScan: now, nextPoll: now.addingTimeInterval(approvalPoll.seconds), stillRunning: stillRunning,
                     nextDigest: Digest.next(after: now, at: agent.config.operations.digestAt))
    }

    /// Does what is due at `now`: a scan cycle when its time has come, else an
    /// approval poll (expiry, execution of approved proposals, recording) when
    /// that is due, and each channel's own polling in any case.
    ///
    /// Deterministic in `now`: the loop and the tests drive it with the same
    /// clock. A wall clock that jumped backwards cannot push the next scan out
    /// by more than one interval.
    ///
    /// - Parameters:
    ///   - state: The loop's state, advanced in place.
    ///   - now: The wall-clock time.
    ///   - shouldStop: Checked between the cycle's steps.
    /// - Returns: What ran.
    public func step(_ state: inout State, now: Date, shouldStop: () -> Bool = { Daemon.shouldStop }) throws -> Step {
        var step = Step()
        let schedule = ScanSchedule(agent.config)
        if state.nextScan.timeIntervalSince(now) > Double(schedule.interval) + 1 {
            state.nextScan = schedule.nextScan(after: now)   // the clock went back: never wait longer than an interval
        }
        if now >= state.nextScan {
            // A scan due more than one schedule step ago: the ones in between did not run.
            if supervised, let missed = try recordMissed(from: state.nextScan, now: now, because: "the loop was busy or the machine was suspended past the scheduled time") {
                step.problems.append(missed)
            }
            defer {
                // The interval, or the daily scan time when it comes first (ScanSchedule.swift).
                state.nextScan = max(now.addingTimeInterval(1), schedule.nextScan(after: now))
                state.nextPoll = now.addingTimeInterval(approvalPoll.seconds)
            }
            do {
                var cycle = try agent.cycle(shouldStop: shouldStop)
                if supervised { events.notices(cycle.notices) }
                cycle.notices += recordingNotices()   // logged as they are taken
                step.cycle = cycle
                if supervised { events.cycle(cycle, seconds: agent.environment.now().timeIntervalSince(now)) }
            } catch {
                // A failed cycle is told and recorded, and the next one runs on schedule.
                let problem = try agent.ledger.recordScanProblem(.failed, dueAt: now, detail: "\(error)")
                tell(problem)
                step.problems.append(problem)
            }
            if supervised { logDecisions() }
            writeMetrics(now: agent.environment.now())
            // Every channel: one message for this scan's changes, then post new proposals and read decisions now.
            for channel in channels { channel.report(step.cycle?.scan); channel.tick(force: true) }
            let open = (try? agent.ledger.findings().count) ?? 0
            let pending = (try? agent.ledger.proposals(state: .awaitingApproval).count) ?? 0
            notifier.notify("STATUS=last scan \(Timestamp.string(now))\(step.cycle == nil ? " failed" : ""); \(open) open findings; \(pending) awaiting approval")
            digestIfDue(&state, &step, now: now)
            // Idle until the next scan: hand the pages this scan touched back to the system.
            IdleMemory.trim()
            return step
        }
        // Each channel polls when due (Discord: poll_seconds while pending, slower when idle,
        // backing off on failures, ChannelBackoff); none throws, so an unreachable channel never stops the scans.
        for channel in channels { channel.tick(force: false) }
        if now >= state.nextPoll {
            // An action that outlived the luna that started it: resolved once it ends.
            if state.stillRunning > 0 { state.stillRunning = try recover().stillRunning.count }
            step.expired = try agent.ledger.expireOverdue()
            step.executed = try agent.execution.executeApproved(shouldStop: shouldStop)
            step.recorded = try agent.recorder.recordPending().map(\.0)
            step.notices = recordingNotices()
            // Post the outcomes now rather than at the next idle poll.
            if !step.executed.isEmpty || !step.recorded.isEmpty || !step.notices.isEmpty || !step.expired.isEmpty {
                for channel in channels { channel.tick(force: true) }
            }
            if supervised {
                events.expired(step.expired)
                for id in step.recorded { log(.info, "proposal \(id)'s outcome recorded in the ops repo") }
                logDecisions()
            }
            state.nextPoll = now.addingTimeInterval(approvalPoll.seconds)
        }
        digestIfDue(&state, &step, now: now)
        return step
    }

    /// Sends the digest when its time has come, and schedules the next one.
    func digestIfDue(_ state: inout State, _ step: inout Step, now: Date) {
        let at = agent.config.operations.digestAt
        guard let due = state.nextDigest else {
            state.nextDigest = Digest.next(after: now, at: at)   // configured by a reload
            return
        }
        if due.timeIntervalSince(now) > 86_401 { state.nextDigest = Digest.next(after: now, at: at); return }   // the clock went back
        guard now >= due else { return }
        step.digest = sendDigest(now: now)
        state.nextDigest = Digest.next(after: now, at: at)
    }

    /// The daemon on a re-read configuration (`configure`), or this one when it
    /// cannot be read or may not change here (the state directory): then the old
    /// configuration stays in force and the error is logged.
    public func reloaded() -> Daemon {
        guard let configure else {
            log(.error, "reload refused: this luna was not started with a configuration file to re-read")
            return self
        }
        notifier.notify("RELOADING=1")
        defer { notifier.notify("READY=1\nSTATUS=configuration reloaded") }
        do {
            let config = try configure()
            guard config.stateDirectory == agent.config.stateDirectory else {
                log(.error, "reload refused: state_dir changed from \(agent.config.stateDirectory) to \(config.stateDirectory); "
                    + "restart luna to move it. The previous configuration stays in force")
                return self
            }
            var environment = agent.environment
            environment.log = environment.log.with(threshold: config.operations.logLevel)
            var next = self
            next.agent = try Agent(config: config, environment: environment)
            next.channels = try makeChannels(next.agent)
            next.log(.info, "configuration reloaded from \(config.file): \(config.hosts.count) hosts, scan every \(config.scanIntervalSeconds) s")
            return next
        } catch {
            log(.error, "reload failed, the previous configuration stays in force: \(error)")
            return self
        }
    }

    /// Runs steps until stopped (or one scan cycle with `once`), sleeping a
    /// quarter second between them with the environment's sleep.
    ///
    /// The systemd watchdog is pinged only at points of progress — between the
    /// cycle's phases and after each step — and at most every half interval of
    /// real (monotonic) time, so a step that hangs stops the pings and systemd
    /// restarts luna. A reload request (SIGHUP) is taken between steps.
    ///
    /// - Parameter report: Called with each cycle's report (the CLI prints it).
    /// - Returns: The last step (with `once`: the cycle's, or the problem that stood for it).
    @discardableResult
    public func run(once: Bool, report: (CycleReport) -> Void) throws -> Step? {
        var daemon = self
        var state = try daemon.start(now: agent.environment.now())
        let environment = agent.environment
        var sincePing = Stopwatch(environment.clock)
        func progressed() {
            if let interval = notifier.watchdogInterval, sincePing.elapsed() >= interval / 2 {
                notifier.notify("WATCHDOG=1")
                sincePing = Stopwatch(environment.clock)
            }
        }
        var last: Step?
        while true {
            let step = try daemon.step(&state, now: environment.now(), shouldStop: { progressed(); return environment.shouldStop() })
            last = step
            if let cycle = step.cycle {
                report(cycle)
            }
            if once && (step.cycle != nil || step.problems.contains { $0.kind == .failed }) { break }
            if environment.shouldStop() { break }
            progressed()
            if environment.takeReload() {
                daemon = daemon.reloaded()
                // A shorter interval or a new digest time takes effect now, not after the old wait.
                state.nextScan = min(state.nextScan, ScanSchedule(daemon.agent.config).nextScan(after: environment.now()))
                state.nextDigest = Digest.next(after: environment.now(), at: daemon.agent.config.operations.digestAt)
            }
            environment.sleep(.milliseconds(250))
        }
        notifier.notify("STOPPING=1")
        return last
    }
}

/// Time passed since it was made, on any clock measured in `Duration`.
struct Stopwatch {
    let elapsed: () -> Duration

    /// Starts now on `clock` (the existential is opened into the generic start).
    init(_ clock: any Clock<Duration>) {
        self = Stopwatch.start(clock)
    }

    private init(elapsed: @escaping () -> Duration) { self.elapsed = elapsed }

    private static func start<C: Clock>(_ clock: C) -> Stopwatch where C.Duration == Duration {
        let start = clock.now
        return Stopwatch(elapsed: { start.duration(to: clock.now) })
    }
}
