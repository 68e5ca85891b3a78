/// Why an HTTP exchange produced no response.
///
/// An HTTP error status (4xx, 5xx) is not an `HTTPError`: it arrives as an
/// ``HTTPResponse``. This error means the request was refused before sending or
/// the transfer itself failed.
public struct HTTPError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The family of failure, for deciding what to do next.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// The URL could not be parsed, or has no host.
        case invalidURL
        /// The URL (or a redirect target) uses a scheme other than http/https.
        case unsupportedScheme
        /// The method or a header is malformed (e.g. contains CR/LF); nothing was sent.
        case invalidRequest
        /// The host could not be resolved or the connection was refused.
        case connect
        /// The connect timeout or the total timeout expired.
        case timeout
        /// TLS failed: handshake, certificate verification, CA file.
        case tls
        /// Any other transfer failure (connection reset, bad response, ...).
        case transport
        /// The response body exceeded the client's `maxResponseBytes`.
        case tooLarge
    }

    /// The family of failure.
    public var kind: Kind
    /// What went wrong, including libcurl's own explanation when there is one.
    public var message: String
    /// The URL of the request.
    public var url: String
    /// The libcurl `CURLcode` when libcurl reported the failure.
    public var curlCode: Int?

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - kind: The family of failure.
    ///   - message: What went wrong.
    ///   - url: The URL of the request.
    ///   - curlCode: The libcurl result code, if any.
    public init(kind: Kind, message: String, url: String, curlCode: Int? = nil) {
        self.kind = kind
        self.message = message
        self.url = url
        self.curlCode = curlCode
    }

    /// A one-line explanation naming the URL and what to check.
    public var description: String {
        var text = "HTTP \(kind.rawValue) error for \(url): \(message)"
        if let curlCode { text += " (curl code \(curlCode))" }
        switch kind {
        case .invalidURL: text += "; check the URL spelling"
        case .unsupportedScheme: text += "; only http:// and https:// are allowed"
        case .invalidRequest: text += "; check the method and header names/values"
        case .connect: text += "; check the host, port and that the service is up"
        case .timeout: text += "; the server was too slow or unreachable"
        case .tls: text += "; check the server certificate and the CA bundle"
        case .transport: break
        case .tooLarge: text += "; raise maxResponseBytes if this size is expected"
        }
        return text
    }
}
