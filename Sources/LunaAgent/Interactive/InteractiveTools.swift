import Foundation
import LunaCodec
import LunaModel

/// One tool an interactive agent may call: its strict input (`ToolSpec`, the same
/// length-bounded schema and validation as the model planner's tools), the shape
/// of what it returns, and what it really does.
public struct InteractiveTool: Sendable, Equatable {
    public var spec: ToolSpec
    public var title: String
    /// The JSON Schema of the structured result (of a call that is not an error).
    public var outputSchema: JSONValue
    /// Changes nothing anywhere (neither the hosts nor Luna's state).
    public var readOnly: Bool
    /// May destroy something (no tool here does: a proposal only waits for the operator).
    public var destructive: Bool
    /// Calling it again with the same input has no further effect.
    public var idempotent: Bool
    /// Reaches the hosts (collection or inspection over the transport).
    public var openWorld: Bool
}

/// The tools an interactive agent gets, in a fixed order. None approves, denies,
/// executes or changes configuration, and none has a field for the identity,
/// approvers, channels or mentions; this list is code, never configuration.
public enum InteractiveTools {
    static func object(_ properties: [String: JSONValue], required: [String]) -> JSONValue {
        .object(["type": .string("object"), "properties": .object(properties), "required": .array(required.map(JSONValue.string))])
    }
    static let string: JSONValue = .object(["type": .string("string")])
    static let integer: JSONValue = .object(["type": .string("integer")])
    static let boolean: JSONValue = .object(["type": .string("boolean")])
    static let strings: JSONValue = .object(["type": .string("array"), "items": string])
    static func nullable(_ type: String) -> JSONValue { .object(["type": .array([.string(type), .string("null")])]) }
    static func list(_ item: JSONValue) -> JSONValue { .object(["type": .string("array"), "items": item]) }

    static let host = ToolSpec.Field("host", .string(maxLength: 64), "The inventory host name.")
    static let argv = ToolSpec.Field("argv", .strings(maxItems: 32, maxLength: 512), "The command as an argv array (no shell); argv[0] is an absolute path.")

    public static let findings = InteractiveTool(
        spec: ToolSpec(name: "findings", description: "Open findings (drift from the references), newest first, optionally for one host or check.", fields: [
            .init("host", .string(maxLength: 64), "Only this host.", required: false),
            .init("check", .string(maxLength: 64), "Only this check.", required: false),
            .init("limit", .integer(min: 1, max: 200), "At most this many (50 when not given).", required: false),
        ]),
        title: "Open findings",
        outputSchema: object(["findings": list(object(["id": integer, "host": string, "check": string, "subject": string, "summary": string,
                                                       "firstSeen": string, "lastSeen": string, "occurrence": integer],
                                                      required: ["id", "host", "check", "subject", "summary"]))], required: ["findings"]),
        readOnly: true, destructive: false, idempotent: true, openWorld: false)

    public static let scan = InteractiveTool(
        spec: ToolSpec(name: "scan", description: "Collect now: run a host's checks (or one) and compare with the references. Read-only: nothing is stored and nothing changes on the host.", fields: [
            host, .init("check", .string(maxLength: 64), "Only this check.", required: false),
        ]),
        title: "Scan a host now (read-only)",
        outputSchema: object(["host": string, "results": list(object(["check": string, "status": string, "detail": string,
                                                                       "items": list(object(["subject": string, "summary": string], required: ["subject", "summary"]))],
                                                                      required: ["check", "status", "detail", "items"]))], required: ["host", "results"]),
        readOnly: true, destructive: false, idempotent: true, openWorld: true)

    public static let allowed = InteractiveTool(
        spec: ToolSpec(name: "allowed", description: "The gate's verdict on a command for the luna identity: allowed, refused or escalate, the deciding sudoers rule, the action class, and whether it is in the declared read set.", fields: [
            host, argv, .init("runas", .string(maxLength: 32), "The user it would run as through sudo (root when not given).", required: false),
        ]),
        title: "Ask the gate",
        outputSchema: object(["host": string, "identity": string, "runas": string, "outcome": string, "actionClass": string,
                              "classification": string, "reasons": strings, "rule": nullable("string"),
                              "readSet": nullable("string"), "runsWithoutApproval": boolean],
                             required: ["outcome", "actionClass", "reasons", "runsWithoutApproval"]),
        readOnly: true, destructive: false, idempotent: true, openWorld: false)

    public static let inspect = InteractiveTool(
        spec: ToolSpec(name: "inspect", description: "Run one command from the host's declared read set (what the operator declared read-only in its sudoers reference) and return its output, redacted and clipped. Anything else is refused.", fields: [host, argv]),
        title: "Inspect read-only",
        outputSchema: object(["host": string, "argv": strings, "exitStatus": integer, "output": string], required: ["host", "argv", "exitStatus", "output"]),
        readOnly: true, destructive: false, idempotent: true, openWorld: true)

    public static let proposal = InteractiveTool(
        spec: ToolSpec(name: "proposal", description: "One proposal: its state, the gate's verdict, the approval, the execution, the outcome and the commit that recorded it.", fields: [
            .init("id", .integer(min: 1, max: Int(Int32.max)), "The proposal id."),
        ]),
        title: "Follow a proposal",
        outputSchema: object(["id": integer, "state": string, "outcome": nullable("string"), "host": string, "argv": strings, "runas": string,
                              "source": string, "rationale": string, "gateOutcome": nullable("string"), "gateReasons": strings,
                              "rule": nullable("string"), "expiresAt": nullable("string"), "approval": nullable("object"),
                              "execution": nullable("object"), "commit": nullable("string")],
                             required: ["id", "state", "host", "argv", "source"]),
        readOnly: true, destructive: false, idempotent: true, openWorld: false)

    public static let memorySearch = InteractiveTool(
        spec: ToolSpec(name: "memory_search", description: "Search the operator-approved memory notes (full text).", fields: [
            .init("query", .string(maxLength: 200), "Words to search for."),
            .init("host", .string(maxLength: 64), "Only notes about this host (or about every host).", required: false),
            .init("limit", .integer(min: 1, max: 20), "At most this many (5 when not given).", required: false),
        ]),
        title: "Search memory",
        outputSchema: object(["notes": list(object(["slug": string, "title": string, "body": string, "hosts": strings, "tags": strings],
                                                   required: ["slug", "title", "body"]))], required: ["notes"]),
        readOnly: true, destructive: false, idempotent: true, openWorld: false)

    public static let skills = InteractiveTool(
        spec: ToolSpec(name: "skills", description: "The approved skills (Luna's known fixes) and their record: uses, successes, failures, verified passes.", fields: []),
        title: "Approved skills",
        outputSchema: object(["skills": list(object(["name": string, "check": string, "description": string, "uses": integer, "successes": integer,
                                                     "failures": integer, "verifyPasses": integer, "lastUsed": nullable("string")],
                                                    required: ["name", "check", "uses"]))], required: ["skills"]),
        readOnly: true, destructive: false, idempotent: true, openWorld: false)

    public static let references = InteractiveTool(
        spec: ToolSpec(name: "references", description: "A host's reference files in the ops repo (the intended state each check compares with, and its sudoers reference), redacted.", fields: [host]),
        title: "A host's references",
        outputSchema: object(["host": string, "references": list(object(["path": string, "uri": string, "text": string], required: ["path", "text"]))],
                             required: ["host", "references"]),
        readOnly: true, destructive: false, idempotent: true, openWorld: false)

    public static let propose = InteractiveTool(
        spec: ToolSpec(name: "propose", description: "Propose one exact command for the operator's approval. It passes the same gate as Luna's own proposals and waits, awaiting_approval, on every configured approval channel; only the operator approves, and the daemon runs it. Returns the id and the approval card.", fields: [
            host, argv,
            .init("rationale", .string(maxLength: 2000), "Why, for the operator and the commit message."),
            .init("risk", .choice(["read-only", "mutating", "destructive"]), "How much the command changes."),
            .init("verify_argv", .strings(maxItems: 32, maxLength: 512), "A command from the host's declared read set that shows the fix worked; runs after the action without a second approval.", required: false),
            .init("expect", .string(maxLength: 200), "Text the verification must print.", required: false),
            .init("runas", .string(maxLength: 32), "The user it runs as through sudo (root when not given); the gate decides.", required: false),
            .init("finding", .integer(min: 1, max: Int(Int32.max)), "The open finding it fixes, when there is one.", required: false),
        ]),
        title: "Propose an action (for the operator's approval)",
        outputSchema: object(["id": integer, "state": string, "host": string, "argv": strings, "source": string, "digest": string,
                              "expiresAt": nullable("string"), "rule": nullable("string"), "channels": strings, "card": string],
                             required: ["id", "state", "source", "card"]),
        readOnly: false, destructive: false, idempotent: false, openWorld: false)

    public static let suggestNote = InteractiveTool(
        spec: ToolSpec(name: "suggest_note", description: "Suggest a memory note. It stays pending until the operator approves it with `luna memory approve`.", fields: [
            .init("title", .string(maxLength: 120), "A short title."),
            .init("body", .string(maxLength: 4000), "The note."),
            .init("host", .string(maxLength: 64), "The host it is about (every host when not given).", required: false),
        ]),
        title: "Suggest a memory note",
        outputSchema: object(["slug": string, "status": string, "approveWith": string], required: ["slug", "status", "approveWith"]),
        readOnly: false, destructive: false, idempotent: true, openWorld: false)

    public static let draftRunbook = InteractiveTool(
        spec: ToolSpec(name: "draft_runbook", description: "For what Luna must not do itself: commit a runbook draft under docs/runbooks/ in the ops repo, for the operator's own account.", fields: [
            host,
            .init("title", .string(maxLength: 120), "A short title."),
            .init("why", .string(maxLength: 2000), "Why Luna must not do it."),
            .init("steps_markdown", .string(maxLength: 8000), "The steps, as Markdown."),
            .init("finding", .integer(min: 1, max: Int(Int32.max)), "The finding it is about, when there is one.", required: false),
        ]),
        title: "Draft a runbook",
        outputSchema: object(["path": string, "commit": string, "uri": string], required: ["path", "commit"]),
        readOnly: false, destructive: false, idempotent: false, openWorld: false)

    /// All of them, in the order listed.
    public static let all = [findings, scan, allowed, inspect, proposal, memorySearch, skills, references, propose, suggestNote, draftRunbook]
}
