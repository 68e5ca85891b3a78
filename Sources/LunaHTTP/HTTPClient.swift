import CLunaCurl
import Foundation

/// A synchronous HTTP/1.1 and HTTP/2 client over libcurl.
///
/// Every ``send(_:)`` uses its own libcurl easy handle, so one client may be used
/// from many threads at once. The client is locked down for an agent that talks
/// to a few known APIs:
/// - only `http` and `https`, for the request and for any redirect target;
/// - redirects are not followed unless the request asks for it;
/// - TLS peer and host verification are always on (there is no switch to turn them off);
/// - connect and total timeouts always apply;
/// - the response body is capped at `maxResponseBytes`;
/// - proxies come only from `proxy`, never from `http_proxy`-style environment variables;
/// - no signals are used (`CURLOPT_NOSIGNAL`), so it is safe in threaded programs.
public final class HTTPClient: Sendable {
    /// The `User-Agent` sent unless a request sets its own.
    public let userAgent: String
    /// The most response body bytes accepted before the transfer is aborted.
    public let maxResponseBytes: Int
    /// A PEM CA bundle used instead of the system one, e.g. for a private CA.
    public let caInfo: String?
    /// The proxy URL to use, or nil for direct connections.
    public let proxy: String?

    /// Creates a client.
    ///
    /// - Parameters:
    ///   - userAgent: The `User-Agent` header value; `luna/0.1` by default.
    ///   - maxResponseBytes: Response body cap; 32 MiB by default.
    ///   - caInfo: Path of a PEM CA bundle to trust instead of the system bundle.
    ///   - proxy: Proxy URL (e.g. `http://proxy:3128`); nil connects directly and
    ///     ignores proxy environment variables.
    public init(
        userAgent: String = "luna/0.1",
        maxResponseBytes: Int = 32 << 20,
        caInfo: String? = nil,
        proxy: String? = nil
    ) {
        self.userAgent = userAgent
        self.maxResponseBytes = max(0, maxResponseBytes)
        self.caInfo = caInfo
        self.proxy = proxy
    }

    /// Sends one request and waits for the whole response.
    ///
    /// An HTTP error status (4xx/5xx) is a normal ``HTTPResponse``; only failures
    /// to get a response at all throw.
    ///
    /// - Parameter request: The request to send.
    /// - Returns: The final response (after any followed redirects).
    /// - Throws: ``HTTPError`` when the request is refused before sending
    ///   (`.invalidURL`, `.unsupportedScheme`, `.invalidRequest`) or the transfer
    ///   fails (`.connect`, `.timeout`, `.tls`, `.transport`, `.tooLarge`).
    public func send(_ request: HTTPRequest) throws(HTTPError) -> HTTPResponse {
        try request.validate()
        try CurlGlobal.ensure(url: request.url)

        let transfer = try CurlTransfer(url: request.url)
        try configure(transfer, for: request)
        let sink = ResponseSink(limit: maxResponseBytes)
        let status = try transfer.perform(into: sink)
        return HTTPResponse(status: status, headers: sink.headers, body: sink.body)
    }

    /// Applies the client's fixed policy and the request's specifics to `transfer`.
    private func configure(_ transfer: CurlTransfer, for request: HTTPRequest) throws(HTTPError) {
        try transfer.set(CURLOPT_URL, request.url, "URL")
        try transfer.set(CURLOPT_NOSIGNAL, 1, "NOSIGNAL")
        try transfer.set(CURLOPT_PROTOCOLS_STR, "http,https", "PROTOCOLS_STR")
        try transfer.set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https", "REDIR_PROTOCOLS_STR")
        try transfer.set(CURLOPT_FOLLOWLOCATION, request.followRedirects ? 1 : 0, "FOLLOWLOCATION")
        try transfer.set(CURLOPT_MAXREDIRS, max(0, request.maxRedirects), "MAXREDIRS")
        try transfer.set(CURLOPT_SSL_VERIFYPEER, 1, "SSL_VERIFYPEER")
        try transfer.set(CURLOPT_SSL_VERIFYHOST, 2, "SSL_VERIFYHOST")
        if let caInfo {
            try transfer.set(CURLOPT_CAINFO, caInfo, "CAINFO")
        }
        // An empty string disables proxies, including the environment's.
        try transfer.set(CURLOPT_PROXY, proxy ?? "", "PROXY")
        try transfer.set(CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(request.connectTimeout), "CONNECTTIMEOUT_MS")
        try transfer.set(CURLOPT_TIMEOUT_MS, Self.milliseconds(request.timeout), "TIMEOUT_MS")
        try transfer.set(CURLOPT_MAXFILESIZE_LARGE, Int64(maxResponseBytes), "MAXFILESIZE_LARGE")
        // Offer every encoding libcurl can decode; the body we return is decoded.
        try transfer.set(CURLOPT_ACCEPT_ENCODING, "", "ACCEPT_ENCODING")
        try transfer.set(CURLOPT_USERAGENT, userAgent, "USERAGENT")

        let method = request.method
        var lines: [String] = []
        let has = { (name: String) in request.headers.contains { $0.name.caseInsensitiveEquals(name) } }
        if method == "HEAD" {
            try transfer.set(CURLOPT_NOBODY, 1, "NOBODY")
        } else if let body = request.body {
            try transfer.setBody(body)
            if method != "POST" {
                try transfer.set(CURLOPT_CUSTOMREQUEST, method, "CUSTOMREQUEST")
            }
            // Without these libcurl would add a form Content-Type and, for big
            // bodies, wait for "100 Continue".
            if !has("Content-Type") { lines.append("Content-Type:") }
            if !has("Expect") { lines.append("Expect:") }
        } else if method == "POST" || method == "PUT" || method == "PATCH" {
            // A body-carrying method without a body still sends Content-Length: 0.
            try transfer.setBody(Data())
            if method != "POST" {
                try transfer.set(CURLOPT_CUSTOMREQUEST, method, "CUSTOMREQUEST")
            }
            if !has("Content-Type") { lines.append("Content-Type:") }
        } else if method == "GET" {
            try transfer.set(CURLOPT_HTTPGET, 1, "HTTPGET")
        } else {
            try transfer.set(CURLOPT_CUSTOMREQUEST, method, "CUSTOMREQUEST")
        }
        for header in request.headers {
            // "Name:" would remove the header in libcurl; "Name;" sends it empty.
            lines.append(header.value.isEmpty ? "\(header.name);" : "\(header.name): \(header.value)")
        }
        try transfer.setHeaderLines(lines)
    }

    /// `duration` in whole milliseconds, at least 1 (libcurl reads 0 as "no limit").
    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        guard seconds < Int64(Int.max / 1000 - 1) else { return Int.max }
        return max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}

extension HTTPClient {
    /// The linked libcurl's version and TLS backend, e.g. `libcurl/7.88.1 OpenSSL/3.0.15 …`.
    public static var libraryVersion: String { String(cString: curl_version()) }
}
