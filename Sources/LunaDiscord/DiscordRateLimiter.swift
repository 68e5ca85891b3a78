import Foundation
import Synchronization

/// Discord's rate limits as the client has learned them from response headers.
///
/// Each route (method + path with the channel id kept and other ids folded) maps
/// to the bucket Discord names in `X-RateLimit-Bucket`; a bucket with
/// `X-RateLimit-Remaining: 0` is closed until `X-RateLimit-Reset-After` passes.
/// A 429 closes its route (or, when global, every route) for `retry_after`.
/// 401/403 halt the client: nothing more is sent until it is recreated.
final class DiscordRateLimiter: Sendable {
    struct Bucket {
        var remaining: Int
        var resetAt: ContinuousClock.Instant
    }

    struct State {
        var bucketOfRoute: [String: String] = [:]
        var buckets: [String: Bucket] = [:]
        var routeBlockedUntil: [String: ContinuousClock.Instant] = [:]
        var globalBlockedUntil: ContinuousClock.Instant?
        var halted: DiscordError?
    }

    let state = Mutex(State())

    /// The error that halted the client, if any.
    var halted: DiscordError? { state.withLock { $0.halted } }

    func halt(_ error: DiscordError) { state.withLock { $0.halted = error } }

    /// How long to wait before `route` may be used (zero when it may be used now).
    func delay(for route: String, now: ContinuousClock.Instant = .now) -> Duration {
        state.withLock { s in
            var until = now
            if let g = s.globalBlockedUntil, g > until { until = g }
            if let r = s.routeBlockedUntil[route], r > until { until = r }
            if let name = s.bucketOfRoute[route], let b = s.buckets[name], b.remaining <= 0, b.resetAt > until { until = b.resetAt }
            return until - now
        }
    }

    /// Learns from a response's rate-limit headers.
    func learn(route: String, headers: (String) -> String?, now: ContinuousClock.Instant = .now) {
        state.withLock { s in
            guard let name = headers("X-RateLimit-Bucket") else { return }
            s.bucketOfRoute[route] = name
            if let remaining = headers("X-RateLimit-Remaining").flatMap(Int.init),
               let after = headers("X-RateLimit-Reset-After").flatMap(Double.init), after >= 0 {
                s.buckets[name] = Bucket(remaining: remaining, resetAt: now + .milliseconds(Int64(after * 1000)))
            }
        }
    }

    /// Closes `route` (or every route, when `global`) for `seconds`.
    func block(route: String, seconds: Double, global: Bool, now: ContinuousClock.Instant = .now) {
        let until = now + .milliseconds(Int64((max(0, seconds) * 1000).rounded(.up)))
        state.withLock { s in
            if global {
                s.globalBlockedUntil = max(s.globalBlockedUntil ?? until, until)
            } else {
                s.routeBlockedUntil[route] = max(s.routeBlockedUntil[route] ?? until, until)
            }
        }
    }
}
