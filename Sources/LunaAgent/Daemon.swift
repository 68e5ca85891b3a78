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
    /// The Discord approval channel, when `[discord]` is configured (see DiscordApprovals).
    public var discord: DiscordApprovals?

    public init(agent: Agent, notifier: SystemdNotifier = SystemdNotifier(), approvalPoll: Duration = .seconds(5),
                discord: DiscordApprovals? = nil) {
        self.agent = agent
        self.notifier = notifier
        self.approvalPoll = approvalPoll
        self.discord = discord
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
        for id in try agent.gateLeftoverProposals() {
            agent.environment.log("proposal \(id) was left ungated when luna stopped; gated now")
        }
        for id in recovery.interrupted {
            agent.environment.log("proposal \(id) was executing when luna stopped; marked interrupted, not re-run")
        }
        for id in recovery.endedUnobserved {
            agent.environment.log("proposal \(id)'s action ran to completion after luna stopped (exit status unknown); marked interrupted, not re-run")
        }
        return recovery
    }

    /// Hands the recorder's notices (a blocked ops repo, a removed stale lock, a repair) to the operator once:
    /// the returned lines for the cycle report, the log, and a Discord notice when a channel is configured.
    func recordingNotices() -> [String] {
        let notices: [String]
        do { notices = try agent.ledger.takeRecordingNotices() } catch {
            agent.environment.log("cannot read the recorder's notices: \(error)")
            return []
        }
        for line in notices {
            agent.environment.log(line)
            if discord != nil {
                do { try agent.ledger.discordEnqueue(kind: "notice", proposalID: nil, content: "⚠️ " + line) } catch {
                    agent.environment.log("discord: cannot queue the notice: \(error)")
                }
            }
        }
        return notices
    }

    /// Runs cycles until stopped (or one cycle with `once`).
    ///
    /// - Parameter report: Called with each cycle's report (the CLI prints it).
    public func run(once: Bool, report: (CycleReport) -> Void) throws {
        var executing = try recover().stillRunning.count
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
            var cycle = try agent.cycle(shouldStop: { ping(); return Daemon.shouldStop })
            cycle.notices += recordingNotices()
            report(cycle)
            // Discord: one message for this scan's changes, then post new proposals and read decisions now.
            if let discord { discord.report(cycle.scan); discord.tick(force: true) }
            let open = (try? agent.ledger.findings().count) ?? 0
            let pending = (try? agent.ledger.proposals(state: .awaitingApproval).count) ?? 0
            notifier.notify("STATUS=last scan \(Timestamp.string(agent.environment.now())); \(open) open findings; \(pending) awaiting approval")
            if once || Daemon.shouldStop { break }
            // Wait for the next scan, executing approvals as they arrive.
            // The interval, or the daily scan time when it comes first (ScanSchedule.swift).
            let wallNow = agent.environment.now()
            let wait = max(1, ScanSchedule(agent.config).nextScan(after: wallNow).timeIntervalSince(wallNow))
            let next = ContinuousClock.now + .milliseconds(Int64(wait * 1000))
            var nextPoll = ContinuousClock.now + approvalPoll
            // Idle until the next scan: hand the pages this scan touched back to the system.
            IdleMemory.trim()
            while ContinuousClock.now < next && !Daemon.shouldStop {
                ping()
                // Discord: polls when due (poll_seconds while pending, slower when idle, backing off
                // on failures); never throws, so an unreachable Discord never stops the scans.
                discord?.tick()
                if ContinuousClock.now >= nextPoll {
                    // An action that outlived the luna that started it: resolved once it ends.
                    if executing > 0 { executing = try recover().stillRunning.count }
                    _ = try agent.ledger.expireOverdue()
                    let ran = try agent.executeApproved(shouldStop: { Daemon.shouldStop })
                    let recorded = try agent.recorder.recordPending()
                    // Discord: post the outcomes now rather than at the next idle poll.
                    let notices = recordingNotices()
                    if !ran.isEmpty || !recorded.isEmpty || !notices.isEmpty { discord?.tick(force: true) }
                    nextPoll = ContinuousClock.now + approvalPoll
                }
                Thread.sleep(forTimeInterval: 0.25)
            }
        } while !Daemon.shouldStop
        notifier.notify("STOPPING=1")
    }
}
