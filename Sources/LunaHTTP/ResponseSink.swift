import Foundation

/// Collects one transfer's response headers and body from libcurl's callbacks.
///
/// Confined to the thread running `curl_easy_perform`; libcurl calls the
/// callbacks on that thread only, so no locking is needed.
final class ResponseSink {
    /// The header fields of the current (eventually: the final) header block.
    private(set) var headers: [HTTPHeader] = []
    /// The body received so far.
    private(set) var body = Data()
    /// The most body bytes accepted.
    let limit: Int
    /// Set when the body would have exceeded ``limit`` and the transfer was aborted.
    private(set) var exceeded = false

    /// Creates a sink accepting at most `limit` body bytes.
    init(limit: Int) {
        self.limit = limit
    }

    /// Takes one raw header line (status line, field, continuation or blank line).
    ///
    /// A status line (`HTTP/...`) starts a new block: 1xx responses and followed
    /// redirects each deliver a block, and only the last one describes the
    /// response we return.
    func receiveHeaderLine(_ bytes: UnsafeRawBufferPointer) {
        // Strip CR/LF as bytes: in a Swift String "\r\n" is one Character.
        var end = bytes.count
        while end > 0, bytes[end - 1] == 0x0D || bytes[end - 1] == 0x0A { end -= 1 }
        let line = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[0..<end]), as: UTF8.self)
        if line.isEmpty { return }
        if line.hasPrefix("HTTP/") {
            headers.removeAll()
            return
        }
        if let first = line.first, first == " " || first == "\t" {
            // obs-fold continuation of the previous field.
            if !headers.isEmpty {
                let extra = line.trimmingCharacters(in: .whitespaces)
                headers[headers.count - 1].value += headers[headers.count - 1].value.isEmpty ? extra : " " + extra
            }
            return
        }
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = String(line[..<colon]).trimmingCharacters(in: .whitespaces)
        let value = String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
        headers.append(HTTPHeader(name: name, value: value))
    }

    /// Takes a chunk of body bytes.
    ///
    /// - Returns: false (abort the transfer) when the chunk would exceed ``limit``.
    func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if body.count + bytes.count > limit {
            exceeded = true
            return false
        }
        body.append(contentsOf: bytes)
        return true
    }
}
