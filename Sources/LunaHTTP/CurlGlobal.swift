import CLunaCurl

/// libcurl's process-wide initialisation, done exactly once.
///
/// `curl_global_init` must run before any other libcurl call and not concurrently
/// with itself; a `static let` is initialised once, thread-safely, on first use.
enum CurlGlobal {
    /// The result of the one `curl_global_init(CURL_GLOBAL_ALL)` call, as a raw `CURLcode`.
    static let initResult: UInt32 = luna_curl_global_init().rawValue

    /// Ensures libcurl is initialised.
    ///
    /// - Parameter url: The URL of the request, for the error.
    /// - Throws: `HTTPError` of kind `.transport` when libcurl could not initialise.
    static func ensure(url: String) throws(HTTPError) {
        let code = CURLcode(rawValue: initResult)
        try Curl.check(code, "curl_global_init", url: url)
    }
}
