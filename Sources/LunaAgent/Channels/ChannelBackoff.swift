import Foundation
import LunaSystem
import Synchronization

/// What a failed exchange with a channel means for the next one.
public enum ChannelFailure: Sendable, Equatable {
    /// Try again after the backoff (an outage, a 5xx, a transport error).
    case retry
    /// Try again at `until`, without counting a failure (a rate limit the service announced).
    case wait(until: Date)
    /// Stop calling the service until luna restarts or reloads its configuration (a rejected token or permission).
    case halt
}

/// The one backoff rule every approval channel follows, on the clock it is given.
///
/// Due every `poll` seconds (or `idle`, chosen by the channel after each
/// success); forced calls (after a cycle, an execution) run at once. After a
/// failure nothing runs, forced or not, until `base × 2^failures` seconds have
/// passed (at most `cap`); a success resets the count; a halt is final for
/// this object (luna's restart makes a new one). The caller passes `now`, so a
/// test clock drives it without sleeping.
public final class ChannelBackoff: Sendable {
    /// The first step of the exponential wait, in seconds.
    public let base: TimeInterval
    /// The longest wait after failures, in seconds.
    public let cap: TimeInterval

    struct State {
        var nextPoll: Date?
        var notBefore: Date?
        var failures = 0
        var halted = false
    }

    private let state = Mutex(State())

    /// Creates a driver.
    ///
    /// - Parameters:
    ///   - base: The first step of the wait (a channel's poll interval).
    ///   - cap: The longest wait; 5 min by default.
    public init(base: TimeInterval, cap: TimeInterval = 300) {
        self.base = base
        self.cap = cap
    }

    /// Consecutive failures since the last success.
    public var failures: Int { state.withLock { $0.failures } }
    /// Whether the channel stopped for good (until restart).
    public var isHalted: Bool { state.withLock { $0.halted } }
    /// No call before this, forced or not (nil when not backing off).
    public var notBefore: Date? { state.withLock { $0.notBefore } }

    /// Whether an exchange may run at `now`.
    ///
    /// - Parameter force: Run now rather than at the scheduled poll (still never while backing off or halted).
    public func isDue(at now: Date, force: Bool) -> Bool {
        state.withLock { s in
            if s.halted { return false }
            if let b = s.notBefore, now < b { return false }
            return force || s.nextPoll.map { now >= $0 } ?? true
        }
    }

    /// Records a success: the failures are forgotten and the next poll is `pollIn` seconds after `now`.
    public func succeeded(at now: Date, nextPollIn pollIn: TimeInterval) {
        state.withLock { s in
            s.failures = 0
            s.notBefore = nil
            s.nextPoll = now.addingTimeInterval(pollIn)
        }
    }

    /// Records a failure.
    ///
    /// - Returns: When the next attempt may run, or nil when halted.
    @discardableResult
    public func failed(at now: Date, _ failure: ChannelFailure) -> Date? {
        state.withLock { s in
            switch failure {
            case .halt:
                s.halted = true
                s.failures += 1
                return nil
            case .wait(let until):
                let next = max(until, now)
                s.nextPoll = next
                s.notBefore = next
                return next
            case .retry:
                s.failures += 1
                let next = now.addingTimeInterval(min(cap, base * pow(2, Double(min(s.failures, 10)))))
                s.nextPoll = next
                s.notBefore = next
                return next
            }
        }
    }

    /// Runs one exchange when due, records the channel's health, and never throws.
    ///
    /// - Parameters:
    ///   - now: The wall-clock time (the agent's environment's clock).
    ///   - force: Run now unless backing off or halted.
    ///   - outbox: Where the channel's health is recorded.
    ///   - log: The channel's log (one line per failure).
    ///   - classify: What a thrown error means (retry, wait, halt).
    ///   - pollIn: Seconds to the next scheduled poll after a success.
    ///   - exchange: The channel's round.
    /// - Returns: Whether an exchange ran and succeeded.
    public func attempt(at now: Date, force: Bool, outbox: ChannelOutbox, log: AgentLog,
                        classify: (any Error) -> ChannelFailure, pollIn: () -> TimeInterval,
                        _ exchange: () throws -> Void) -> Bool {
        attempt(at: now, force: force, outbox: outbox, leveled: { log($0, $1) }, classify: classify, pollIn: pollIn, exchange)
    }

    /// ``attempt(at:force:outbox:log:classify:pollIn:_:)`` with a log that takes lines without their level.
    public func attempt(at now: Date, force: Bool, outbox: ChannelOutbox, log: (String) -> Void,
                        classify: (any Error) -> ChannelFailure, pollIn: () -> TimeInterval,
                        _ exchange: () throws -> Void) -> Bool {
        attempt(at: now, force: force, outbox: outbox, leveled: { log($1) }, classify: classify, pollIn: pollIn, exchange)
    }

    private func attempt(at now: Date, force: Bool, outbox: ChannelOutbox, leveled log: (LogLevel, String) -> Void,
                         classify: (any Error) -> ChannelFailure, pollIn: () -> TimeInterval,
                         _ exchange: () throws -> Void) -> Bool {
        guard isDue(at: now, force: force) else { return false }
        do {
            try exchange()
            succeeded(at: now, nextPollIn: pollIn())
            do { try outbox.succeeded() } catch { log(.error, "cannot record the channel's health: \(error)") }
            return true
        } catch {
            let failure = classify(error)
            let next = failed(at: now, failure)
            switch failure {
            case .halt:
                _ = try? outbox.failed(halted: true, error: "\(error)", nextAttempt: nil)
                log(.error, "halted until luna restarts or reloads (systemctl reload luna): \(error)")
            case .wait:
                log(.info, "rate limited, next attempt at \(next.map(Timestamp.string) ?? "?"): \(error)")
            case .retry:
                _ = try? outbox.failed(halted: false, error: "\(error)", nextAttempt: next)
                let wait = next.map { Int($0.timeIntervalSince(now)) } ?? 0
                log(.warning, "unavailable (attempt \(failures), next in \(wait) s): \(error)")
            }
            return false
        }
    }
}
