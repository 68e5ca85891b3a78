import Foundation

/// The real clock's two faces, the only place either is read outside a test:
/// the wall clock (what expiry, schedules and certificates are judged by) and
/// the calling thread's sleep. Everything above takes them injected
/// (`AgentEnvironment.now`/`sleep`, the clients' `sleep:`), with these as defaults.
public enum SystemClock {
    /// The wall clock now.
    @Sendable public static func now() -> Date { Date() }

    /// Sleeps the calling thread for `duration` (nothing for zero or less).
    @Sendable public static func sleep(_ duration: Duration) {
        let seconds = duration.seconds
        if seconds > 0 { Thread.sleep(forTimeInterval: seconds) }
    }
}

extension Duration {
    /// The duration in seconds, as a `TimeInterval`.
    public var seconds: TimeInterval {
        let (s, atto) = components
        return TimeInterval(s) + TimeInterval(atto) / 1e18
    }
}
