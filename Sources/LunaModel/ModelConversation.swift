import Foundation
import LunaCodec

/// A provider-neutral conversation: the system prompt, the tools and the turns.
public struct ModelConversation: Sendable, Equatable {
    public var system: String
    public var tools: [ToolSpec]
    public var turns: [ModelTurn]

    public init(system: String, tools: [ToolSpec], turns: [ModelTurn]) {
        self.system = system
        self.tools = tools
        self.turns = turns
    }
}

/// One turn of a conversation.
public enum ModelTurn: Sendable, Equatable {
    /// Text from Luna (prompt and recon data).
    case user(String)
    /// What the model answered, echoed back on the next call.
    case assistant(text: String, calls: [ToolCall])
    /// Luna's answers to the model's tool calls.
    case toolResults([ToolResult])
}

/// A tool call as the model sent it.
public struct ToolCall: Sendable, Equatable {
    public var id: String
    public var name: String
    /// The parsed arguments, or nil when they were not valid JSON.
    public var arguments: JSONValue?
    /// The arguments as sent (OpenAI sends a JSON string, which may be invalid).
    public var rawArguments: String

    public init(id: String, name: String, arguments: JSONValue?, rawArguments: String) {
        self.id = id
        self.name = name
        self.arguments = arguments
        self.rawArguments = rawArguments
    }
}

/// Luna's answer to one tool call.
public struct ToolResult: Sendable, Equatable {
    public var callID: String
    public var content: String
    public var isError: Bool

    public init(callID: String, content: String, isError: Bool) {
        self.callID = callID
        self.content = content
        self.isError = isError
    }
}

/// Tokens one call used, as the provider reported them.
public struct TokenUsage: Sendable, Equatable, Codable {
    public var input: Int
    public var output: Int
    public var cacheRead: Int
    public var cacheWrite: Int

    public init(input: Int = 0, output: Int = 0, cacheRead: Int = 0, cacheWrite: Int = 0) {
        self.input = input
        self.output = output
        self.cacheRead = cacheRead
        self.cacheWrite = cacheWrite
    }

    /// Everything counted against the daily budget.
    public var total: Int { input + output + cacheRead + cacheWrite }
}

/// The model's answer to one call.
public struct ModelReply: Sendable, Equatable {
    public var text: String
    public var calls: [ToolCall]
    /// `tool_use`, `end_turn`, `max_tokens` (Anthropic) or `tool_calls`, `stop`, `length` (OpenAI).
    public var stopReason: String
    public var usage: TokenUsage
    /// How many HTTP attempts it took (1 without retries).
    public var attempts: Int

    public init(text: String, calls: [ToolCall], stopReason: String, usage: TokenUsage, attempts: Int = 1) {
        self.text = text
        self.calls = calls
        self.stopReason = stopReason
        self.usage = usage
        self.attempts = attempts
    }
}
