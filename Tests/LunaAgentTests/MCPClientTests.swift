import Foundation
import LunaAgent
import LunaSystem
import Testing
import TestSupport

/// `luna mcp` against a client nobody here wrote: the official MCP Python SDK
/// (Tests/MCPClient/luna_mcp_client.py in the virtualenv `.ci/run` installs),
/// spawning the real built binary over stdio. The estate has a loopback Discord,
/// so the proposal's card is really posted and the whole way to the commit is real.
@Suite("MCP server against the official Python SDK", .serialized,
       .enabled(if: SystemRequirements.mcpClientAvailable,
                "the MCP Python SDK is not installed: python3 -m venv /opt/luna-mcp-client && /opt/luna-mcp-client/bin/pip install 'mcp==2.3.0' (as .ci/run does)"))
struct MCPClientTests {
    static let script = Estate.projectRoot.appendingPathComponent("Tests/MCPClient/luna_mcp_client.py").path
    static let client = "mcp:sdk-test-client"

    final class MCPEstate {
        let estate: Estate
        let fake: FakeDiscord
        var root: String { estate.ops.root }
        var marker: String { root + "/mcp-made" }

        init() throws {
            estate = try Estate(sudoers: "luna ALL = (root) NOPASSWD: /usr/bin/touch @ROOT@/mcp-made\n",
                                readOnly: ["/usr/bin/cat @ROOT@/target/app.conf"])
            fake = try FakeDiscord()
            let tokenFile = estate.ops.root + "/discord-token"
            _ = FileManager.default.createFile(atPath: tokenFile, contents: Data((fake.token + "\n").utf8), attributes: [.posixPermissions: 0o600])
            let text = """

                [channels.discord]
                api_base = "\(fake.apiBase)"
                channel_id = "\(fake.channelID)"
                operator_ids = ["2000000000000000001"]
                token_file = "\(tokenFile)"
                poll_seconds = 1

                """
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: estate.ops.config))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(text.utf8))
            try handle.close()
        }

        /// Runs a phase of the client script; returns what it printed, parsed.
        func client(_ phase: String, _ args: [String] = []) throws -> Any {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: SystemRequirements.mcpClientPython)
            p.arguments = [MCPClientTests.script, phase, LunaBinary.path, estate.ops.config] + args
            let out = Pipe(), err = Pipe()
            p.standardOutput = out
            p.standardError = err
            p.standardInput = FileHandle.nullDevice
            try p.run()
            let stdout = out.fileHandleForReading.readDataToEndOfFile()
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            guard p.terminationStatus == 0 else { throw TestFailure("client \(phase) exited \(p.terminationStatus):\n\(stderr)") }
            return try JSONSerialization.jsonObject(with: stdout)
        }

        func calls(_ batch: [(String, [String: Any])]) throws -> [[String: Any]] {
            let json = try JSONSerialization.data(withJSONObject: batch.map { [$0.0, $0.1] as [Any] })
            return try #require(try client("calls", [String(decoding: json, as: UTF8.self)]) as? [[String: Any]])
        }

        func remove() {
            fake.stop()
            estate.remove()
        }
    }

    @Test func everyVersionNegotiatesAndListsToolsResourcesAndThePrompt() throws {
        let e = try MCPEstate()
        defer { e.remove() }
        let report = try #require(try e.client("explore", ["localhost"]) as? [String: Any])
        let modes = try #require(report["modes"] as? [String: [String: Any]])
        #expect(modes["legacy"]?["protocolVersion"] as? String == "2025-11-25")
        #expect(modes["2026-07-28"]?["protocolVersion"] as? String == "2026-07-28")
        #expect(modes["auto"]?["protocolVersion"] as? String == "2026-07-28", "server/discover chooses the stateless revision")
        let expected: Set = ["findings", "scan", "allowed", "inspect", "proposal", "memory_search", "skills", "references",
                             "propose", "suggest_note", "draft_runbook"]
        for (mode, entry) in modes {
            let tools = try #require(entry["tools"] as? [String: [String: Any]])
            #expect(Set(tools.keys) == expected, "\(mode): \(tools.keys.sorted())")
            for (name, tool) in tools {
                let schema = try #require(tool["inputSchema"] as? [String: Any])
                #expect(schema["additionalProperties"] as? Bool == false, "\(name): a strict input schema")
                for (field, property) in (schema["properties"] as? [String: [String: Any]]) ?? [:] where property["type"] as? String == "string" {
                    #expect(property["maxLength"] != nil || property["enum"] != nil, "\(name).\(field) is length-bounded")
                }
                #expect(tool["hasOutputSchema"] as? Bool == true, "\(name) has an output schema")
                let hints = try #require(tool["annotations"] as? [String: Any])
                let writes = ["propose", "suggest_note", "draft_runbook"].contains(name)
                #expect(hints["readOnlyHint"] as? Bool == !writes, "\(name)")
                #expect(hints["destructiveHint"] as? Bool == false, "\(name)")
            }
            #expect((tools["scan"]?["annotations"] as? [String: Any])?["openWorldHint"] as? Bool == true)
            #expect((entry["prompts"] as? [String]) == ["recon"])
            let resources = try #require(entry["resources"] as? [String])
            #expect(resources.contains("luna://references/localhost/sudoers") && resources.contains("luna://references/localhost/files"), "\(resources)")
            let calls = try #require(entry["calls"] as? [String: [String: Any]])
            #expect((calls["scan"]?["text"] as? String)?.contains("mode 0644, reference 0600") == true, "\(calls["scan"] ?? [:])")
            #expect(calls["allowed"]?["isError"] as? Bool == false)
            for (name, result) in calls where result["isError"] as? Bool == false {
                #expect(result["jsonTextMatches"] as? Bool == true, "\(name): the JSON text block is the structured content")
            }
            #expect(calls["proposal"]?["structured"] is NSNull, "a refusal is text only")
            #expect(((calls["allowed"]?["structured"] as? [String: Any])?["outcome"] as? String) == "refused", "/usr/bin/id is not in the reference")
            #expect(calls["proposal"]?["isError"] as? Bool == true, "no proposal 999")
            let recon = try #require(entry["recon"] as? String)
            #expect(recon.contains("<<<DATA what luna may run on localhost>>>"), "\(recon)")
            #expect((entry["read"] as? [String: Any])?["text"] as? String != nil)
        }
        // `luna context HOST` prints the bundle the prompt returns.
        let context = try e.estate.luna("context", "localhost")
        #expect(context.status == 0, "\(context.err)")
        #expect(context.out == modes["legacy"]?["recon"] as? String)
        // The scan tool stored nothing: no finding until Luna's own scan.
        #expect(try e.estate.luna("proposals", "--json").out.filter { !$0.isWhitespace } == "[]")
        #expect(try Agent(config: e.estate.configuration()).ledger.findings().isEmpty, "no finding stored by the scan tool")
    }

    @Test func aProposalGoesThroughTheGateTheCardTheOperatorAndTheDaemonToACommit() throws {
        let e = try MCPEstate()
        defer { e.remove() }
        let proposed = try e.calls([("propose", ["host": "localhost", "argv": ["/usr/bin/touch", e.marker],
                                                 "rationale": "Mark the host as seen by the interactive agent.", "risk": "mutating"])])[0]
        #expect(proposed["isError"] as? Bool == false, "\(proposed)")
        let structured = try #require(proposed["structured"] as? [String: Any])
        let id = try #require(structured["id"] as? Int)
        #expect(structured["state"] as? String == "awaiting_approval")
        #expect(structured["source"] as? String == Self.client)
        #expect(structured["channels"] as? [String] == ["cli", "discord"])
        #expect((structured["card"] as? String)?.contains("**Proposed by:** \(Self.client)") == true, "\(structured["card"] ?? "")")
        #expect(!FileManager.default.fileExists(atPath: e.marker), "nothing runs before approval")

        // The daemon's cycle posts the card on Discord (and plans the drift with the skill).
        let first = try e.estate.spawned(["run", "--once"])
        #expect(first.status == 0, "\(first.err)")
        let card = try #require(e.fake.botMessages.first { $0.content.contains("**Luna proposal #\(id)**") }, "\(e.fake.botMessages.map(\.content))")
        #expect(card.content.contains("Proposed by:** \(Self.client)"))
        #expect(!FileManager.default.fileExists(atPath: e.marker))

        // An MCP client cannot approve; the operator does.
        let approveByTool = try e.calls([("approve", ["id": id])])
        #expect((approveByTool[0]["error"] as? [String: Any])?["code"] as? Int == -32602, "\(approveByTool)")
        let approve = try e.estate.spawned(["approve", String(id)])
        #expect(approve.status == 0, "\(approve.err)")
        let second = try e.estate.spawned(["run", "--once"])
        #expect(second.status == 0, "\(second.err)")
        #expect(FileManager.default.fileExists(atPath: e.marker), "the daemon ran what the operator approved")

        let followed = try #require(try e.client("follow", [String(id)]) as? [String: Any])
        let p = try #require(followed["structured"] as? [String: Any])
        #expect(p["state"] as? String == "recorded", "\(p)")
        #expect(p["outcome"] as? String == "succeeded")
        #expect((p["approval"] as? [String: Any])?["channel"] as? String == "cli")
        let commit = try #require(p["commit"] as? String)
        let message = try e.estate.ops.git("log", "-1", "--format=%B", commit)
        #expect(message.contains("Proposed-by: \(Self.client)"), "\(message)")
        #expect(try e.estate.ops.git("log", "-1", "--format=%(trailers:key=Proposed-by,valueonly)", commit) == Self.client)

        // The other two queue tools: a note that waits for the operator, a runbook in the ops repo.
        let queued = try e.calls([
            ("suggest_note", ["title": "Marker files", "body": "The agent marks hosts with mcp-made.", "host": "localhost"]),
            ("draft_runbook", ["host": "localhost", "title": "Remove the marker", "why": "Only the operator decides.", "steps_markdown": "1. rm it."]),
        ])
        #expect(queued.allSatisfy { $0["isError"] as? Bool == false }, "\(queued)")
        let slug = try #require((queued[0]["structured"] as? [String: Any])?["slug"] as? String)
        #expect(try e.estate.luna("memory", "list", "--pending").out.contains(slug))
        let runbook = try #require(queued[1]["structured"] as? [String: Any])
        let path = try #require(runbook["path"] as? String)
        #expect(FileManager.default.fileExists(atPath: e.estate.ops.repo + "/" + path))
        #expect(try e.estate.ops.git("log", "-1", "--format=%(trailers:key=Proposed-by,valueonly)", runbook["commit"] as? String ?? "") == Self.client)
    }

    @Test func thePlannersHostileCasesAreRefusedWithReasonsAndNothingRuns() throws {
        let e = try MCPEstate()
        defer { e.remove() }
        let touch = ["/usr/bin/touch", e.marker]
        let cases: [(String, [String: Any], String)] = [
            ("propose", ["host": "localhost", "argv": touch, "rationale": "ping @everyone now", "risk": "mutating"], "contains a mention"),
            ("propose", ["host": "localhost", "argv": touch, "rationale": "hi <@123456789>", "risk": "mutating"], "contains a mention"),
            ("propose", ["host": "localhost", "argv": ["/usr/bin/touch", "[REDACTED-1]"], "rationale": "x", "risk": "mutating"], "redaction placeholder"),
            ("propose", ["host": "localhost", "argv": touch, "rationale": "x", "risk": "mutating", "identity": "root"], "unknown field 'identity'"),
            ("propose", ["host": "localhost", "argv": touch, "rationale": "x", "risk": "mutating", "approver": "me"], "unknown field 'approver'"),
            ("propose", ["host": "localhost", "argv": touch, "rationale": String(repeating: "a", count: 2001), "risk": "mutating"], "longer than 2000"),
            ("propose", ["host": "elsewhere", "argv": touch, "rationale": "x", "risk": "mutating"], "not in the inventory"),
            ("propose", ["host": "localhost", "argv": touch, "rationale": "x", "risk": "mutating", "verify_argv": touch], "declared read set"),
            ("propose", ["host": "localhost", "argv": ["/bin/sh", "-c", "touch \(e.marker)"], "rationale": "x", "risk": "mutating"], "refused by the gate"),
            ("inspect", ["host": "localhost", "argv": touch], "declared read set"),
            ("inspect", ["host": "localhost", "argv": ["/bin/sh", "-c", "id"]], "the gate does not allow it"),
            ("inspect", ["host": "localhost", "argv": ["/usr/bin/cat", "[REDACTED-2]"]], "redaction placeholder"),
        ]
        let answers = try e.calls(cases.map { ($0.0, $0.1) })
        for (answer, c) in zip(answers, cases) {
            #expect(answer["isError"] as? Bool == true, "\(c.0) \(c.2)")
            #expect((answer["text"] as? String)?.contains(c.2) == true, "\(c.2) in \(answer["text"] ?? "")")
        }
        #expect(!FileManager.default.fileExists(atPath: e.marker), "nothing ran")
        // Only the gate-refused proposal was stored (refused, never runnable); the refusals are on record.
        let list = try #require(try JSONSerialization.jsonObject(with: Data(e.estate.luna("proposals", "--json").out.utf8)) as? [[String: Any]])
        #expect(list.map { $0["state"] as? String } == ["refused"], "\(list)")
        let agent = try Agent(config: e.estate.configuration())
        #expect(try agent.ledger.modelRefusals().filter { $0.tool.hasPrefix(Self.client) }.count >= cases.count)

        // The declared read set is inspected, its output returned.
        let inspected = try e.calls([("inspect", ["host": "localhost", "argv": ["/usr/bin/cat", e.estate.target]])])[0]
        #expect(inspected["isError"] as? Bool == false, "\(inspected)")
        #expect(((inspected["structured"] as? [String: Any])?["output"] as? String)?.contains("setting=1") == true)
    }

    @Test func badMessagesGetTheSpecificationsErrorsAndAVanishingClientLeavesTheStoreConsistent() throws {
        let e = try MCPEstate()
        defer { e.remove() }
        // Beside a running daemon: the run lock is held while the client works.
        let state = try e.estate.configuration().stateDirectory
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let lock = try RunLock(stateDirectory: state)
        let report = try #require(try e.client("raw") as? [String: Any])
        _ = lock
        func codes(_ key: String) -> [Int?] {
            ((report[key] as? [String: Any])?["answers"] as? [[String: Any]] ?? []).map { ($0["error"] as? [String: Any])?["code"] as? Int }
        }
        #expect(codes("malformed") == [-32700, -32600, -32600, -32600, -32601, -32602, -32022, -32602, -32600, -32602, -32602, nil],
                "\(report["malformed"] ?? "")")
        let malformed = try #require((report["malformed"] as? [String: Any])?["answers"] as? [[String: Any]])
        let unsupported = try #require((malformed[6]["error"] as? [String: Any])?["data"] as? [String: Any])
        #expect(unsupported["supported"] as? [String] == ["2026-07-28", "2025-11-25", "2025-06-18"])
        #expect(unsupported["requested"] as? String == "1999-01-01")
        let discover = try #require(malformed[11]["result"] as? [String: Any])
        #expect(discover["supportedVersions"] as? [String] == ["2026-07-28", "2025-11-25", "2025-06-18"])
        #expect(discover["resultType"] as? String == "complete")
        let legacy = try #require((report["legacy"] as? [String: Any])?["answers"] as? [[String: Any]])
        #expect((legacy[0]["result"] as? [String: Any])?["protocolVersion"] as? String == "2025-06-18")
        #expect(legacy[1]["result"] as? [String: Any] != nil, "ping")
        #expect(codes("legacy")[2] == -32002, "2025-11-25 and earlier: resource not found is -32002")
        #expect((legacy[3]["result"] as? [String: Any])?["protocolVersion"] as? String == "2025-11-25", "an unknown offer gets the latest")

        let vanished = try #require(report["vanished"] as? [String: Any])
        #expect(vanished["status"] as? Int == 0, "\(vanished)")
        // What the call stored before the client left is whole; the state opens and reads.
        let pending = try e.estate.luna("memory", "list", "--pending")
        #expect(pending.status == 0, "\(pending.err)")
        #expect(pending.out.contains("vanishing client"), "\(pending.out)")
        #expect(try e.estate.luna("status").status == 0)
    }
}
