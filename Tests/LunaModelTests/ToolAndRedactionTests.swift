import Foundation
import LunaCodec
import LunaHTTP
import LunaModel
import Testing

enum HTTPResponseStub {
    static func make(_ status: Int, _ headers: [String: String]) -> HTTPResponse {
        HTTPResponse(status: status, headers: headers.map { HTTPHeader($0.key, $0.value) })
    }
}

@Suite("tool schemas and redaction")
struct ToolAndRedactionTests {
    @Test func unknownFieldsAreRefusedByName() {
        let input: JSONValue = .object(["host": .string("web1"), "argv": .array([.string("/usr/bin/true")]), "rationale": .string("r"),
                                        "verify_argv": .array([]), "risk": .string("mutating"),
                                        "runas": .string("root"), "approver": .string("mallory")])
        let error = #expect(throws: ToolInputError.self) { try PlannerTools.proposeAction.validate(input) }
        #expect(error?.problems.contains { $0.contains("unknown field 'runas'") } == true)
        #expect(error?.problems.contains { $0.contains("unknown field 'approver'") } == true)
    }

    @Test(arguments: [
        JSONValue.object(["title": .string(String(repeating: "x", count: 121)), "body": .string("b")]),
        .object(["title": .string("t")]),
        .object(["title": .int(3), "body": .string("b")]),
        .array([.string("t")]),
    ])
    func lengthsTypesAndShapeAreChecked(input: JSONValue) {
        #expect(throws: ToolInputError.self) { try PlannerTools.note.validate(input) }
    }

    @Test func everyStringInEverySchemaIsBounded() {
        for tool in PlannerTools.all {
            for field in tool.fields {
                switch field.kind {
                case .string(let max): #expect(max > 0 && max <= 8000)
                case .strings(let items, let len): #expect(items <= 32 && len <= 512)
                case .choice(let values): #expect(!values.isEmpty)
                case .integer(let min, let max): #expect(min <= max)
                }
            }
            #expect(tool.inputSchema["additionalProperties"] == .bool(false))
        }
    }

    @Test func integersAreWholeAndInRange() throws {
        let spec = ToolSpec(name: "t", description: "", fields: [.init("n", .integer(min: 1, max: 10), "")])
        #expect(try spec.validate(.object(["n": .int(3)])).integer("n") == 3)
        #expect(spec.inputSchema["properties"]?["n"]?["maximum"] == .int(10))
        for bad: JSONValue in [.int(0), .int(11), .string("3"), .double(2.5), .bool(true)] {
            #expect(throws: ToolInputError.self) { try spec.validate(.object(["n": bad])) }
        }
    }

    @Test func secretsBecomeStablePlaceholders() {
        let r = Redactor(exactSecrets: ["hunter2-db-pass", "ab"])
        // Token-shaped and key-shaped inputs are assembled here, so no string in
        // the repository looks like a real credential to a secret scanner.
        let anthropic = "sk-" + "ant-api03-" + String(repeating: "A", count: 24)
        let github = "ghp" + "_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123"
        let aws = "AKIA" + "ABCDEFGHIJKLMNOP"
        let keyBegin = "-----BEGIN OPENSSH " + "PRIVATE KEY-----"
        let keyEnd = "-----END OPENSSH " + "PRIVATE KEY-----"
        let text = """
            DB_PASSWORD=s3cr3t-value
            export API_KEY="abc123def456"
            url postgres://app:pa55word@db.internal/app
            Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTYifQ.c2lnbmF0dXJlLXZhbHVl
            token \(anthropic) and \(github) \(aws)
            the db pass is hunter2-db-pass, again hunter2-db-pass
            \(keyBegin)
            b3BlbnNzaC1rZXktdjEAAAAA
            \(keyEnd)
            PermitRootLogin no
            """
        let out = r.redact(text)
        for secret in ["s3cr3t-value", "abc123def456", "pa55word", "eyJhbGciOiJIUzI1NiJ9", String(anthropic.prefix(12)), String(github.prefix(10)), String(aws.prefix(12)),
                       "hunter2-db-pass", "b3BlbnNzaC1rZXktdjEAAAAA"] {
            #expect(!out.contains(secret), "\(secret) leaked:\n\(out)")
        }
        #expect(out.contains("DB_PASSWORD=[REDACTED-"))
        #expect(out.contains("postgres://app:[REDACTED-"))
        #expect(out.contains("PermitRootLogin no"))
        #expect(out.contains("the db pass is [REDACTED-1], again [REDACTED-1]"), "the same secret, the same placeholder:\n\(out)")
        #expect(r.redact("hunter2-db-pass") == "[REDACTED-1]", "stable across calls on one redactor")
    }

    @Test func envFilesAreParsed() {
        #expect(Redactor.envValues("# c\nA=1234\nexport B='quoted value'\nC=\"dq\"\n\nD=") == ["1234", "quoted value", "dq"])
    }
}
