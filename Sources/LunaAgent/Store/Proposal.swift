import Foundation
import LunaCodec
import LunaStore
import LunaPolicy

/// A proposed action: exactly what would run, where, as whom, and why.
public struct Proposal: Sendable, Codable, Equatable {
    public var id: Int64
    public var findingID: Int64?
    /// The finding's summary when the proposal was made.
    public var findingSummary: String?
    public var host: String
    /// The identity Luna acts as (from the configuration, never from a planner).
    public var identity: String
    /// The user the command runs as through sudo.
    public var runas: String
    public var argv: [String]
    public var verifyArgv: [String]?
    public var expect: String?
    public var rationale: String
    /// Who made it.
    public var source: ProposalSource
    public var skill: String?
    public var risk: String
    public var state: ProposalState
    /// The terminal state it ended in (kept when the state moves on to `recorded`).
    public var outcome: ProposalState?
    public var gateOutcome: String?
    public var gateReasons: [String]
    /// The sudoers rule that decided, as `file:line: text`.
    public var gateRule: String?
    public var gateDetail: String?
    /// sha256 over everything that runs for this proposal: what an approval binds to.
    public var digest: String
    public var createdAt: String
    public var updatedAt: String
    public var expiresAt: String?
    public var commitID: String?
    public var notePath: String?

    /// The digest an approval binds to, computed from this proposal's fields.
    public var computedDigest: String {
        Self.digest(id: id, host: host, identity: identity, runas: runas, argv: argv, verifyArgv: verifyArgv, expect: expect)
    }

    /// sha256 over a length-prefixed encoding of everything Luna will run for
    /// the proposal — host, identity, runas, the action's argv, the verification
    /// argv and the output it must print — and the id, so no two different
    /// proposals share an encoding and an approval covers the verification too.
    public static func digest(id: Int64, host: String, identity: String, runas: String, argv: [String],
                              verifyArgv: [String]?, expect: String?) -> String {
        var fields = ["luna-proposal-v2", String(id), host, identity, runas, "argv", String(argv.count)] + argv
        if let verifyArgv { fields += ["verify", String(verifyArgv.count)] + verifyArgv } else { fields.append("no-verify") }
        if let expect { fields += ["expect", expect] } else { fields.append("no-expect") }
        return "sha256:" + SHA256.hex(fields.map { String($0.utf8.count) + ":" + $0 + ";" }.joined())
    }

    /// The first digest format (action argv only), to recognise rows written before v2.
    static func digestV1(id: Int64, host: String, identity: String, runas: String, argv: [String]) -> String {
        var text = ""
        for field in ["luna-proposal-v1", String(id), host, identity, runas] + argv {
            text += String(field.utf8.count) + ":" + field + ";"
        }
        return "sha256:" + SHA256.hex(text)
    }

    init(row: Row) {
        id = row.int("id") ?? 0
        findingID = row.int("finding_id")
        findingSummary = row.string("finding_summary")
        host = row.string("host") ?? ""
        identity = row.string("identity") ?? ""
        runas = row.string("runas") ?? ""
        argv = JSONValue.decodeStrings(row.string("argv")) ?? []
        verifyArgv = JSONValue.decodeStrings(row.string("verify_argv"))
        expect = row.string("expect")
        rationale = row.string("rationale") ?? ""
        source = ProposalSource(rawValue: row.string("source") ?? "")
        skill = row.string("skill")
        risk = row.string("risk") ?? ""
        state = ProposalState(rawValue: row.string("state") ?? "") ?? .proposed
        outcome = row.string("outcome").flatMap(ProposalState.init(rawValue:))
        gateOutcome = row.string("gate_outcome")
        gateReasons = JSONValue.decodeStrings(row.string("gate_reasons")) ?? []
        gateRule = row.string("gate_rule")
        gateDetail = row.string("gate_detail")
        digest = row.string("digest") ?? ""
        createdAt = row.string("created_at") ?? ""
        updatedAt = row.string("updated_at") ?? ""
        expiresAt = row.string("expires_at")
        commitID = row.string("commit_id")
        notePath = row.string("note_path")
    }
}


/// Timestamps as ISO 8601 UTC text, which sorts like time.
public enum Timestamp {
    public static func string(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: date)
    }

    public static func date(_ text: String?) -> Date? {
        guard let text else { return nil }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.date(from: text)
    }
}
