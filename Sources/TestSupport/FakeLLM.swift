import Foundation
import LunaCodec
import Synchronization

/// A fake model API on loopback speaking Anthropic Messages or OpenAI Chat Completions.
///
/// It answers from a script, one step per request (the last step repeats), and
/// records every request (`server.requests`) so tests can check what was sent.
public final class FakeLLM: Sendable {
    /// The wire format served.
    public enum Format: String, Sendable { case anthropic, openai }

    /// One scripted answer.
    public enum Step: Sendable {
        /// Tool calls: (name, arguments as raw JSON text — may be invalid for OpenAI).
        case tools([(String, String)], text: String = "")
        /// A text-only answer.
        case text(String)
        /// An error status with headers and a body.
        case status(Int, headers: [(String, String)] = [], body: String = #"{"error":{"type":"error","message":"fake error"}}"#)
        /// A success that arrives after `Duration` (for timeouts).
        case slow(Duration)
    }

    public let format: Format
    public let server: LoopbackHTTPServer
    let steps: [Step]
    let index = Mutex(0)
    /// Tokens reported per answer.
    public let usage: (input: Int, output: Int)

    /// Starts the fake on an ephemeral loopback port.
    public init(_ format: Format, steps: [Step], usage: (input: Int, output: Int) = (100, 20)) throws {
        self.format = format
        self.steps = steps
        self.usage = usage
        let box = Mutex<FakeLLM?>(nil)
        server = try LoopbackHTTPServer { request in
            guard let fake = box.withLock({ $0 }) else { return .text(503, "starting") }
            return fake.answer(request)
        }
        box.withLock { $0 = self }
    }

    /// `http://127.0.0.1:PORT`.
    public var baseURL: String { server.baseURL }
    /// Every request received.
    public var requests: [LoopbackHTTPServer.Request] { server.requests }
    /// Stops the server.
    public func stop() { server.stop() }

    func answer(_ request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response {
        let expected = format == .anthropic ? "/v1/messages" : "/v1/chat/completions"
        guard request.method == "POST", request.pathWithoutQuery == expected else { return .text(404, "not found") }
        let n = index.withLock { i in defer { i += 1 }; return i }
        let step = steps.isEmpty ? .text("nothing to do") : steps[min(n, steps.count - 1)]
        switch step {
        case .tools(let calls, let text): return .json(200, body(calls: calls, text: text, n: n))
        case .text(let text): return .json(200, body(calls: [], text: text, n: n))
        case .status(let code, let headers, let body): return .json(code, body, headers: headers)
        case .slow(let d): return LoopbackHTTPServer.Response.json(200, body(calls: [], text: "late", n: n)).delayed(by: d)
        }
    }

    static func quote(_ s: String) -> String {
        JSONValue.string(s).text
    }

    func body(calls: [(String, String)], text: String, n: Int) -> String {
        switch format {
        case .anthropic:
            var blocks: [String] = []
            if !text.isEmpty { blocks.append(#"{"type":"text","text":\#(Self.quote(text))}"#) }
            for (i, c) in calls.enumerated() {
                blocks.append(#"{"type":"tool_use","id":"toolu_\#(n)_\#(i)","name":\#(Self.quote(c.0)),"input":\#(c.1)}"#)
            }
            return #"{"id":"msg_\#(n)","type":"message","role":"assistant","model":"fake","content":[\#(blocks.joined(separator: ","))],"stop_reason":"\#(calls.isEmpty ? "end_turn" : "tool_use")","usage":{"input_tokens":\#(usage.input),"output_tokens":\#(usage.output),"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}"#
        case .openai:
            let toolCalls = calls.enumerated().map { i, c in
                #"{"id":"call_\#(n)_\#(i)","type":"function","function":{"name":\#(Self.quote(c.0)),"arguments":\#(Self.quote(c.1))}}"#
            }
            let content = text.isEmpty ? "null" : Self.quote(text)
            let tc = calls.isEmpty ? "" : #","tool_calls":[\#(toolCalls.joined(separator: ","))]"#
            return #"{"id":"chatcmpl-\#(n)","object":"chat.completion","model":"fake","choices":[{"index":0,"message":{"role":"assistant","content":\#(content)\#(tc)},"finish_reason":"\#(calls.isEmpty ? "stop" : "tool_calls")"}],"usage":{"prompt_tokens":\#(usage.input),"completion_tokens":\#(usage.output),"total_tokens":\#(usage.input + usage.output)}}"#
        }
    }
}
