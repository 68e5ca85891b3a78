import Foundation
@testable import LunaAgent
import LunaModel
import Testing
import TestSupport

/// The interactive agent's tools in process, over a real estate: the per-client
/// bound, redaction and inert output, resources that name only what is listed,
/// the queue tools, and the recon a planner reads.
@Suite("interactive service (the MCP tools)", .serialized)
struct InteractiveServiceTests {
    static let secret = "env-file-secret-value-77"

    func estate() throws -> Estate {
        let e = try Estate(sudoers: "luna ALL = (root) NOPASSWD: /usr/bin/touch *\n",
                           readOnly: ["/usr/bin/cat @ROOT@/target/app.conf"],
                           files: [".gitignore": ".env\n", "configs/notes/localhost": "colour \u{1b}[31mred\u{1b}[0m and \(Self.secret)\n"])
        try "APP_TOKEN=\(Self.secret)\n".write(toFile: e.ops.repo + "/.env", atomically: true, encoding: .utf8)
        try "setting=1\nbackup of \(Self.secret)\n".write(toFile: e.target, atomically: false, encoding: .utf8)
        return e
    }

    func service(_ e: Estate) throws -> InteractiveService {
        InteractiveService(context: try Agent(config: e.configuration()).context)
    }

    func touch(_ s: InteractiveService, _ e: Estate, _ n: Int, source: String) throws -> InteractiveService.Answer {
        try s.call("propose", arguments: .object(["host": .string("localhost"), "argv": .array([.string("/usr/bin/touch"), .string(e.ops.root + "/m\(n)")]),
                                                  "rationale": .string("mark \(n)"), "risk": .string("mutating")]), source: source)
    }

    @Test func eachClientHasAtMostFiveProposalsAwaitingApproval() throws {
        let e = try estate()
        defer { e.remove() }
        let s = try service(e)
        for n in 1...InteractiveService.maxPendingPerClient {
            let a = try touch(s, e, n, source: "mcp:alpha")
            #expect(!a.isError, "\(a.text)")
            #expect(a.structured["state"] == .string("awaiting_approval"))
        }
        let over = try touch(s, e, 9, source: "mcp:alpha")
        #expect(over.isError)
        #expect(over.text.contains("at most 5 per client"), "\(over.text)")
        #expect(!(try touch(s, e, 10, source: "mcp:beta")).isError, "another client has its own bound")
        #expect(try s.ledger.proposals(state: .awaitingApproval).count == 6)
        // New names cannot flood the queue: all MCP clients together have a bound too.
        var n = 11
        for client in 0..<10 {
            for _ in 0..<2 { _ = try touch(s, e, n, source: "mcp:c\(client)"); n += 1 }
        }
        #expect(try s.ledger.proposals(state: .awaitingApproval).filter { $0.source.rawValue.hasPrefix("mcp:") }.count == InteractiveService.maxPendingAllClients)
        let flood = try touch(s, e, n, source: "mcp:fresh-name")
        #expect(flood.isError && flood.text.contains("at most 20 together"), "\(flood.text)")
    }

    @Test func outputsAreRedactedAndInert() throws {
        let e = try estate()
        defer { e.remove() }
        let s = try service(e)
        let inspected = try s.call("inspect", arguments: .object(["host": .string("localhost"), "argv": .array([.string("/usr/bin/cat"), .string(e.target)])]),
                                   source: "mcp:t")
        #expect(!inspected.isError, "\(inspected.text)")
        #expect(inspected.text.contains("setting=1"))
        #expect(!inspected.text.contains(Self.secret) && !inspected.structured.text.contains(Self.secret))
        let refs = try s.call("references", arguments: .object(["host": .string("localhost")]), source: "mcp:t")
        let shown = refs.structured.text
        #expect(!shown.contains(Self.secret), "\(shown)")
        #expect(!shown.contains("\u{1b}"), "no raw escape leaves")
        #expect(shown.contains(#"\\u{1b}[31m"#), "the escape is shown, inert: \(shown)")
        let read = try #require(try s.read(resource: "luna://references/localhost/notes"))
        #expect(!read.contains(Self.secret) && !read.contains("\u{1b}") && read.contains("red"))
    }

    @Test func onlyListedResourcesAreRead() throws {
        let e = try estate()
        defer { e.remove() }
        let s = try service(e)
        let uris = try s.resources().map(\.uri)
        #expect(uris.contains("luna://references/localhost/sudoers"))
        for bad in ["luna://references/localhost/../../../../etc/passwd", "luna://references/localhost/..", "file:///etc/passwd",
                    "luna://memory/../luna.toml", "luna://runbooks/../../luna.toml"] {
            #expect(try s.read(resource: bad) == nil, "\(bad)")
        }
    }

    @Test func notesWaitForTheOperatorAndRunbooksAreCommittedWithTheirSource() throws {
        let e = try estate()
        defer { e.remove() }
        let s = try service(e)
        let note = try s.call("suggest_note", arguments: .object(["title": .string("Disk on web1"), "body": .string("It fills at night.")]), source: "mcp:claude-code")
        #expect(!note.isError, "\(note.text)")
        let slug = try #require(note.structured["slug"]?.stringValue)
        #expect(try s.memory.note(slug)?.status == "pending")
        #expect(try s.memory.search("fills night").isEmpty, "a pending note is never used")
        let approve = try e.luna("memory", "approve", slug)
        #expect(approve.status == 0, "\(approve.err)")
        #expect(try s.resources().contains { $0.uri == "luna://memory/\(slug)" })

        let runbook = try s.call("draft_runbook", arguments: .object([
            "host": .string("localhost"), "title": .string("Replace the disk"), "why": .string("It needs hands in the rack."),
            "steps_markdown": .string("1. Drain.\n2. Replace."),
        ]), source: "mcp:claude-code")
        #expect(!runbook.isError, "\(runbook.text)")
        let path = try #require(runbook.structured["path"]?.stringValue)
        #expect(path.hasPrefix("docs/runbooks/") && FileManager.default.fileExists(atPath: e.ops.repo + "/" + path))
        let commit = try #require(runbook.structured["commit"]?.stringValue)
        #expect(try e.ops.git("log", "-1", "--format=%(trailers:key=Proposed-by,valueonly)", commit) == "mcp:claude-code")
        #expect(try s.resources().contains { $0.uri == runbook.structured["uri"]?.stringValue })
    }

    @Test func theReconPromptIsWhatThePlannerReads() throws {
        let e = try estate()
        defer { e.remove() }
        let agent = try Agent(config: e.configuration())
        _ = try agent.scanner.scan()
        let finding = try #require(try agent.ledger.findings().first)
        let s = InteractiveService(context: agent.context)
        let recon = try s.recon(host: "localhost", findingID: finding.id)
        let planner = try agent.recon.reconContext(finding, redactor: agent.redactor())
        #expect(recon == InteractiveService.outbound(planner, agent.redactor()))
        #expect(recon.contains("<<<DATA finding and diff>>>"))
        #expect(throws: AgentError.self) { try s.recon(host: "elsewhere", findingID: nil) }
        #expect(throws: AgentError.self) { try s.recon(host: "localhost", findingID: finding.id + 100) }
        let host = try s.recon(host: "localhost", findingID: nil)
        #expect(host.contains("finding \(finding.id) files"), "\(host)")
    }

    @Test func noToolApprovesDeniesExecutesOrConfigures() {
        let names = InteractiveTools.all.map(\.spec.name)
        #expect(names == ["findings", "scan", "allowed", "inspect", "proposal", "memory_search", "skills", "references",
                          "propose", "suggest_note", "draft_runbook"])
        for forbidden in ["approve", "deny", "exec", "config", "decide"] {
            #expect(!names.contains { $0.contains(forbidden) }, "\(forbidden)")
        }
        for tool in InteractiveTools.all {
            let fields = tool.spec.fields.map(\.name)
            for f in ["identity", "approver", "channel", "mention", "operator"] { #expect(!fields.contains(f), "\(tool.spec.name).\(f)") }
            #expect(tool.spec.inputSchema["additionalProperties"] == .bool(false))
            #expect(!tool.destructive)
        }
    }
}
