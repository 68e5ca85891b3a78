import Foundation
import LunaHTTP

/// Retries as the vendors' SDKs do.
///
/// 408, 409, 429, 5xx (including Anthropic's 529 "overloaded") and connect or
/// timeout failures are retried at most ``maxRetries`` times. The server's
/// `retry-after-ms` or `retry-after` (seconds) is honoured when it is between 0
/// and ``maxServerDelay``; otherwise the wait backs off exponentially from
/// ``baseDelay`` to ``maxDelay`` with jitter. An error that says a spend limit
/// or quota was reached is never retried.
public struct ModelRetryPolicy: Sendable, Equatable {
    public var maxRetries: Int
    public var baseDelay: Duration
    public var maxDelay: Duration
    public var maxServerDelay: Duration
    public var jitter: Bool

    public init(maxRetries: Int = 2, baseDelay: Duration = .milliseconds(500), maxDelay: Duration = .seconds(8),
                maxServerDelay: Duration = .seconds(60), jitter: Bool = true) {
        self.maxRetries = maxRetries
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxServerDelay = maxServerDelay
        self.jitter = jitter
    }

    /// Whether a status is worth repeating.
    public static func isRetryable(status: Int) -> Bool {
        status == 408 || status == 409 || status == 429 || (500...599).contains(status)
    }

    /// Whether an error body says the account's money or quota ran out.
    public static func isSpendLimit(_ body: String) -> Bool {
        let t = body.lowercased()
        return ["insufficient_quota", "spend limit", "spending limit", "credit balance", "billing", "quota exceeded", "exceeded your current quota"]
            .contains { t.contains($0) }
    }

    /// The wait before retry number `attempt` (1 for the first retry), or nil when no retry is left.
    ///
    /// - Parameters:
    ///   - attempt: The attempt that just failed (1 after the first).
    ///   - response: Its response, if any (for the server's hint).
    public func delay(afterAttempt attempt: Int, response: HTTPResponse?) -> Duration? {
        guard attempt >= 1, attempt <= maxRetries else { return nil }
        if let response, let hint = Self.hint(response), hint >= .zero, hint <= maxServerDelay {
            return hint
        }
        var backoff = baseDelay
        for _ in 1..<attempt { backoff *= 2 }
        backoff = min(backoff, maxDelay)
        if jitter { backoff = backoff * Double.random(in: 0.75...1.0) }
        return backoff
    }

    static func hint(_ response: HTTPResponse) -> Duration? {
        if let text = response.header("retry-after-ms"), let ms = Double(text.trimmingCharacters(in: .whitespaces)), ms.isFinite {
            return .milliseconds(ms)
        }
        if let text = response.header("retry-after"), let s = Double(text.trimmingCharacters(in: .whitespaces)), s.isFinite {
            return .milliseconds(s * 1000)
        }
        return nil
    }
}
