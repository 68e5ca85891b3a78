import CLunaCurl

extension HTTPRequest {
    /// Refuses a request before libcurl runs: bad URL, non-http(s) scheme, bad method or header.
    ///
    /// The URL is parsed with libcurl's own URL parser so that what we check is
    /// exactly what libcurl would connect to.
    ///
    /// - Throws: `HTTPError` of kind `.invalidURL`, `.unsupportedScheme` or `.invalidRequest`.
    func validate() throws(HTTPError) {
        try Self.validateURL(url)
        guard !method.isEmpty, method.utf8.allSatisfy(Self.isTokenByte) else {
            throw HTTPError(kind: .invalidRequest, message: "method \(method.debugDescription) is not an HTTP token", url: url)
        }
        for header in headers {
            guard !header.name.isEmpty, header.name.utf8.allSatisfy(Self.isTokenByte) else {
                throw HTTPError(
                    kind: .invalidRequest,
                    message: "header name \(header.name.debugDescription) is not an HTTP token", url: url
                )
            }
            guard !header.value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) else {
                throw HTTPError(
                    kind: .invalidRequest,
                    message: "header \(header.name) has a value containing CR, LF or NUL", url: url
                )
            }
        }
        guard timeout > .zero, connectTimeout > .zero else {
            throw HTTPError(kind: .invalidRequest, message: "timeouts must be positive", url: url)
        }
    }

    /// Parses `url` with libcurl's URL API and insists on http/https with a host.
    static func validateURL(_ url: String) throws(HTTPError) {
        guard let parsed = curl_url() else {
            throw HTTPError(kind: .transport, message: "curl_url returned NULL (out of memory?)", url: url)
        }
        defer { curl_url_cleanup(parsed) }
        // Accept any scheme syntactically so that e.g. ftp:// reports "unsupported scheme",
        // not "malformed".
        let setCode = curl_url_set(parsed, CURLUPART_URL, url, UInt32(CURLU_NON_SUPPORT_SCHEME))
        guard setCode == CURLUE_OK else {
            throw HTTPError(
                kind: .invalidURL,
                message: "not an absolute URL: \(String(cString: curl_url_strerror(setCode)))", url: url
            )
        }
        guard let scheme = part(CURLUPART_SCHEME, of: parsed)?.lowercased() else {
            throw HTTPError(kind: .invalidURL, message: "the URL has no scheme", url: url)
        }
        guard scheme == "http" || scheme == "https" else {
            throw HTTPError(kind: .unsupportedScheme, message: "scheme \"\(scheme)\" is not allowed", url: url)
        }
        guard let host = part(CURLUPART_HOST, of: parsed), !host.isEmpty else {
            throw HTTPError(kind: .invalidURL, message: "the URL has no host", url: url)
        }
    }

    /// One component of a parsed URL, or nil when absent.
    private static func part(_ which: CURLUPart, of parsed: OpaquePointer) -> String? {
        var value: UnsafeMutablePointer<CChar>? = nil
        guard curl_url_get(parsed, which, &value, 0) == CURLUE_OK, let value else { return nil }
        defer { curl_free(value) }
        return String(cString: value)
    }

    /// RFC 9110 `tchar`.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}
