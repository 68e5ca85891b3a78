/// An error from the Agent room with a message a person can act on.
public struct AgentError: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable {
        case notFound, conflict, expired, invalid, io, locked
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
