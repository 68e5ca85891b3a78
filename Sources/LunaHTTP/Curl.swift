import CLunaCurl

/// The single place where libcurl result codes become ``HTTPError``s.
enum Curl {
    /// Throws unless `code` is `CURLE_OK`.
    ///
    /// - Parameters:
    ///   - code: The libcurl result.
    ///   - what: The call or option that produced it, for the message.
    ///   - url: The request URL, for the error.
    ///   - errorBuffer: libcurl's detailed error text (CURLOPT_ERRORBUFFER), if any.
    /// - Throws: `HTTPError` with the kind mapped from `code`.
    static func check(
        _ code: CURLcode,
        _ what: String,
        url: String,
        errorBuffer: String = ""
    ) throws(HTTPError) {
        guard code != CURLE_OK else { return }
        let summary = String(cString: curl_easy_strerror(code))
        var message = "\(what): \(summary)"
        if !errorBuffer.isEmpty && errorBuffer != summary {
            message += ": \(errorBuffer)"
        }
        throw HTTPError(kind: kind(of: code), message: message, url: url, curlCode: Int(code.rawValue))
    }

    /// The ``HTTPError/Kind`` a libcurl result code belongs to.
    static func kind(of code: CURLcode) -> HTTPError.Kind {
        switch code {
        case CURLE_UNSUPPORTED_PROTOCOL:
            return .unsupportedScheme
        case CURLE_URL_MALFORMAT:
            return .invalidURL
        case CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT:
            return .connect
        case CURLE_OPERATION_TIMEDOUT:
            return .timeout
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM,
             CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_SHUTDOWN_FAILED,
             CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
             CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED,
             CURLE_SSL_ENGINE_INITFAILED, CURLE_USE_SSL_FAILED, CURLE_SSL_CLIENTCERT:
            return .tls
        case CURLE_FILESIZE_EXCEEDED:
            return .tooLarge
        default:
            return .transport
        }
    }
}
