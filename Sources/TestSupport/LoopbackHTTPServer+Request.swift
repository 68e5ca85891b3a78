import Foundation

/// One header field as a loopback fake received or sends it.
public struct HTTPHeaderPair: Sendable, Equatable, Hashable {
    /// The field name as spelled on the wire.
    public var name: String
    /// The field value, without surrounding whitespace.
    public var value: String

    /// Creates a header field.
    ///
    /// - Parameters:
    ///   - name: The field name.
    ///   - value: The field value.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

extension LoopbackHTTPServer {
    /// A request as the loopback server received it, body fully read.
    public struct Request: Sendable, Equatable {
        /// The method, e.g. `POST`.
        public var method: String
        /// The request target, including any query string, e.g. `/api/v10/channels/1?x=2`.
        public var path: String
        /// The protocol version from the request line, e.g. `HTTP/1.1`.
        public var version: String
        /// The header fields in the order received.
        public var headers: [HTTPHeaderPair]
        /// The body (de-chunked when it was sent chunked).
        public var body: Data

        /// Creates a request (the server builds these; tests rarely need to).
        ///
        /// - Parameters:
        ///   - method: The method.
        ///   - path: The request target.
        ///   - version: The protocol version.
        ///   - headers: The header fields.
        ///   - body: The body.
        public init(method: String, path: String, version: String = "HTTP/1.1", headers: [HTTPHeaderPair], body: Data) {
            self.method = method
            self.path = path
            self.version = version
            self.headers = headers
            self.body = body
        }

        /// The value of header `name` (case-insensitive); the last occurrence wins.
        ///
        /// - Parameter name: The field name in any case.
        /// - Returns: The value, or nil when absent.
        public func header(_ name: String) -> String? {
            let wanted = name.lowercased()
            return headers.last { $0.name.lowercased() == wanted }?.value
        }

        /// Every value of header `name` (case-insensitive), in order.
        ///
        /// - Parameter name: The field name in any case.
        /// - Returns: The values; empty when absent.
        public func headerValues(_ name: String) -> [String] {
            let wanted = name.lowercased()
            return headers.filter { $0.name.lowercased() == wanted }.map(\.value)
        }

        /// ``path`` without the query string, e.g. `/api/v10/channels/1`.
        public var pathWithoutQuery: String {
            path.firstIndex(of: "?").map { String(path[..<$0]) } ?? path
        }

        /// The query parameters, percent- and `+`-decoded; a repeated key keeps the last value.
        public var query: [String: String] {
            guard let mark = path.firstIndex(of: "?") else { return [:] }
            var result: [String: String] = [:]
            for pair in path[path.index(after: mark)...].split(separator: "&") where !pair.isEmpty {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let decode = { (text: Substring) in
                    let spaced = text.replacingOccurrences(of: "+", with: " ")
                    return spaced.removingPercentEncoding ?? spaced
                }
                result[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
            }
            return result
        }

        /// The body decoded as UTF-8 (invalid sequences replaced).
        public var bodyText: String {
            String(decoding: body, as: UTF8.self)
        }

        /// Decodes the body as JSON into `type`.
        ///
        /// - Parameter type: The `Decodable` type to decode.
        /// - Returns: The decoded value.
        /// - Throws: `DecodingError` when the body is not that JSON.
        public func decodeJSON<T: Decodable>(_ type: T.Type) throws -> T {
            try JSONDecoder().decode(type, from: body)
        }
    }
}
