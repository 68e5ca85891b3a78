import CLunaCurl
import Foundation

/// One libcurl easy handle and everything it points at, for exactly one request.
///
/// Created, configured, performed and destroyed by a single call of
/// ``HTTPClient/send(_:)``, so the handle is never shared between threads.
final class CurlTransfer {
    private let handle: UnsafeMutableRawPointer
    private let url: String
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private var headerList: UnsafeMutablePointer<curl_slist>?

    /// Creates an easy handle for a request to `url`.
    ///
    /// - Throws: `HTTPError` (`.transport`) when libcurl cannot allocate a handle.
    init(url: String) throws(HTTPError) {
        guard let handle = curl_easy_init() else {
            throw HTTPError(kind: .transport, message: "curl_easy_init returned NULL (out of memory?)", url: url)
        }
        self.handle = handle
        self.url = url
        let size = Int(luna_curl_error_size())
        errorBuffer = .allocate(capacity: size)
        errorBuffer.initialize(repeating: 0, count: size)
    }

    deinit {
        curl_easy_cleanup(handle)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    // MARK: Options

    func set(_ option: CURLoption, _ value: Int, _ name: String) throws(HTTPError) {
        try Curl.check(luna_curl_setopt_long(handle, option, value), "setting \(name)", url: url)
    }

    func set(_ option: CURLoption, _ value: String, _ name: String) throws(HTTPError) {
        try Curl.check(luna_curl_setopt_string(handle, option, value), "setting \(name)", url: url)
    }

    func set(_ option: CURLoption, _ value: Int64, _ name: String) throws(HTTPError) {
        try Curl.check(luna_curl_setopt_off_t(handle, option, curl_off_t(value)), "setting \(name)", url: url)
    }

    func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer?, _ name: String) throws(HTTPError) {
        try Curl.check(luna_curl_setopt_pointer(handle, option, pointer), "setting \(name)", url: url)
    }

    func set(_ option: CURLoption, callback: curl_write_callback, _ name: String) throws(HTTPError) {
        try Curl.check(luna_curl_setopt_write_callback(handle, option, callback), "setting \(name)", url: url)
    }

    /// Sets CURLOPT_HTTPHEADER to `lines` ("Name: value"); the list lives as long as the transfer.
    func setHeaderLines(_ lines: [String]) throws(HTTPError) {
        var list: UnsafeMutablePointer<curl_slist>? = nil
        for line in lines {
            guard let appended = curl_slist_append(list, line) else {
                curl_slist_free_all(list)
                throw HTTPError(kind: .transport, message: "curl_slist_append failed (out of memory?)", url: url)
            }
            list = appended
        }
        curl_slist_free_all(headerList)
        headerList = list
        try Curl.check(luna_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, list), "setting HTTPHEADER", url: url)
    }

    /// Sets the request body; libcurl copies the bytes (CURLOPT_COPYPOSTFIELDS).
    func setBody(_ body: Data) throws(HTTPError) {
        try set(CURLOPT_POSTFIELDSIZE_LARGE, Int64(body.count), "POSTFIELDSIZE_LARGE")
        // COPYPOSTFIELDS needs a valid pointer even for zero bytes.
        var bytes = [UInt8](body)
        if bytes.isEmpty { bytes = [0] }
        let code = bytes.withUnsafeMutableBytes { raw in
            luna_curl_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, raw.baseAddress)
        }
        try Curl.check(code, "setting COPYPOSTFIELDS", url: url)
    }

    // MARK: Performing

    /// Runs the transfer, feeding headers and body into `sink`.
    ///
    /// - Returns: The final response status code.
    /// - Throws: `HTTPError` mapped from libcurl's result, with its error text.
    func perform(into sink: ResponseSink) throws(HTTPError) -> Int {
        let context = Unmanaged.passUnretained(sink).toOpaque()
        try set(CURLOPT_HEADERDATA, pointer: context, "HEADERDATA")
        try set(CURLOPT_WRITEDATA, pointer: context, "WRITEDATA")
        try set(CURLOPT_HEADERFUNCTION, callback: { buffer, size, count, userdata in
            guard let userdata else { return 0 }
            let sink = Unmanaged<ResponseSink>.fromOpaque(userdata).takeUnretainedValue()
            let total = size * count
            sink.receiveHeaderLine(UnsafeRawBufferPointer(start: buffer, count: total))
            return total
        }, "HEADERFUNCTION")
        try set(CURLOPT_WRITEFUNCTION, callback: { buffer, size, count, userdata in
            guard let userdata else { return 0 }
            let sink = Unmanaged<ResponseSink>.fromOpaque(userdata).takeUnretainedValue()
            let total = size * count
            return sink.receiveBody(UnsafeRawBufferPointer(start: buffer, count: total)) ? total : 0
        }, "WRITEFUNCTION")
        try set(CURLOPT_ERRORBUFFER, pointer: UnsafeMutableRawPointer(errorBuffer), "ERRORBUFFER")

        let code = withExtendedLifetime(sink) { curl_easy_perform(handle) }
        if code != CURLE_OK && sink.exceeded {
            throw HTTPError(
                kind: .tooLarge,
                message: "response body is larger than the limit of \(sink.limit) bytes; transfer aborted",
                url: url, curlCode: Int(code.rawValue)
            )
        }
        try Curl.check(code, "transfer", url: url, errorBuffer: String(cString: errorBuffer))

        var status = 0
        try Curl.check(luna_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status), "reading RESPONSE_CODE", url: url)
        return status
    }
}
