import Foundation

extension LoopbackHTTPServer {
    /// What the loopback server answers, built by the test's handler.
    public struct Response: Sendable, Equatable {
        /// An interim (1xx) response sent before the final one, e.g. `103 Early Hints`.
        public struct Interim: Sendable, Equatable {
            /// The 1xx status.
            public var status: Int
            /// Its header fields.
            public var headers: [HTTPHeaderPair]

            /// Creates an interim response.
            ///
            /// - Parameters:
            ///   - status: A status in 100...199 (but not 101).
            ///   - headers: Its header fields.
            public init(status: Int, headers: [(String, String)] = []) {
                self.status = status
                self.headers = headers.map { HTTPHeaderPair($0.0, $0.1) }
            }
        }

        /// The status code.
        public var status: Int
        /// Header fields; `Content-Length` and `Connection` are added unless present.
        public var headers: [HTTPHeaderPair]
        /// The body.
        public var body: Data
        /// How long to wait before answering (for timeout tests); cut short by `stop()`.
        public var delay: Duration?
        /// Send the body with `Transfer-Encoding: chunked` instead of `Content-Length`.
        public var chunked: Bool
        /// Interim responses sent before this one.
        public var interim: [Interim]

        /// Creates a response.
        ///
        /// - Parameters:
        ///   - status: The status code; 200 by default.
        ///   - headers: Header fields as (name, value) pairs.
        ///   - body: The body.
        ///   - delay: Wait this long before answering.
        ///   - chunked: Send the body chunked.
        ///   - interim: 1xx responses to send first.
        public init(
            status: Int = 200,
            headers: [(String, String)] = [],
            body: Data = Data(),
            delay: Duration? = nil,
            chunked: Bool = false,
            interim: [Interim] = []
        ) {
            self.status = status
            self.headers = headers.map { HTTPHeaderPair($0.0, $0.1) }
            self.body = body
            self.delay = delay
            self.chunked = chunked
            self.interim = interim
        }

        /// A JSON response (`Content-Type: application/json`).
        ///
        /// - Parameters:
        ///   - status: The status code; 200 by default.
        ///   - text: The JSON text.
        ///   - headers: Further header fields.
        /// - Returns: The response.
        public static func json(_ status: Int = 200, _ text: String, headers: [(String, String)] = []) -> Response {
            Response(status: status, headers: [("Content-Type", "application/json")] + headers, body: Data(text.utf8))
        }

        /// A plain-text response (`Content-Type: text/plain; charset=utf-8`).
        ///
        /// - Parameters:
        ///   - status: The status code; 200 by default.
        ///   - text: The body text.
        ///   - headers: Further header fields.
        /// - Returns: The response.
        public static func text(_ status: Int = 200, _ text: String, headers: [(String, String)] = []) -> Response {
            Response(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")] + headers, body: Data(text.utf8))
        }

        /// A redirect to `location`.
        ///
        /// - Parameters:
        ///   - location: The `Location` header value (any URL; the client decides whether to follow).
        ///   - status: The 3xx status; 302 by default.
        /// - Returns: The response.
        public static func redirect(to location: String, status: Int = 302) -> Response {
            Response(status: status, headers: [("Location", location)])
        }

        /// This response, answered only after `delay`.
        ///
        /// - Parameter delay: How long to wait before answering.
        /// - Returns: The delayed response.
        public func delayed(by delay: Duration) -> Response {
            var copy = self
            copy.delay = delay
            return copy
        }
    }
}
