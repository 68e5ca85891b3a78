import Foundation
import LunaConfig
import LunaFleet
import LunaHTTP
import LunaSystem
import LunaText

/// The side effects the Agent uses, injected so tests can drive them: the one
/// environment every service, channel and the daemon read time, sleep, stop
/// requests, processes (per-host executors) and HTTP through.
public struct AgentEnvironment: Sendable {
    /// The wall clock: expiry, schedules, reminders, certificates and stamps.
    public var now: @Sendable () -> Date
    /// The monotonic clock for intervals that are about real time passing (the
    /// systemd watchdog's pings); a test clock makes them deterministic.
    public var clock: any Clock<Duration>
    /// Whether a stop was requested (SIGTERM or SIGINT by default, see `StopSignal`).
    public var shouldStop: @Sendable () -> Bool
    /// The HTTP transport for the model's and the channels' clients, with their response cap.
    public var http: @Sendable (_ maxResponseBytes: Int) -> HTTPClient
    /// The executor that reaches a host.
    public var executor: @Sendable (HostConfig, LunaConfiguration) throws -> any Executor
    /// Where events and problems are written, each with its level (the journal, under systemd).
    public var log: AgentLog
    /// Whether a reload of the configuration was requested since the last call (SIGHUP by default, see `ReloadSignal`).
    public var takeReload: @Sendable () -> Bool
    /// Runs once before a scan fans out to its ssh hosts (opens the bastion's
    /// shared connection); injected so tests of other parts connect to nothing.
    public var prepareFleet: @Sendable (LunaConfiguration, _ log: @Sendable (String) -> Void) -> Void
    /// How the daemon waits between steps; a test's sleep returns at once or moves its clock.
    public var sleep: @Sendable (Duration) -> Void

    public init(now: @escaping @Sendable () -> Date = SystemClock.now,
                executor: @escaping @Sendable (HostConfig, LunaConfiguration) throws -> any Executor = AgentEnvironment.defaultExecutor,
                log: (@Sendable (String) -> Void)? = nil,
                prepareFleet: @escaping @Sendable (LunaConfiguration, _ log: @Sendable (String) -> Void) -> Void = AgentEnvironment.openBastion,
                sleep: @escaping @Sendable (Duration) -> Void = AgentEnvironment.realSleep,
                clock: any Clock<Duration> = ContinuousClock(),
                shouldStop: @escaping @Sendable () -> Bool = { StopSignal.isRequested },
                http: @escaping @Sendable (_ maxResponseBytes: Int) -> HTTPClient = { HTTPClient(maxResponseBytes: $0) },
                takeReload: @escaping @Sendable () -> Bool = { ReloadSignal.take() }) {
        self.clock = clock
        self.shouldStop = shouldStop
        self.http = http
        self.now = now
        self.executor = executor
        // A plain closure gets the lines without their levels (tests); by default standard
        // error, with sd-daemon priority prefixes when it is the journal.
        self.log = log.map { AgentLog(lines: $0) } ?? AgentLog.stream()
        self.takeReload = takeReload
        self.prepareFleet = prepareFleet
        self.sleep = sleep
    }

    /// Sleeps the calling thread for real.
    public static let realSleep: @Sendable (Duration) -> Void = SystemClock.sleep

    /// The executor for a host's configured transport.
    public static let defaultExecutor: @Sendable (HostConfig, LunaConfiguration) throws -> any Executor = { host, config in
        switch host.transport {
        case .local: LocalExecutor(host: host.name, outputLimit: config.outputLimitBytes)
        case .ssh: try AgentEnvironment.sshExecutor(host, config)
        }
    }
}
