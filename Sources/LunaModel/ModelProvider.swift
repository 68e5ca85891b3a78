import Foundation
import LunaCodec
import LunaHTTP

/// A model API dialect: how a conversation becomes a request and a response a reply.
///
/// A provider is pure: it builds JSON and headers and reads JSON; ``ModelClient``
/// does the HTTP, the retries and the error bodies for every provider alike. To add
/// one, write a conforming type in its own file and add it to ``ModelProviders/all``
/// (docs/architecture.md, "How to add an LLM provider").
public protocol ModelProvider: Sendable {
    /// The `provider` value in `[llm]` (lowercase, unique in ``ModelProviders/all``).
    var name: String { get }
    /// The `api_base` used when `[llm]` names none (no trailing `/v1`).
    var defaultAPIBase: String { get }
    /// The request path under the API base.
    var path: String { get }

    /// The headers that authenticate a request (besides `Content-Type` and `Accept`, which the client sets).
    ///
    /// - Parameter apiKey: The key from `key_file` or the `llm-key` credential; nil when there is none.
    /// - Throws: `ModelError` (`.configuration`) when this provider needs a key and has none.
    func authHeaders(apiKey: String?) throws(ModelError) -> [HTTPHeader]

    /// The request body for a conversation.
    ///
    /// - Parameters:
    ///   - conversation: System prompt, tools and turns.
    ///   - model: The model name.
    ///   - maxTokens: The most output tokens.
    /// - Returns: The JSON body.
    func body(_ conversation: ModelConversation, model: String, maxTokens: Int) -> JSONValue

    /// Reads a successful response body.
    ///
    /// - Throws: `ModelError` (`.decode`) when the value is not the expected shape.
    func reply(_ value: JSONValue) throws(ModelError) -> ModelReply
}

/// The providers this build knows: the one list `[llm] provider` is checked against.
public enum ModelProviders {
    /// Every provider, in the order their names are listed in errors and help.
    public static let all: [any ModelProvider] = [
        AnthropicProvider(),
        OpenAIProvider(),
    ]

    /// The names of ``all``.
    public static var names: [String] { all.map(\.name) }

    /// The provider named `name`, or nil when this build has none by that name.
    public static func named(_ name: String) -> (any ModelProvider)? {
        all.first { $0.name == name }
    }
}

/// A provider chosen by name: what ``ModelSettings`` holds (comparable, unlike `any ModelProvider`).
public struct WireFormat: Sendable, Equatable, RawRepresentable {
    /// The provider itself.
    public let provider: any ModelProvider

    /// The provider's name.
    public var rawValue: String { provider.name }

    /// The provider named `rawValue` in ``ModelProviders/all``; nil for an unknown name.
    public init?(rawValue: String) {
        guard let provider = ModelProviders.named(rawValue) else { return nil }
        self.provider = provider
    }

    public init(_ provider: any ModelProvider) { self.provider = provider }

    /// Anthropic Messages: `POST /v1/messages`.
    public static let anthropic = WireFormat(AnthropicProvider())
    /// OpenAI-compatible Chat Completions: `POST /v1/chat/completions` (also Ollama, llama.cpp, vLLM).
    public static let openai = WireFormat(OpenAIProvider())

    public static func == (a: WireFormat, b: WireFormat) -> Bool { a.rawValue == b.rawValue }

    /// The request path under the API base.
    public var path: String { provider.path }

    /// The request body for a conversation (see ``ModelProvider/body(_:model:maxTokens:)``).
    public func body(_ conversation: ModelConversation, model: String, maxTokens: Int) -> JSONValue {
        provider.body(conversation, model: model, maxTokens: maxTokens)
    }

    /// Reads a successful response body.
    ///
    /// - Throws: `ModelError` (`.decode`) when the body is not JSON or not the expected shape.
    public func reply(_ data: Data) throws(ModelError) -> ModelReply {
        let value: JSONValue
        do { value = try JSONValue.parse(data) } catch {
            throw ModelError(.decode, "the response is not JSON: \(String(decoding: data.prefix(200), as: UTF8.self))")
        }
        return try provider.reply(value)
    }
}
