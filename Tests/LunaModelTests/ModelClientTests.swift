import Foundation
import LunaCodec
import LunaModel
import Synchronization
import Testing
import TestSupport

/// Records the waits a client asked for, instead of waiting.
final class Sleeps: Sendable {
    let waits = Mutex<[Duration]>([])
    var all: [Duration] { waits.withLock { $0 } }
    var sleep: @Sendable (Duration) -> Void { { d in self.waits.withLock { $0.append(d) } } }
}

func client(_ fake: FakeLLM, sleeps: Sleeps, key: String? = "test-key-123", timeout: Duration = .seconds(20)) -> ModelClient {
    ModelClient(settings: ModelSettings(format: fake.format == .anthropic ? .anthropic : .openai, apiBase: fake.baseURL,
                                        model: "fake-model", apiKey: key, maxTokens: 512, timeout: timeout),
                sleep: sleeps.sleep)
}

let conversation = ModelConversation(system: "You are a test.", tools: PlannerTools.all, turns: [.user("hello")])

@Suite("model client over loopback")
struct ModelClientTests {
    @Test func anthropicWireShapeAndToolCall() throws {
        let fake = try FakeLLM(.anthropic, steps: [.tools([("inspect", #"{"host":"web1","argv":["/usr/bin/id"]}"#)], text: "Looking.")])
        defer { fake.stop() }
        let reply = try client(fake, sleeps: Sleeps()).send(conversation)
        #expect(reply.text == "Looking.")
        #expect(reply.stopReason == "tool_use")
        #expect(reply.calls.count == 1)
        #expect(reply.calls[0].name == "inspect")
        #expect(try PlannerTools.inspect.validate(reply.calls[0].arguments).array("argv") == ["/usr/bin/id"])
        #expect(reply.usage == TokenUsage(input: 100, output: 20))

        let request = try #require(fake.requests.first)
        #expect(request.path == "/v1/messages")
        #expect(request.header("x-api-key") == "test-key-123")
        #expect(request.header("anthropic-version") == "2023-06-01")
        #expect(request.header("authorization") == nil)
        let body = try JSONValue.parse(request.body)
        #expect(body["model"] == .string("fake-model"))
        #expect(body["max_tokens"] == .int(512))
        #expect(body["system"]?.arrayValue?.first?["cache_control"]?["type"] == .string("ephemeral"))
        let tools = try #require(body["tools"]?.arrayValue)
        #expect(tools.map { $0["name"]?.stringValue } == ["propose_action", "inspect", "escalate", "note"])
        #expect(tools.last?["cache_control"]?["type"] == .string("ephemeral"))
        #expect(tools.first?["input_schema"]?["additionalProperties"] == .bool(false))
    }

    @Test func anthropicToolResultsEchoed() throws {
        let fake = try FakeLLM(.anthropic, steps: [.text("ok")])
        defer { fake.stop() }
        let call = ToolCall(id: "toolu_1", name: "inspect", arguments: .object(["host": .string("h")]), rawArguments: #"{"host":"h"}"#)
        var c = conversation
        c.turns += [.assistant(text: "", calls: [call]), .toolResults([ToolResult(callID: "toolu_1", content: "refused: no", isError: true)])]
        _ = try client(fake, sleeps: Sleeps()).send(c)
        let body = try JSONValue.parse(try #require(fake.requests.first).body)
        let messages = try #require(body["messages"]?.arrayValue)
        #expect(messages.count == 3)
        #expect(messages[1]["content"]?.arrayValue?.first?["type"] == .string("tool_use"))
        let result = try #require(messages[2]["content"]?.arrayValue?.first)
        #expect(result["type"] == .string("tool_result"))
        #expect(result["tool_use_id"] == .string("toolu_1"))
        #expect(result["is_error"] == .bool(true))
    }

    @Test func openAIWireShapeAndInvalidArguments() throws {
        let fake = try FakeLLM(.openai, steps: [.tools([("propose_action", #"{"host": "web1", "argv": ["#), ("note", #"{"title":"t","body":"b"}"#)])])
        defer { fake.stop() }
        let reply = try client(fake, sleeps: Sleeps()).send(conversation)
        #expect(reply.stopReason == "tool_calls")
        #expect(reply.calls.count == 2)
        #expect(reply.calls[0].arguments == nil, "invalid JSON arguments are kept raw, not parsed")
        #expect(reply.calls[0].rawArguments == #"{"host": "web1", "argv": ["#)
        #expect(throws: ToolInputError.self) { try PlannerTools.proposeAction.validate(reply.calls[0].arguments) }
        #expect(reply.calls[1].arguments?["title"] == .string("t"))

        let request = try #require(fake.requests.first)
        #expect(request.path == "/v1/chat/completions")
        #expect(request.header("authorization") == "Bearer test-key-123")
        #expect(request.header("x-api-key") == nil)
        let body = try JSONValue.parse(request.body)
        #expect(body["messages"]?.arrayValue?.first?["role"] == .string("system"))
        let tool = try #require(body["tools"]?.arrayValue?.first)
        #expect(tool["type"] == .string("function"))
        #expect(tool["function"]?["parameters"]?["type"] == .string("object"))

        // The assistant turn is echoed with its raw argument string and tool answers use role "tool".
        let fake2 = try FakeLLM(.openai, steps: [.text("fine")])
        defer { fake2.stop() }
        var c = conversation
        c.turns += [.assistant(text: "", calls: reply.calls), .toolResults([ToolResult(callID: reply.calls[0].id, content: "bad", isError: true)])]
        let text = try client(fake2, sleeps: Sleeps()).send(c)
        #expect(text.text == "fine")
        let body2 = try JSONValue.parse(try #require(fake2.requests.first).body)
        let msgs = try #require(body2["messages"]?.arrayValue)
        #expect(msgs[2]["tool_calls"]?.arrayValue?.first?["function"]?["arguments"] == .string(#"{"host": "web1", "argv": ["#))
        #expect(msgs[3]["role"] == .string("tool"))
        #expect(msgs[3]["tool_call_id"] == .string(reply.calls[0].id))
    }

    @Test(arguments: [429, 529, 500, 503, 408, 409])
    func retryableStatusesHonourRetryAfter(status: Int) throws {
        let fake = try FakeLLM(.anthropic, steps: [.status(status, headers: [("retry-after-ms", "1500")]),
                                                  .status(status, headers: [("retry-after", "3")]), .text("finally")])
        defer { fake.stop() }
        let sleeps = Sleeps()
        let reply = try client(fake, sleeps: sleeps).send(conversation)
        #expect(reply.text == "finally")
        #expect(reply.attempts == 3)
        #expect(sleeps.all == [.milliseconds(1500), .seconds(3)])
        #expect(fake.requests.count == 3)
    }

    @Test func atMostTwoRetriesThenTheStatusIsAnError() throws {
        let fake = try FakeLLM(.openai, steps: [.status(503)])
        defer { fake.stop() }
        let sleeps = Sleeps()
        let error = #expect(throws: ModelError.self) { try client(fake, sleeps: sleeps).send(conversation) }
        #expect(error?.kind == .status)
        #expect(error?.status == 503)
        #expect(fake.requests.count == 3)
        // No hint: exponential backoff 0.5 s then 1 s, with jitter of at most a quarter.
        #expect(sleeps.all.count == 2)
        #expect(sleeps.all[0] >= .milliseconds(375) && sleeps.all[0] <= .milliseconds(500))
        #expect(sleeps.all[1] >= .milliseconds(750) && sleeps.all[1] <= .seconds(1))
    }

    @Test func overlongRetryAfterFallsBackToBackoffAndBackoffIsCapped() {
        let policy = ModelRetryPolicy(maxRetries: 10, jitter: false)
        let response = HTTPResponseStub.make(429, ["retry-after": "120"])
        #expect(policy.delay(afterAttempt: 1, response: response) == .milliseconds(500))
        #expect(policy.delay(afterAttempt: 6, response: nil) == .seconds(8))
        #expect(policy.delay(afterAttempt: 11, response: nil) == nil)
        #expect(policy.delay(afterAttempt: 1, response: HTTPResponseStub.make(529, ["retry-after": "60"])) == .seconds(60))
    }

    @Test func spendLimitIsNeverRetriedNorAreClientErrors() throws {
        let fake = try FakeLLM(.openai, steps: [.status(429, headers: [("retry-after", "1")],
                                                        body: #"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota"}}"#)])
        defer { fake.stop() }
        let sleeps = Sleeps()
        let error = #expect(throws: ModelError.self) { try client(fake, sleeps: sleeps).send(conversation) }
        #expect(error?.kind == .spendLimit)
        #expect(fake.requests.count == 1)
        #expect(sleeps.all.isEmpty)

        let bad = try FakeLLM(.anthropic, steps: [.status(400, body: #"{"error":{"message":"bad request"}}"#)])
        defer { bad.stop() }
        let e2 = #expect(throws: ModelError.self) { try client(bad, sleeps: sleeps).send(conversation) }
        #expect(e2?.message == "bad request")
        #expect(bad.requests.count == 1)
    }

    @Test func totalTimeoutIsRetriedThenReported() throws {
        let fake = try FakeLLM(.anthropic, steps: [.slow(.seconds(3))])
        defer { fake.stop() }
        let sleeps = Sleeps()
        let error = #expect(throws: ModelError.self) {
            try client(fake, sleeps: sleeps, timeout: .milliseconds(300)).send(conversation)
        }
        #expect(error?.kind == .transport)
        #expect(error?.attempts == 3)
        #expect(sleeps.all.count == 2)
    }

    @Test func anthropicNeedsAKey() throws {
        let fake = try FakeLLM(.anthropic, steps: [.text("x")])
        defer { fake.stop() }
        #expect(throws: ModelError.self) { try client(fake, sleeps: Sleeps(), key: nil).send(conversation) }
        #expect(fake.requests.isEmpty)
    }
}
