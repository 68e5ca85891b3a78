import LunaSystem
import Foundation
import LunaCodec
import LunaHTTP

/// A small Discord REST (API v10) client for a bot that only ever calls out.
///
/// Every request carries `Authorization: Bot <token>`, `User-Agent: DiscordBot
/// (<url>, <version>)` and, with a body, `Content-Type: application/json`.
/// Rate limits are honoured as documented: per-route buckets from the
/// `X-RateLimit-*` headers, a 429's `retry_after` (body) or `Retry-After`
/// (header) waited out before the route is used again, and the global limit.
/// A wait longer than ``maxWait`` is not slept through: the call throws
/// `.rateLimited` and the caller tries later. A 401 or 403 halts the client:
/// every later call throws the same error without sending anything.
///
/// Thread safety: the rate-limit state lives in a `Mutex`; the rest is immutable.
public final class DiscordClient: Sendable {
    /// The API root, e.g. `https://discord.com/api/v10` (no trailing slash).
    public let apiBase: String
    /// The `User-Agent` sent with every request.
    public let userAgent: String
    /// The longest rate-limit wait the client sleeps through before throwing `.rateLimited`.
    public let maxWait: Duration
    let token: String
    let http: HTTPClient
    let limiter = DiscordRateLimiter()
    let sleep: @Sendable (Duration) -> Void

    /// Creates a client.
    ///
    /// - Parameters:
    ///   - apiBase: The API root; a trailing `/` is dropped.
    ///   - token: The bot token (never logged).
    ///   - projectURL: The URL in the `User-Agent`.
    ///   - version: The version in the `User-Agent`.
    ///   - http: The HTTP client (its response cap and TLS policy apply).
    ///   - maxWait: The longest rate-limit wait slept through; 10 s by default.
    ///   - sleep: Waits for a duration (injectable).
    public init(apiBase: String, token: String, projectURL: String = "https://github.com/luna-ops/luna",
                version: String = "0.1", http: HTTPClient = HTTPClient(maxResponseBytes: 4 << 20),
                maxWait: Duration = .seconds(10),
                sleep: @escaping @Sendable (Duration) -> Void = SystemClock.sleep) {
        self.apiBase = apiBase.hasSuffix("/") ? String(apiBase.dropLast()) : apiBase
        self.token = token
        self.userAgent = "DiscordBot (\(projectURL), \(version))"
        self.http = http
        self.maxWait = maxWait
        self.sleep = sleep
    }

    /// The error that halted the client (a 401 or 403), or nil while it still calls Discord.
    public var haltedBy: DiscordError? { limiter.halted }

    /// Sends one request, honouring and learning rate limits.
    ///
    /// - Parameters:
    ///   - method: The HTTP method.
    ///   - path: The path below ``apiBase``, with its query.
    ///   - route: The rate-limit route key (method + path with only the channel id kept).
    ///   - json: The JSON body, if any.
    /// - Returns: The 2xx response.
    /// - Throws: ``DiscordError``.
    func call(_ method: String, _ path: String, route: String, json: JSONValue? = nil) throws(DiscordError) -> HTTPResponse {
        if let halted = limiter.halted { throw halted }
        let body = json?.data
        var headers = [HTTPHeader("Authorization", "Bot " + token), HTTPHeader("User-Agent", userAgent)]
        if body != nil { headers.append(HTTPHeader("Content-Type", "application/json")) }
        let request = HTTPRequest(method: method, url: apiBase + path, headers: headers, body: body,
                                  connectTimeout: .seconds(10), timeout: .seconds(30))
        for attempt in 1...3 {
            let wait = limiter.delay(for: route)
            if wait > .zero {
                guard wait <= maxWait else {
                    throw DiscordError(.rateLimited, "rate limited", route: route, retryAfter: Self.seconds(wait))
                }
                sleep(wait)
            }
            let response: HTTPResponse
            do { response = try http.send(request) } catch {
                throw DiscordError(.unavailable, error.description, route: route)
            }
            limiter.learn(route: route, headers: { response.header($0) })
            switch response.status {
            case 200..<300:
                return response
            case 429:
                let object = try? JSONValue.parse(response.body)
                let seconds = object?["retry_after"]?.doubleValue ?? response.header("Retry-After").flatMap(Double.init) ?? 1
                let global = object?["global"]?.boolValue == true || response.header("X-RateLimit-Global") == "true"
                    || response.header("X-RateLimit-Scope") == "global"
                limiter.block(route: route, seconds: seconds, global: global)
                if attempt == 3 || .milliseconds(Int64(seconds * 1000)) > maxWait {
                    throw DiscordError(.rateLimited, global ? "global rate limit" : "route rate limit", route: route,
                                       status: 429, retryAfter: seconds)
                }
            case 401, 403:
                let error = DiscordError(.unauthorized, Self.message(response), route: route, status: response.status)
                limiter.halt(error)
                throw error
            case 500...:
                throw DiscordError(.unavailable, Self.message(response), route: route, status: response.status)
            default:
                throw DiscordError(.rejected, Self.message(response), route: route, status: response.status)
            }
        }
        throw DiscordError(.rateLimited, "rate limited", route: route, status: 429)
    }

    /// Discord's error `message` (and `code`), or the start of the body.
    static func message(_ response: HTTPResponse) -> String {
        if let o = try? JSONValue.parse(response.body), let m = o["message"]?.stringValue {
            return m + (o["code"]?.intValue.map { " (code \($0))" } ?? "")
        }
        return String(response.text.prefix(200))
    }

    static func seconds(_ d: Duration) -> Double {
        let (s, a) = d.components
        return Double(s) + Double(a) / 1e18
    }

    /// Decodes a JSON body.
    static func json(_ response: HTTPResponse, route: String) throws(DiscordError) -> JSONValue {
        do { return try JSONValue.parse(response.body) } catch {
            throw DiscordError(.invalidResponse, "the body is not JSON", route: route, status: response.status)
        }
    }
}
