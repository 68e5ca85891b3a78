import Foundation
import LunaCodec

/// Which API dialect a model server speaks.
public enum WireFormat: String, Sendable, Equatable, CaseIterable {
    /// Anthropic Messages: `POST /v1/messages`.
    case anthropic
    /// OpenAI-compatible Chat Completions: `POST /v1/chat/completions` (also Ollama, llama.cpp, vLLM).
    case openai

    /// The request path under the API base.
    public var path: String {
        switch self {
        case .anthropic: "/v1/messages"
        case .openai: "/v1/chat/completions"
        }
    }

    /// The request body for a conversation.
    ///
    /// - Parameters:
    ///   - conversation: System prompt, tools and turns.
    ///   - model: The model name.
    ///   - maxTokens: The most output tokens.
    /// - Returns: The JSON body.
    public func body(_ conversation: ModelConversation, model: String, maxTokens: Int) -> JSONValue {
        switch self {
        case .anthropic: AnthropicFormat.body(conversation, model: model, maxTokens: maxTokens)
        case .openai: OpenAIFormat.body(conversation, model: model, maxTokens: maxTokens)
        }
    }

    /// Reads a successful response body.
    ///
    /// - Throws: `ModelError` (`.decode`) when the body is not the expected shape.
    public func reply(_ data: Data) throws(ModelError) -> ModelReply {
        let value: JSONValue
        do { value = try JSONValue.parse(data) } catch {
            throw ModelError(.decode, "the response is not JSON: \(String(decoding: data.prefix(200), as: UTF8.self))")
        }
        switch self {
        case .anthropic: return try AnthropicFormat.reply(value)
        case .openai: return try OpenAIFormat.reply(value)
        }
    }
}

/// Anthropic Messages: content blocks, `tool_use`/`tool_result`, prompt caching.
enum AnthropicFormat {
    static let ephemeral: JSONValue = .object(["type": .string("ephemeral")])

    static func body(_ c: ModelConversation, model: String, maxTokens: Int) -> JSONValue {
        var tools: [JSONValue] = []
        for (i, t) in c.tools.enumerated() {
            var tool: [String: JSONValue] = ["name": .string(t.name), "description": .string(t.description),
                                             "input_schema": t.inputSchema]
            // One cache breakpoint after the last tool caches every tool definition.
            if i == c.tools.count - 1 { tool["cache_control"] = ephemeral }
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
            "system": .array([.object(["type": .string("text"), "text": .string(c.system), "cache_control": ephemeral])]),
            "tools": .array(tools),
            "messages": .array(messages),
        ])
    }

    static func reply(_ v: JSONValue) throws(ModelError) -> ModelReply {
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

/// OpenAI-compatible Chat Completions: function tools whose arguments are a JSON string.
enum OpenAIFormat {
    static func body(_ c: ModelConversation, model: String, maxTokens: Int) -> JSONValue {
        var messages: [JSONValue] = [.object(["role": .string("system"), "content": .string(c.system)])]
        for turn in c.turns {
            switch turn {
            case .user(let text):
                messages.append(.object(["role": .string("user"), "content": .string(text)]))
            case .assistant(let text, let calls):
                var m: [String: JSONValue] = ["role": .string("assistant"), "content": text.isEmpty ? .null : .string(text)]
                if !calls.isEmpty {
                    m["tool_calls"] = .array(calls.map {
                        .object(["id": .string($0.id), "type": .string("function"),
                                 "function": .object(["name": .string($0.name), "arguments": .string($0.rawArguments)])])
                    })
                }
                messages.append(.object(m))
            case .toolResults(let results):
                for r in results {
                    messages.append(.object(["role": .string("tool"), "tool_call_id": .string(r.callID),
                                             "content": .string(r.isError ? "ERROR: " + r.content : r.content)]))
                }
            }
        }
        let tools: [JSONValue] = c.tools.map {
            .object(["type": .string("function"), "function": .object([
                "name": .string($0.name), "description": .string($0.description), "parameters": $0.inputSchema,
            ])])
        }
        return .object(["model": .string(model), "max_tokens": .int(maxTokens), "messages": .array(messages), "tools": .array(tools)])
    }

    static func reply(_ v: JSONValue) throws(ModelError) -> ModelReply {
        guard let choice = v["choices"]?.arrayValue?.first, let message = choice["message"] else {
            throw ModelError(.decode, "the response has no choices[0].message")
        }
        var calls: [ToolCall] = []
        for (i, call) in (message["tool_calls"]?.arrayValue ?? []).enumerated() {
            let function = call["function"]
            let raw: String
            switch function?["arguments"] {
            case .string(let s): raw = s
            case .some(let other): raw = other.text   // some local servers send an object
            case .none: raw = ""
            }
            calls.append(ToolCall(id: call["id"]?.stringValue ?? "call-\(i)", name: function?["name"]?.stringValue ?? "",
                                  arguments: try? JSONValue.parse(Data(raw.utf8)), rawArguments: raw))
        }
        let u = v["usage"]
        let cached = u?["prompt_tokens_details"]?["cached_tokens"]?.intValue ?? 0
        let usage = TokenUsage(input: max(0, (u?["prompt_tokens"]?.intValue ?? 0) - cached),
                               output: u?["completion_tokens"]?.intValue ?? 0, cacheRead: cached)
        return ModelReply(text: message["content"]?.stringValue ?? "", calls: calls,
                          stopReason: choice["finish_reason"]?.stringValue ?? "", usage: usage)
    }
}
