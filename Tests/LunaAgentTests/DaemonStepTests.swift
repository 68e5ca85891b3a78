import Foundation
import Synchronization
import LunaSystem
import LunaAgent
import LunaConfig
import Testing
import TestSupport

/// The daemon loop in process, driven by a test clock: no sleeping, no binary.
@Suite("daemon steps", .serialized)
struct DaemonStepTests {
    func daemon(_ estate: Estate, clock: TestClock, edit: (inout LunaConfiguration) -> Void = { _ in }) throws -> Daemon {
        var config = try estate.configuration()
        edit(&config)
        let agent = try Agent(config: config, environment: AgentEnvironment(now: { clock.now }, log: { _ in }, sleep: { _ in }))
        return Daemon(agent: agent, approvalPoll: .seconds(5))
    }

    @Test func theFirstStepScansAndTheNextScanWaitsForTheInterval() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let clock = TestClock()
        let d = try daemon(estate, clock: clock) { $0.scanIntervalSeconds = 300 }
        var state = try d.start(now: clock.now)
        let first = try d.step(&state, now: clock.now, shouldStop: { false })
        #expect(first.cycle?.scan != nil, "the first step scans")
        #expect(first.cycle?.proposed.count == 1)
        for _ in 0..<59 {
            clock.advance(5)
            #expect(try d.step(&state, now: clock.now, shouldStop: { false }).cycle == nil, "no scan before the interval")
        }
        clock.advance(5)
        #expect(try d.step(&state, now: clock.now, shouldStop: { false }).cycle?.scan != nil, "a scan at 300 s")
    }

    @Test func anApprovalIsExecutedAtTheNextPollNotTheNextScan() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let clock = TestClock()
        let d = try daemon(estate, clock: clock)
        var state = try d.start(now: clock.now)
        let p = try #require(try d.step(&state, now: clock.now, shouldStop: { false }).cycle?.proposed.first)
        try d.agent.ledger.decide(p.id, .approve, approver: "op", channel: "cli")
        clock.advance(2)
        #expect(try d.step(&state, now: clock.now, shouldStop: { false }).executed.isEmpty, "the poll is every 5 s")
        clock.advance(3)
        let poll = try d.step(&state, now: clock.now, shouldStop: { false })
        #expect(poll.cycle == nil && poll.executed == [p.id] && poll.recorded == [p.id])
        #expect(try estate.mode() == 0o600)
    }

    @Test func anUndecidedProposalExpiresAtAPollWithoutWaitingForAScan() throws {
        let estate = try Estate(ttlMinutes: 1)
        defer { estate.remove() }
        let clock = TestClock()
        let d = try daemon(estate, clock: clock) { $0.scanIntervalSeconds = 3600 }
        var state = try d.start(now: clock.now)
        let p = try #require(try d.step(&state, now: clock.now, shouldStop: { false }).cycle?.proposed.first)
        clock.advance(55)
        #expect(try d.step(&state, now: clock.now, shouldStop: { false }).expired.isEmpty)
        clock.advance(10)
        let poll = try d.step(&state, now: clock.now, shouldStop: { false })
        #expect(poll.cycle == nil && poll.expired == [p.id])
        #expect(try d.agent.ledger.proposal(p.id)?.state == .expired)
    }

    @Test func theDailyScanComesBeforeTheIntervalWhenItIsSooner() throws {
        let estate = try Estate()
        defer { estate.remove() }
        // Ten minutes after a whole minute of the machine's local time, with an hour's interval.
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .current
        let start = calendar.date(bySetting: .second, value: 0, of: Date())!.addingTimeInterval(0.5)
        let clock = TestClock(start)
        let at = calendar.dateComponents([.hour, .minute], from: start.addingTimeInterval(600))
        let d = try daemon(estate, clock: clock) {
            $0.scanIntervalSeconds = 3600
            $0.fleet.dailyScan = DailyTime(String(format: "%02d:%02d", at.hour!, at.minute!))
        }
        var state = try d.start(now: clock.now)
        #expect(try d.step(&state, now: clock.now, shouldStop: { false }).cycle != nil)
        clock.advance(580)
        #expect(try d.step(&state, now: clock.now, shouldStop: { false }).cycle == nil)
        clock.advance(20)
        #expect(try d.step(&state, now: clock.now, shouldStop: { false }).cycle != nil, "the daily scan at \(at)")
    }

    @Test func anOngoingFindingIsRemindedAfterReminderHours() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let clock = TestClock()
        let d = try daemon(estate, clock: clock) {
            $0.scanIntervalSeconds = 3600
            $0.fleet.reminderHours = 2
        }
        var state = try d.start(now: clock.now)
        #expect(try d.step(&state, now: clock.now, shouldStop: { false }).cycle?.scan?.events.isEmpty == false)
        clock.advance(3600)
        #expect(try d.step(&state, now: clock.now, shouldStop: { false }).cycle?.scan?.reminders.isEmpty == true, "after 1 h: not yet")
        clock.advance(3601)   // stored times are to the millisecond: a hair past the two hours
        let reminded = try #require(try d.step(&state, now: clock.now, shouldStop: { false }).cycle?.scan)
        let all = try d.agent.ledger.findings(state: nil).map { ($0.state, $0.lastSeen) }
        #expect(reminded.reminders.count == 1, "after 2 h the ongoing finding comes back once: \(reminded.events) \(all)")
    }

    @Test func aWallClockThatJumpsBackDoesNotPostponeTheNextScanBeyondAnInterval() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let clock = TestClock()
        let d = try daemon(estate, clock: clock) { $0.scanIntervalSeconds = 300 }
        var state = try d.start(now: clock.now)
        _ = try d.step(&state, now: clock.now, shouldStop: { false })
        clock.advance(-86_400)   // NTP moved the clock back a day
        _ = try d.step(&state, now: clock.now, shouldStop: { false })
        clock.advance(300)
        #expect(try d.step(&state, now: clock.now, shouldStop: { false }).cycle != nil, "one interval after the jump, not a day")
    }

    @Test func theLoopDrivesAnyApprovalChannelTheSameWay() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let clock = TestClock()
        var config = try estate.configuration()
        config.scanIntervalSeconds = 300
        let agent = try Agent(config: config, environment: AgentEnvironment(now: { clock.now }, log: { _ in }, sleep: { _ in }))
        let channel = RecordingChannel()
        let d = Daemon(agent: agent, approvalPoll: .seconds(5), channels: [channel])
        var state = try d.start(now: clock.now)
        let p = try #require(try d.step(&state, now: clock.now, shouldStop: { false }).cycle?.proposed.first)
        #expect(channel.calls == ["report 1 events", "tick force"], "\(channel.calls)")
        clock.advance(1)
        _ = try d.step(&state, now: clock.now, shouldStop: { false })
        #expect(channel.calls.last == "tick", "between scans each channel polls when due")
        // The recorder is blocked by a live lock: the operator hears it once, through every channel.
        try d.agent.ledger.decide(p.id, .approve, approver: "op", channel: "cli")
        FileManager.default.createFile(atPath: estate.ops.repo + "/.git/index.lock", contents: Data())
        clock.advance(5)
        let poll = try d.step(&state, now: clock.now, shouldStop: { false })
        #expect(poll.executed == [p.id] && poll.recorded.isEmpty)
        #expect(channel.calls.contains { $0.hasPrefix("notice ") && $0.contains("index.lock") }, "\(channel.calls)")
        #expect(channel.calls.last == "tick force", "outcomes and notices are posted at once")
    }

    @Test func runOnceStopsAfterOneCycleWithoutSleeping() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let clock = TestClock()
        let d = try daemon(estate, clock: clock)
        var reports = 0
        try d.run(once: true) { _ in reports += 1 }
        #expect(reports == 1)
    }
}

/// An approval channel that only writes down what the loop asked of it.
final class RecordingChannel: ApprovalChannel, @unchecked Sendable {
    // @unchecked: `log` is only touched under `lock`.
    private let lock = NSLock()
    private var log: [String] = []
    var calls: [String] { lock.withLock { log } }
    let name = "recording"
    func report(_ scan: ScanReport?) { lock.withLock { log.append("report \(scan?.events.count ?? 0) events") } }
    func tick(force: Bool) -> Bool { lock.withLock { log.append(force ? "tick force" : "tick") }; return true }
    func notice(_ text: String) { lock.withLock { log.append("notice " + text) } }
    // What an exchange asks of a channel; the daemon never calls these itself (only `tick` does).
    func publish(_ proposal: Proposal) { lock.withLock { log.append("publish \(proposal.id)") } }
    func collectDecisions() { lock.withLock { log.append("collect") } }
    func announce(decision: ApprovalRecord, on proposal: Proposal) { lock.withLock { log.append("decision \(proposal.id)") } }
    func announce(outcome proposal: Proposal, execution: ExecutionRecord?) { lock.withLock { log.append("outcome \(proposal.id)") } }
    func health() -> ChannelHealth? { nil }
}

/// A monotonic clock a test moves (the daemon's `environment.clock`).
final class ManualClock: Clock, @unchecked Sendable {
    // @unchecked: `current` is guarded by `lock`.
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (a: Instant, b: Instant) -> Bool { a.offset < b.offset }
    }

    private let lock = NSLock()
    private var current = Instant(offset: .zero)
    var now: Instant { lock.withLock { current } }
    var minimumResolution: Duration { .nanoseconds(1) }
    func sleep(until deadline: Instant, tolerance: Duration?) async throws { lock.withLock { current = max(current, deadline) } }
    func advance(_ d: Duration) { lock.withLock { current = current.advanced(by: d) } }
}

/// A real datagram socket standing in for systemd's `$NOTIFY_SOCKET`, drained by a
/// thread as systemd would (the kernel queues only a few datagrams).
final class NotifySocket: @unchecked Sendable {
    // @unchecked: `received` and `open` are guarded by `lock`.
    let path: String
    private let fd: Int32
    private let lock = NSLock()
    private var received: [String] = []
    private var open = true
    private let drained = DispatchSemaphore(value: 0)

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("luna-notify-\(UUID().uuidString.prefix(8)).sock").path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard fd >= 0, bound == 0 else { throw AgentError(.invalid, "cannot bind \(path): errno \(errno)") }
        var timeout = timeval(tv_sec: 0, tv_usec: 50_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while lock.withLock({ open }) {
                let n = recv(fd, &buffer, buffer.count, 0)
                if n > 0 { let text = String(decoding: buffer[0..<n], as: UTF8.self); lock.withLock { received.append(text) } }
            }
            drained.signal()
        }
    }

    /// Every message received, oldest first, once the senders are done.
    func messages() -> [String] {
        Thread.sleep(forTimeInterval: 0.2)   // let the drain thread read what is queued
        return lock.withLock { received }
    }

    deinit {
        lock.withLock { open = false }
        drained.wait()
        close(fd)
        unlink(path)
    }
}

@Suite("daemon: the whole loop in process, on test clocks")
struct DaemonRunTests {
    @Test func theLoopScansOnScheduleStopsWhenAskedAndPingsTheWatchdogOnlyAsTimePasses() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let wall = TestClock()
        let mono = ManualClock()
        let sleeps = Mutex(0)
        let notify = try NotifySocket()
        var config = try estate.configuration()
        config.scanIntervalSeconds = 60
        // Each quarter-second sleep moves both clocks; the loop stops after 10 minutes of test time.
        let environment = AgentEnvironment(now: { wall.now }, log: { _ in },
                                           sleep: { d in
                                               sleeps.withLock { $0 += 1 }
                                               wall.advance(d.seconds)
                                               mono.advance(d)
                                           },
                                           clock: mono,
                                           shouldStop: { sleeps.withLock { $0 } >= 2400 })
        let agent = try Agent(config: config, environment: environment)
        // WATCHDOG_USEC=40 s: the notifier's interval is half of it (20 s); the loop pings when half of that passed.
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "40000000"])
        let daemon = Daemon(agent: agent, notifier: notifier, approvalPoll: .seconds(5))
        var cycles = 0
        let started = ContinuousClock.now
        try daemon.run(once: false) { _ in cycles += 1 }
        #expect(ContinuousClock.now - started < .seconds(60), "no real sleeping")
        #expect(sleeps.withLock { $0 } == 2400)
        #expect(cycles == 10 || cycles == 11, "a scan at start and every 60 s of test time, got \(cycles)")
        let messages = notify.messages()
        #expect(messages.first?.hasPrefix("READY=1") == true)
        #expect(messages.last == "STOPPING=1")
        let pings = messages.filter { $0 == "WATCHDOG=1" }.count
        // 600 s of monotonic test time, a ping each 10 s: about 60, never one per step.
        #expect((58...62).contains(pings), "\(pings) watchdog pings")
    }
}
