/// Why a model call produced no reply.
public struct ModelError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// No key, a bad base URL: nothing was sent.
        case configuration
        /// The HTTP exchange failed (connect, timeout, TLS) after any retries.
        case transport
        /// The server answered with an error status after any retries.
        case status
        /// The account's spend limit or quota is reached; never retried.
        case spendLimit
        /// The response was not the expected shape.
        case decode
    }

    public var kind: Kind
    public var message: String
    /// The HTTP status, when there was a response.
    public var status: Int?
    /// How many HTTP attempts were made.
    public var attempts: Int

    public init(_ kind: Kind, _ message: String, status: Int? = nil, attempts: Int = 0) {
        self.kind = kind
        self.message = message
        self.status = status
        self.attempts = attempts
    }

    public var description: String {
        var text = "model call failed (\(kind.rawValue)"
        if let status { text += ", HTTP \(status)" }
        if attempts > 1 { text += ", \(attempts) attempts" }
        text += "): \(message)"
        switch kind {
        case .configuration: text += "; check the [llm] section and the key file"
        case .spendLimit: text += "; raise the account's limit or wait, Luna will not retry"
        case .transport: text += "; check api_base and that the server is up"
        default: break
        }
        return text
    }
}
