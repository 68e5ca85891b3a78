import Foundation

/// When and how long to wait before repeating a request.
///
/// Used by ``HTTPClient/send(_:retry:sleep:)``. A response whose status is in
/// ``retryStatuses``, or a failure whose kind is in ``retryErrorKinds``, is
/// retried up to ``maxRetries`` times. The wait honours the server's hint
/// (`retry-after-ms`, then `Retry-After` in seconds or as an HTTP date) and
/// otherwise backs off exponentially from ``baseDelay``; every wait is capped at
/// ``maxDelay``.
public struct RetryPolicy: Sendable, Equatable {
    /// How many times a request may be repeated after the first attempt.
    public var maxRetries: Int
    /// The backoff before the first retry; doubled for each further retry.
    public var baseDelay: Duration
    /// The longest single wait, including server-requested waits.
    public var maxDelay: Duration
    /// Response statuses that are retried (by default 408, 425, 429, 500, 502, 503, 504).
    public var retryStatuses: Set<Int>
    /// Failure kinds that are retried (by default `.connect` and `.timeout`).
    ///
    /// A timed-out request may have reached the server; remove `.timeout` for
    /// requests that must not be repeated.
    public var retryErrorKinds: Set<HTTPError.Kind>
    /// Whether computed backoffs are randomised to between half and all of their value.
    ///
    /// Server-requested waits are never randomised.
    public var jitter: Bool

    /// Creates a policy.
    ///
    /// - Parameters:
    ///   - maxRetries: Repeats after the first attempt; 3 by default.
    ///   - baseDelay: First backoff; 500 ms by default.
    ///   - maxDelay: Cap on any single wait; 30 s by default.
    ///   - retryStatuses: Statuses to retry.
    ///   - retryErrorKinds: Failure kinds to retry.
    ///   - jitter: Randomise computed backoffs; on by default.
    public init(
        maxRetries: Int = 3,
        baseDelay: Duration = .milliseconds(500),
        maxDelay: Duration = .seconds(30),
        retryStatuses: Set<Int> = [408, 425, 429, 500, 502, 503, 504],
        retryErrorKinds: Set<HTTPError.Kind> = [.connect, .timeout],
        jitter: Bool = true
    ) {
        self.maxRetries = maxRetries
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.retryStatuses = retryStatuses
        self.retryErrorKinds = retryErrorKinds
        self.jitter = jitter
    }

    /// A policy that never retries.
    public static let none = RetryPolicy(maxRetries: 0)

    /// The wait before the next attempt, or nil when the request must not be repeated.
    ///
    /// - Parameters:
    ///   - attempt: How many attempts have been made so far (1 after the first).
    ///   - response: The response of the last attempt, or nil when it failed without one
    ///     (the caller decides whether that failure is retryable).
    ///   - now: The current time, for `Retry-After` HTTP dates.
    /// - Returns: nil when `attempt` exceeds ``maxRetries`` or the response status is
    ///   not retryable; otherwise the wait, at most ``maxDelay``.
    public func delay(forAttempt attempt: Int, response: HTTPResponse?, now: Date = Date()) -> Duration? {
        guard attempt >= 1, attempt <= maxRetries else { return nil }
        if let response {
            guard retryStatuses.contains(response.status) else { return nil }
            if let hint = Self.serverHint(response, now: now) {
                return min(max(hint, .zero), maxDelay)
            }
        }
        var backoff = baseDelay
        for _ in 1..<attempt {
            backoff *= 2
            if backoff >= maxDelay { break }
        }
        backoff = min(backoff, maxDelay)
        if jitter {
            backoff = backoff * Double.random(in: 0.5...1.0)
        }
        return backoff
    }

    /// The wait the server asked for: `retry-after-ms`, else `Retry-After` (seconds or HTTP date).
    static func serverHint(_ response: HTTPResponse, now: Date) -> Duration? {
        if let text = response.header("retry-after-ms"),
           let ms = Double(text.trimmingCharacters(in: .whitespaces)), ms.isFinite {
            return .milliseconds(max(0, ms))
        }
        guard let text = response.header("Retry-After")?.trimmingCharacters(in: .whitespaces),
              !text.isEmpty else { return nil }
        if let seconds = Double(text), seconds.isFinite {
            return .milliseconds(max(0, seconds) * 1000)
        }
        if let date = HTTPDate.parse(text) {
            return .milliseconds(max(0, date.timeIntervalSince(now)) * 1000)
        }
        return nil
    }
}
