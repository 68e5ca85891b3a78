import Foundation
import LunaCodec
import LunaHTTP

/// OpenAI-compatible Chat Completions: function tools whose arguments are a JSON string.
public struct OpenAIProvider: ModelProvider {
    public init() {}

    public var name: String { "openai" }
    public var defaultAPIBase: String { "https://api.openai.com" }
    public var path: String { "/v1/chat/completions" }

    /// A bearer token when there is a key; a local server may need none.
    public func authHeaders(apiKey: String?) throws(ModelError) -> [HTTPHeader] {
        guard let key = apiKey, !key.isEmpty else { return [] }
        return [HTTPHeader("Authorization", "Bearer " + key)]
    }

    public func body(_ c: ModelConversation, model: String, maxTokens: Int) -> JSONValue {
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

    public func reply(_ v: JSONValue) throws(ModelError) -> ModelReply {
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
