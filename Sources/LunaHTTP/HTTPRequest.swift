import Foundation

/// A request for ``HTTPClient/send(_:)``.
///
/// Only `http` and `https` URLs are accepted; anything else is refused before any
/// connection is made. Redirects are not followed unless ``followRedirects`` is set,
/// and even then only to `http`/`https` targets.
public struct HTTPRequest: Sendable {
    /// The method, e.g. `GET`, `POST`, `PATCH`.
    public var method: String
    /// The absolute `http://` or `https://` URL.
    public var url: String
    /// Header fields sent in order; an empty value sends the field with no value.
    public var headers: [HTTPHeader]
    /// The request body, sent with a `Content-Length`; nil sends none.
    public var body: Data?
    /// The longest time allowed to establish the connection (including TLS).
    public var connectTimeout: Duration
    /// The longest time allowed for the whole transfer.
    public var timeout: Duration
    /// Whether to follow 3xx redirects (only to http/https, at most ``maxRedirects``).
    public var followRedirects: Bool
    /// The most redirects followed when ``followRedirects`` is on.
    public var maxRedirects: Int

    /// Creates a request.
    ///
    /// - Parameters:
    ///   - method: The method; defaults to `GET`.
    ///   - url: The absolute `http://` or `https://` URL.
    ///   - headers: Header fields to send.
    ///   - body: The body to send, or nil.
    ///   - connectTimeout: Connection (and TLS handshake) time limit; 10 s by default.
    ///   - timeout: Whole-transfer time limit; 60 s by default.
    ///   - followRedirects: Follow 3xx redirects to http/https; off by default.
    ///   - maxRedirects: The most redirects followed; 5 by default.
    public init(
        method: String = "GET",
        url: String,
        headers: [HTTPHeader] = [],
        body: Data? = nil,
        connectTimeout: Duration = .seconds(10),
        timeout: Duration = .seconds(60),
        followRedirects: Bool = false,
        maxRedirects: Int = 5
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.connectTimeout = connectTimeout
        self.timeout = timeout
        self.followRedirects = followRedirects
        self.maxRedirects = maxRedirects
    }
}
