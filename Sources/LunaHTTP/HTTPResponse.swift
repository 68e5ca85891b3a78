import Foundation

/// The final response to an ``HTTPRequest``.
///
/// When interim (1xx) responses or followed redirects produced several header
/// blocks, only the last block — the one belonging to ``status`` — is kept.
public struct HTTPResponse: Sendable, Equatable {
    /// The status code of the final response, e.g. 200.
    public var status: Int
    /// The header fields of the final response, in the order received.
    public var headers: [HTTPHeader]
    /// The (decoded) response body.
    public var body: Data

    /// Creates a response.
    ///
    /// - Parameters:
    ///   - status: The status code.
    ///   - headers: The header fields.
    ///   - body: The body.
    public init(status: Int, headers: [HTTPHeader] = [], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The value of the header field `name`, compared case-insensitively.
    ///
    /// When the field occurs more than once the last occurrence wins; use
    /// ``headerValues(_:)`` to see all of them.
    ///
    /// - Parameter name: The field name in any case.
    /// - Returns: The last value, or nil when the field is absent.
    public func header(_ name: String) -> String? {
        headers.lastValue(named: name)
    }

    /// Every value of the header field `name`, in the order received.
    ///
    /// - Parameter name: The field name in any case.
    /// - Returns: All values; empty when the field is absent.
    public func headerValues(_ name: String) -> [String] {
        headers.values(named: name)
    }

    /// The body decoded as UTF-8 (invalid sequences replaced).
    public var text: String {
        String(decoding: body, as: UTF8.self)
    }

    /// Whether ``status`` is in 200...299.
    public var isSuccess: Bool { (200..<300).contains(status) }
}
