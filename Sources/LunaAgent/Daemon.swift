import Foundation
import LunaSystem
#if canImport(Glibc)
import Glibc
#endif

/// The long-running loop behind `luna run`.
///
/// It takes the run lock, turns any `executing` left by a crash into
/// `interrupted`, tells systemd it is ready, then runs a cycle every scan
/// interval and executes newly approved proposals every few seconds in between.
/// SIGTERM or SIGINT stop it between steps.
public struct Daemon: Sendable {
    public var agent: Agent
    public var notifier: SystemdNotifier
    /// How often approved proposals are picked up between scans.
    public var approvalPoll: Duration
    /// The configured approval channels besides the CLI (from the ``ChannelRegistry``).
    public var channels: [any ApprovalChannel]

    public init(agent: Agent, notifier: SystemdNotifier = SystemdNotifier(), approvalPoll: Duration = .seconds(5),
                channels: [any ApprovalChannel] = []) {
        self.agent = agent
        self.notifier = notifier
        self.approvalPoll = approvalPoll
        self.channels = channels
    }

    /// A daemon driving the registry's configured channels.
    public init(agent: Agent, notifier: SystemdNotifier = SystemdNotifier(), approvalPoll: Duration = .seconds(5),
                registry: ChannelRegistry) {
        self.init(agent: agent, notifier: notifier, approvalPoll: approvalPoll, channels: registry.channels)
    }

    /// Installs the SIGTERM/SIGINT handlers that request a clean stop (see `StopSignal`).
    public static func installSignalHandlers() { StopSignal.install() }

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
    }

    /// Recovers, reconciles the memory index and tells systemd it is ready; the first scan is due at once.
    ///
    /// - Parameter now: The wall-clock time (the agent's environment's clock).
    /// - Returns: The loop's state.
    public func start(now: Date) throws -> State {
        let stillRunning = try recover().stillRunning.count
        // The memory files are the source of truth: reconcile the index at start.
        do { try agent.curation.reconcileMemory() } catch { agent.environment.log(.error, "memory reconcile failed: \(error)") }
        notifier.notify("READY=1\nSTATUS=started; first scan")
        return State(nextScan: now, nextPoll: now.addingTimeInterval(approvalPoll.seconds), stillRunning: stillRunning)
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
            var cycle = try agent.cycle(shouldStop: shouldStop)
            cycle.notices += recordingNotices()
            step.cycle = cycle
            // Every channel: one message for this scan's changes, then post new proposals and read decisions now.
            for channel in channels { channel.report(cycle.scan); channel.tick(force: true) }
            let open = (try? agent.ledger.findings().count) ?? 0
            let pending = (try? agent.ledger.proposals(state: .awaitingApproval).count) ?? 0
            notifier.notify("STATUS=last scan \(Timestamp.string(now)); \(open) open findings; \(pending) awaiting approval")
            // The interval, or the daily scan time when it comes first (ScanSchedule.swift).
            state.nextScan = max(now.addingTimeInterval(1), schedule.nextScan(after: now))
            state.nextPoll = now.addingTimeInterval(approvalPoll.seconds)
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
            state.nextPoll = now.addingTimeInterval(approvalPoll.seconds)
        }
        return step
    }

    /// Runs steps until stopped (or one scan cycle with `once`), sleeping a
    /// quarter second between them with the environment's sleep.
    ///
    /// - Parameter report: Called with each cycle's report (the CLI prints it).
    public func run(once: Bool, report: (CycleReport) -> Void) throws {
        var state = try start(now: agent.environment.now())
        // The watchdog is about real time: systemd restarts a luna that stops making progress.
        let environment = agent.environment
        var sincePing = Stopwatch(environment.clock)
        func ping() {
            if let interval = notifier.watchdogInterval, sincePing.elapsed() >= interval / 2 {
                notifier.notify("WATCHDOG=1")
                sincePing = Stopwatch(environment.clock)
            }
        }
        while true {
            let step = try self.step(&state, now: environment.now(), shouldStop: { ping(); return environment.shouldStop() })
            if let cycle = step.cycle {
                report(cycle)
                if once { break }
            }
            if environment.shouldStop() { break }
            ping()
            agent.environment.sleep(.milliseconds(250))
        }
        notifier.notify("STOPPING=1")
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
