import Foundation
import LunaMCP
import LunaCodec
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A provider with one tool that echoes, counting its calls.
final class EchoProvider: MCPProvider, @unchecked Sendable {
    // @unchecked: `calls` is only touched by the test's one thread.
    var calls = 0
    var implementation: MCPImplementation { MCPImplementation(name: "echo", version: "1") }
    var instructions: String { "echo" }
    var tools: [MCPTool] {
        [MCPTool(name: "echo", title: "Echo", description: "", inputSchema: .object(["type": .string("object")]),
                 outputSchema: .object(["type": .string("object")]),
                 annotations: .init(readOnly: true, destructive: false, idempotent: true, openWorld: false))]
    }
    var prompts: [MCPPrompt] { [] }
    func call(tool: String, arguments: JSONValue?, client: MCPClient) throws -> MCPToolResult {
        calls += 1
        return MCPToolResult(text: client.name, structured: .object(["client": .string(client.name), "version": .string(client.protocolVersion)]))
    }
    func resources() throws -> [MCPResource] { [] }
    func read(resource uri: String) throws -> MCPResourceContents { throw MCPFailure.resourceNotFound(uri) }
    func prompt(_ name: String, arguments: [String: String], client: MCPClient) throws -> MCPPromptResult { throw MCPFailure.invalidParams("none") }
    func outbound(_ text: String) -> String { text }
}

final class Clock: @unchecked Sendable {
    var now = Date(timeIntervalSince1970: 1_000_000)
}

@Suite("MCP server")
struct MCPServerTests {
    static let meta: JSONValue = .object(["io.modelcontextprotocol/protocolVersion": .string("2026-07-28"),
                                          "io.modelcontextprotocol/clientCapabilities": .object([:]),
                                          "io.modelcontextprotocol/clientInfo": .object(["name": .string("a b/c\u{1b}"), "version": .string("1")])])

    static func meta(client: String) -> JSONValue {
        .object(["io.modelcontextprotocol/protocolVersion": .string("2026-07-28"),
                 "io.modelcontextprotocol/clientCapabilities": .object([:]),
                 "io.modelcontextprotocol/clientInfo": .object(["name": .string(client), "version": .string("1")])])
    }

    func call(_ id: Int, meta: JSONValue? = MCPServerTests.meta) -> MCPWire.Message {
        var params: [String: JSONValue] = ["name": .string("echo"), "arguments": .object([:])]
        if let meta { params["_meta"] = meta }
        return .request(id: .int(id), method: "tools/call", params: .object(params))
    }

    @Test func aModernRequestCarriesItsOwnVersionAndItsResultSaysSo() throws {
        let server = MCPServer(provider: EchoProvider(), log: { _ in })
        let r = try #require(server.handle(call(1))?["result"])
        #expect(r["resultType"] == .string("complete"))
        #expect(r["_meta"]?["io.modelcontextprotocol/serverInfo"]?["name"] == .string("echo"))
        #expect(r["structuredContent"]?["client"] == .string("abc"), "a self-reported name becomes a safe label")
        #expect(server.handshakeVersion == nil, "stateless: nothing negotiated")
    }

    @Test func theHandshakeSelectsALegacyVersionWithoutModernFields() throws {
        let server = MCPServer(provider: EchoProvider(), log: { _ in })
        #expect(server.handle(call(1, meta: nil))?["error"]?["code"] == .int(-32602), "no version at all")
        let initialized = server.handle(.request(id: .string("i"), method: "initialize",
                                                 params: .object(["protocolVersion": .string("2025-11-25"), "capabilities": .object([:]),
                                                                  "clientInfo": .object(["name": .string("old"), "version": .string("1")])])))
        #expect(initialized?["result"]?["protocolVersion"] == .string("2025-11-25"))
        #expect(initialized?["id"] == .string("i"))
        let r = try #require(server.handle(call(2, meta: nil))?["result"])
        #expect(r["resultType"] == nil && r["_meta"] == nil)
        #expect(r["structuredContent"]?["version"] == .string("2025-11-25"))
        #expect(server.handle(.request(id: .int(3), method: "server/discover", params: nil))?["error"]?["code"] == .int(-32601),
                "server/discover is not part of 2025-11-25")
        #expect(server.handle(.notification(method: "notifications/initialized", params: nil)) == nil)
    }

    @Test func callsPerMinuteAreBoundedPerClient() throws {
        let clock = Clock()
        let provider = EchoProvider()
        let server = MCPServer(provider: provider, callsPerMinute: 3, now: { clock.now }, log: { _ in })
        for i in 1...3 { #expect(server.handle(call(i))?["result"]?["isError"] == .bool(false)) }
        let over = try #require(server.handle(call(4))?["result"])
        #expect(over["isError"] == .bool(true))
        #expect(over["content"]?.arrayValue?.first?["text"]?.stringValue?.contains("at most 3 calls per minute") == true)
        #expect(provider.calls == 3, "the refused call never reached the provider")
        #expect(server.handle(call(5, meta: Self.meta(client: "another-name")))?["result"]?["isError"] == .bool(true),
                "a new self-given name opens no new allowance")
        clock.now += 61
        #expect(server.handle(call(6))?["result"]?["isError"] == .bool(false), "the window moves on")
    }

    @Test func anOversizedLineIsSkippedAndTheNextOneRead() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let writeEnd = fds[1]
        let writer = Thread {
            let big = Data(repeating: 0x61, count: 300_000) + Data("\n".utf8)
            _ = mcpWriteAll(writeEnd, big + Data("{\"a\":1}\r\n\n  \nlast".utf8))
            close(writeEnd)
        }
        writer.start()
        let reader = MCPLineReader(fd: fds[0], limit: 100_000)
        #expect(reader.next() == .oversized(300_000))
        #expect(reader.next() == .message(Data("{\"a\":1}".utf8)))
        #expect(reader.next() == .message(Data("last".utf8)))
        #expect(reader.next() == .end)
        close(fds[0])
    }

    @Test func manyLinesInOneReadAndAnOversizedTailAreEachTold() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let writeEnd = fds[1]
        let lines = (0..<3000).map { "{\"n\":\($0)}" }.joined(separator: "\n") + "\n"
        let writer = Thread {
            _ = mcpWriteAll(writeEnd, Data(lines.utf8) + Data(repeating: 0x62, count: 150_000) + Data(" \n \r".utf8))
            close(writeEnd)
        }
        writer.start()
        let reader = MCPLineReader(fd: fds[0], limit: 100_000)
        for n in 0..<3000 { #expect(reader.next() == .message(Data("{\"n\":\(n)}".utf8))) }
        #expect(reader.next() == .oversized(150_001))
        #expect(reader.next() == .end, "a blank tail is no message")
        close(fds[0])
    }

    @Test func wireErrorsUseTheSpecificationsCodes() {
        #expect(MCPWire.parse(Data("nope".utf8)) == .invalid(id: .null, code: -32700, message: "Parse error: the message is not valid JSON"))
        if case .invalid(_, let code, _) = MCPWire.parse(Data("[]".utf8)) { #expect(code == -32600) } else { Issue.record("a batch") }
        if case .invalid(let id, let code, _) = MCPWire.parse(Data(#"{"jsonrpc":"2.0","id":7,"method":5}"#.utf8)) {
            #expect(code == -32600 && id == .int(7))
        } else { Issue.record("a numeric method") }
        #expect(MCPWire.parse(Data(#"{"jsonrpc":"2.0","id":1,"result":{}}"#.utf8)) == .response)
        #expect(MCPWire.line(.string("a\nb")).filter { $0 == 0x0A }.count == 1, "one line per message")
        let server = MCPServer(provider: EchoProvider(), log: { _ in })
        #expect(server.handle(.request(id: .int(1), method: "tools/approve", params: .object(["_meta": Self.meta])))?["error"]?["code"] == .int(-32601))
        #expect(server.handle(.request(id: .int(2), method: "ping", params: .object(["_meta": Self.meta])))?["error"]?["code"] == .int(-32601),
                "ping is gone in 2026-07-28")
    }
}
