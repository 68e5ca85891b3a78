import Foundation
import LunaCodec
import LunaHTTP

/// Anthropic Messages: content blocks, `tool_use`/`tool_result`, prompt caching.
public struct AnthropicProvider: ModelProvider {
    public init() {}

    public var name: String { "anthropic" }
    public var defaultAPIBase: String { "https://api.anthropic.com" }
    public var path: String { "/v1/messages" }

    /// `x-api-key` and the API version; the Anthropic API always needs a key.
    public func authHeaders(apiKey: String?) throws(ModelError) -> [HTTPHeader] {
        guard let key = apiKey, !key.isEmpty else { throw ModelError(.configuration, "the Anthropic format needs an API key") }
        return [HTTPHeader("x-api-key", key), HTTPHeader("anthropic-version", "2023-06-01")]
    }

    static let ephemeral: JSONValue = .object(["type": .string("ephemeral")])

    public func body(_ c: ModelConversation, model: String, maxTokens: Int) -> JSONValue {
        var tools: [JSONValue] = []
        for (i, t) in c.tools.enumerated() {
            var tool: [String: JSONValue] = ["name": .string(t.name), "description": .string(t.description),
                                             "input_schema": t.inputSchema]
            // One cache breakpoint after the last tool caches every tool definition.
            if i == c.tools.count - 1 { tool["cache_control"] = Self.ephemeral }
            tools.append(.object(tool))
        }
        var messages: [JSONValue] = []
        for turn in c.turns {
            switch turn {
            case .user(let text):
                messages.append(.object(["role": .string("user"), "content": .array([.object(["type": .string("text"), "text": .string(text)])])]))
            case .assistant(let text, let calls):
                var blocks: [JSONValue] = []
                if !text.isEmpty { blocks.append(.object(["type": .string("text"), "text": .string(text)])) }
                for call in calls {
                    blocks.append(.object(["type": .string("tool_use"), "id": .string(call.id), "name": .string(call.name),
                                           "input": call.arguments ?? .object([:])]))
                }
                messages.append(.object(["role": .string("assistant"), "content": .array(blocks)]))
            case .toolResults(let results):
                messages.append(.object(["role": .string("user"), "content": .array(results.map {
                    .object(["type": .string("tool_result"), "tool_use_id": .string($0.callID),
                             "content": .string($0.content), "is_error": .bool($0.isError)])
                })]))
            }
        }
        return .object([
            "model": .string(model),
            "max_tokens": .int(maxTokens),
            "system": .array([.object(["type": .string("text"), "text": .string(c.system), "cache_control": Self.ephemeral])]),
            "tools": .array(tools),
            "messages": .array(messages),
        ])
    }

    public func reply(_ v: JSONValue) throws(ModelError) -> ModelReply {
        guard let content = v["content"]?.arrayValue else { throw ModelError(.decode, "the response has no content array") }
        var text: [String] = []
        var calls: [ToolCall] = []
        for block in content {
            switch block["type"]?.stringValue {
            case "text": text.append(block["text"]?.stringValue ?? "")
            case "tool_use":
                let input = block["input"]
                calls.append(ToolCall(id: block["id"]?.stringValue ?? "call-\(calls.count)", name: block["name"]?.stringValue ?? "",
                                      arguments: input, rawArguments: input?.text ?? ""))
            default: continue
            }
        }
        let u = v["usage"]
        let usage = TokenUsage(input: u?["input_tokens"]?.intValue ?? 0, output: u?["output_tokens"]?.intValue ?? 0,
                               cacheRead: u?["cache_read_input_tokens"]?.intValue ?? 0,
                               cacheWrite: u?["cache_creation_input_tokens"]?.intValue ?? 0)
        return ModelReply(text: text.joined(separator: "\n"), calls: calls, stopReason: v["stop_reason"]?.stringValue ?? "", usage: usage)
    }
}
