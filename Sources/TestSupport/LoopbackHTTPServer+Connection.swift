import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One accepted TCP connection with a read buffer; used by one server thread only.
final class Connection {
    let fd: Int32
    private var buffer: [UInt8] = []
    static let maxHeadBytes = 64 << 10
    static let maxBodyBytes = 256 << 20

    init(fd: Int32) {
        self.fd = fd
    }

    /// Reads whatever is available into the buffer; false on end of stream or error.
    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                buffer.append(contentsOf: chunk[0..<count])
                return true
            }
            if count < 0 && errno == EINTR { continue }
            return false
        }
    }

    /// The bytes up to the next CRLF (excluded), or nil at end of stream / over `limit`.
    func readLine(limit: Int = maxHeadBytes) -> [UInt8]? {
        var scanned = 0
        while true {
            if let index = Self.find([13, 10], in: buffer, from: scanned) {
                let line = Array(buffer[0..<index])
                buffer.removeFirst(index + 2)
                return line
            }
            scanned = max(0, buffer.count - 1)
            if buffer.count > limit || !fill() { return nil }
        }
    }

    /// The request head up to the blank line (excluded), skipping leading empty lines.
    func readHead() -> [UInt8]? {
        var scanned = 0
        while true {
            while buffer.starts(with: [13, 10]) { buffer.removeFirst(2) }
            if let first = buffer.first, !(UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(first) {
                // Not a request line (e.g. a TLS ClientHello): hand it over so it is answered 400 at once.
                defer { buffer.removeAll() }
                return buffer
            }
            if let index = Self.find([13, 10, 13, 10], in: buffer, from: scanned) {
                let head = Array(buffer[0..<index])
                buffer.removeFirst(index + 4)
                return head
            }
            scanned = max(0, buffer.count - 3)
            if buffer.count > Self.maxHeadBytes || !fill() { return nil }
        }
    }

    /// Exactly `count` bytes, or nil at end of stream.
    func read(count: Int) -> [UInt8]? {
        while buffer.count < count {
            if !fill() { return nil }
        }
        let bytes = Array(buffer[0..<count])
        buffer.removeFirst(count)
        return bytes
    }

    /// Writes all of `data`; false when the peer has gone.
    @discardableResult
    func write(_ data: Data) -> Bool {
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                // MSG_NOSIGNAL: a client that gave up (timeout tests) must not SIGPIPE the test process.
                let sent = send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if sent < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += sent
            }
            return true
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var index = start
        while index + needle.count <= haystack.count {
            if haystack[index] == needle[0] && Array(haystack[index..<(index + needle.count)]) == needle {
                return index
            }
            index += 1
        }
        return nil
    }
}

extension LoopbackHTTPServer {
    /// Serves requests on `connection` until the client closes, asks to close, or the server stops.
    func serve(_ connection: Connection) {
        while !isStopped {
            guard let head = connection.readHead() else { return }
            guard let parsed = Self.parseHead(head) else {
                connection.write(Self.encode(.text(400, "malformed request head\n"), keepAlive: false, head: false))
                return
            }
            var request = parsed
            if request.header("Expect")?.lowercased() == "100-continue" {
                connection.write(Data("HTTP/1.1 100 Continue\r\n\r\n".utf8))
            }
            guard let body = Self.readBody(of: request, from: connection) else {
                connection.write(Self.encode(.text(400, "malformed or truncated body\n"), keepAlive: false, head: false))
                return
            }
            request.body = body

            var response = respond(to: request)
            if let delay = response.delay {
                pause(for: delay)
                if isStopped { return }
            }
            let clientClose = request.header("Connection")?.lowercased() == "close" || request.version == "HTTP/1.0"
            let handlerClose = response.headers.contains {
                $0.name.lowercased() == "connection" && $0.value.lowercased() == "close"
            }
            let keepAlive = !clientClose && !handlerClose
            response.delay = nil
            guard connection.write(Self.encode(response, keepAlive: keepAlive, head: request.method == "HEAD")),
                  keepAlive else { return }
        }
    }

    /// Parses a request line and header fields; nil when malformed.
    static func parseHead(_ head: [UInt8]) -> Request? {
        let text = String(decoding: head, as: UTF8.self)
        var lines = text.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ", omittingEmptySubsequences: false)
        guard requestLine.count == 3, !requestLine[0].isEmpty, !requestLine[1].isEmpty,
              requestLine[2].hasPrefix("HTTP/1.") else { return nil }
        var headers: [HTTPHeaderPair] = []
        for line in lines {
            if let first = line.first, first == " " || first == "\t" {
                guard !headers.isEmpty else { return nil }
                headers[headers.count - 1].value += " " + line.trimmingCharacters(in: .whitespaces)
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let name = String(line[..<colon])
            guard !name.isEmpty, !name.contains(" ") else { return nil }
            headers.append(HTTPHeaderPair(name, line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        return Request(
            method: String(requestLine[0]), path: String(requestLine[1]),
            version: String(requestLine[2]), headers: headers, body: Data()
        )
    }

    /// Reads the body announced by `request`'s headers (Content-Length or chunked).
    static func readBody(of request: Request, from connection: Connection) -> Data? {
        if request.header("Transfer-Encoding")?.lowercased().contains("chunked") == true {
            var body = Data()
            while true {
                guard let sizeLine = connection.readLine() else { return nil }
                let sizeText = String(decoding: sizeLine, as: UTF8.self).split(separator: ";").first ?? ""
                guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16),
                      size >= 0, body.count + size <= Connection.maxBodyBytes else { return nil }
                if size == 0 {
                    // Trailer fields up to the blank line.
                    while let trailer = connection.readLine(), !trailer.isEmpty {}
                    return body
                }
                guard let chunk = connection.read(count: size), connection.readLine() == [] else { return nil }
                body.append(contentsOf: chunk)
            }
        }
        guard let lengthText = request.header("Content-Length") else { return Data() }
        guard let length = Int(lengthText), length >= 0, length <= Connection.maxBodyBytes,
              let bytes = connection.read(count: length) else { return nil }
        return Data(bytes)
    }

    /// Serialises `response` (with its interim responses) for the wire.
    static func encode(_ response: Response, keepAlive: Bool, head: Bool) -> Data {
        var out = Data()
        for interim in response.interim {
            var text = "HTTP/1.1 \(interim.status) \(reason(interim.status))\r\n"
            for header in interim.headers { text += "\(header.name): \(header.value)\r\n" }
            out.append(contentsOf: Array((text + "\r\n").utf8))
        }
        let has = { (name: String) in response.headers.contains { $0.name.lowercased() == name } }
        let bodyless = (100..<200).contains(response.status) || response.status == 204 || response.status == 304
        var text = "HTTP/1.1 \(response.status) \(reason(response.status))\r\n"
        for header in response.headers { text += "\(header.name): \(header.value)\r\n" }
        if !bodyless {
            if response.chunked {
                if !has("transfer-encoding") { text += "Transfer-Encoding: chunked\r\n" }
            } else if !has("content-length") {
                text += "Content-Length: \(response.body.count)\r\n"
            }
        }
        if !has("connection") { text += keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n" }
        out.append(contentsOf: Array((text + "\r\n").utf8))
        guard !bodyless, !head else { return out }
        if response.chunked {
            var offset = 0
            while offset < response.body.count {
                let end = min(offset + (16 << 10), response.body.count)
                out.append(contentsOf: Array(String(end - offset, radix: 16).utf8) + [13, 10])
                out.append(response.body[(response.body.startIndex + offset)..<(response.body.startIndex + end)])
                out.append(contentsOf: [13, 10])
                offset = end
            }
            out.append(contentsOf: Array("0\r\n\r\n".utf8))
        } else {
            out.append(response.body)
        }
        return out
    }

    /// The standard reason phrase for `status` (clients ignore it; people read it).
    static func reason(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 103: "Early Hints"
        case 200: "OK"
        case 201: "Created"
        case 204: "No Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 303: "See Other"
        case 304: "Not Modified"
        case 307: "Temporary Redirect"
        case 308: "Permanent Redirect"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 408: "Request Timeout"
        case 413: "Content Too Large"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: "Status \(status)"
        }
    }
}
