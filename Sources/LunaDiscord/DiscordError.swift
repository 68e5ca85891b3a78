/// Why a Discord call produced no usable answer.
///
/// Every failure names the route and, when Discord answered, the status, so the
/// operator can tell a wrong token from an outage from a rate limit.
public struct DiscordError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The family of failure, for deciding what to do next.
    public enum Kind: String, Sendable, Hashable {
        /// 401 or 403: the token or the bot's permissions are wrong. The client stops
        /// calling Discord (these count toward Discord's invalid-request limit).
        case unauthorized
        /// A rate limit longer than the client is willing to wait; try again later.
        case rateLimited
        /// Discord is unreachable or answered 5xx; back off and retry later.
        case unavailable
        /// Discord refused the request (another 4xx), e.g. an invalid form body.
        case rejected
        /// The answer was not the documented JSON shape.
        case invalidResponse
    }

    /// The family of failure.
    public var kind: Kind
    /// What went wrong.
    public var message: String
    /// The route, e.g. `POST /channels/123/messages`.
    public var route: String
    /// The HTTP status, when Discord answered.
    public var status: Int?
    /// Seconds to wait before this route may be used again (rate limits).
    public var retryAfter: Double?

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - kind: The family of failure.
    ///   - message: What went wrong.
    ///   - route: The route called.
    ///   - status: The HTTP status, if any.
    ///   - retryAfter: Seconds to wait, for rate limits.
    public init(_ kind: Kind, _ message: String, route: String, status: Int? = nil, retryAfter: Double? = nil) {
        self.kind = kind
        self.message = message
        self.route = route
        self.status = status
        self.retryAfter = retryAfter
    }

    /// One line naming the route, the status and what to do.
    public var description: String {
        var text = "Discord \(kind.rawValue) on \(route)"
        if let status { text += " (HTTP \(status))" }
        text += ": \(message)"
        switch kind {
        case .unauthorized: text += "; check the bot token (token_file or the discord-token credential) and the bot's channel permissions, then restart luna"
        case .rateLimited: text += retryAfter.map { "; retry after \($0) s" } ?? ""
        case .unavailable: text += "; luna backs off and retries, nothing is approved meanwhile"
        case .rejected, .invalidResponse: break
        }
        return text
    }
}
