import Foundation
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
