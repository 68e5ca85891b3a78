import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Set by SIGTERM/SIGINT; read between steps. An atomic, so the handler is async-signal-safe.
let stopRequested = Atomic<Bool>(false)

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

    public init(agent: Agent, notifier: SystemdNotifier = SystemdNotifier(), approvalPoll: Duration = .seconds(5)) {
        self.agent = agent
        self.notifier = notifier
        self.approvalPoll = approvalPoll
    }

    /// Installs the SIGTERM/SIGINT handlers that request a clean stop.
    public static func installSignalHandlers() {
        let handler: @convention(c) (Int32) -> Void = { _ in stopRequested.store(true, ordering: .relaxed) }
        signal(SIGTERM, handler)
        signal(SIGINT, handler)
        signal(SIGPIPE, SIG_IGN)
        // A parent may have started us with these blocked (a signal mask is
        // inherited across exec); a daemon that cannot see SIGTERM cannot stop cleanly.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// Whether a stop was requested.
    public static var shouldStop: Bool { stopRequested.load(ordering: .relaxed) }

    /// Recovers after a crash: every `executing` proposal becomes `interrupted`.
    public func recover() throws -> [Int64] {
        let ids = try agent.ledger.recoverInterrupted()
        for id in ids {
            agent.environment.log("proposal \(id) was executing when luna stopped; marked interrupted, not re-run")
        }
        return ids
    }

    /// Runs cycles until stopped (or one cycle with `once`).
    ///
    /// - Parameter report: Called with each cycle's report (the CLI prints it).
    public func run(once: Bool, report: (CycleReport) -> Void) throws {
        _ = try recover()
        // Issue 7: the memory files are the source of truth; reconcile the index at start.
        do { try agent.reconcileMemory() } catch { agent.environment.log("memory reconcile failed: \(error)") }
        notifier.notify("READY=1\nSTATUS=started; first scan")
        var lastPing = ContinuousClock.now
        func ping() {
            if let interval = notifier.watchdogInterval, ContinuousClock.now - lastPing >= interval / 2 {
                notifier.notify("WATCHDOG=1")
                lastPing = ContinuousClock.now
            }
        }
        repeat {
            let cycle = try agent.cycle(shouldStop: { ping(); return Daemon.shouldStop })
            report(cycle)
            let open = (try? agent.ledger.findings().count) ?? 0
            let pending = (try? agent.ledger.proposals(state: .awaitingApproval).count) ?? 0
            notifier.notify("STATUS=last scan \(Timestamp.string(agent.environment.now())); \(open) open findings; \(pending) awaiting approval")
            if once || Daemon.shouldStop { break }
            // Wait for the next scan, executing approvals as they arrive.
            let next = ContinuousClock.now + .seconds(agent.config.scanIntervalSeconds)
            var nextPoll = ContinuousClock.now + approvalPoll
            while ContinuousClock.now < next && !Daemon.shouldStop {
                ping()
                if ContinuousClock.now >= nextPoll {
                    _ = try agent.ledger.expireOverdue()
                    _ = try agent.executeApproved(shouldStop: { Daemon.shouldStop })
                    _ = try agent.recorder.recordPending()
                    nextPoll = ContinuousClock.now + approvalPoll
                }
                Thread.sleep(forTimeInterval: 0.25)
            }
        } while !Daemon.shouldStop
        notifier.notify("STOPPING=1")
    }
}
