import Foundation
import LunaCodec

/// What one executed, verified proposal teaches: the raw material of a skill draft.
public struct SkillEvidence: Sendable, Equatable {
    public var proposalID: Int64
    public var host: String
    /// The drift check of the finding the proposal solved.
    public var check: String
    /// The finding's parameters (from references and configuration).
    public var params: [String: String]
    /// The finding's subject (the path, the listener, the unit): what identifies it.
    public var subject: String
    public var summary: String
    public var argv: [String]
    public var verify: [String]?
    public var expect: String?
    public var risk: String

    /// Creates evidence from an executed proposal.
    public init(proposalID: Int64, host: String, check: String, params: [String: String], subject: String, summary: String,
                argv: [String], verify: [String]?, expect: String?, risk: String) {
        self.proposalID = proposalID
        self.host = host
        self.check = check
        self.params = params
        self.subject = subject
        self.summary = summary
        self.argv = argv
        self.verify = verify
        self.expect = expect
        self.risk = risk
    }

    /// Every field that identifies the finding: its parameters and its subject
    /// (as `subject`). What a skill matches on; see `Skill.matchFields(params:subject:)`.
    public var identity: [String: String] { Skill.matchFields(params: params, subject: subject) }
}

extension Skill {
    /// What a finding offers a skill to match on and fill placeholders from:
    /// its parameters, and its subject under the key `subject` (a parameter of
    /// that name, if a check ever had one, wins).
    public static func matchFields(params: [String: String], subject: String) -> [String: String] {
        params.merging(["subject": subject]) { parameter, _ in parameter }
    }

    /// A deterministic draft from evidence: literal parameter values in the
    /// argv, the verification and the expectation become `{param}`
    /// placeholders, and `match` holds *every* identifying field of the finding
    /// (its parameters and its subject), so a draft from one fix covers only
    /// that finding when it comes back. It becomes broader only when verified
    /// fixes of other findings show the same templates work for other values
    /// (`SkillRegistry.distill` generalises a pending draft then, and says so).
    ///
    /// Whole arguments equal to a value are replaced; inside an argument only
    /// values that look like paths (contain `/`) are, longest first, so a short
    /// value like `mode` never rewrites unrelated text.
    public static func draft(from e: SkillEvidence) -> Skill {
        let byLength = e.params.filter { !$0.value.isEmpty }.sorted { ($0.value.count, $1.key) > ($1.value.count, $0.key) }
        var used = Set<String>()
        func template(_ s: String) -> String {
            if let whole = byLength.first(where: { $0.value == s }) { used.insert(whole.key); return "{\(whole.key)}" }
            var out = s
            for (key, value) in byLength where value.contains("/") && out.contains(value) {
                out = out.replacingOccurrences(of: value, with: "{\(key)}")
                used.insert(key)
            }
            return out
        }
        // argv[0] stays literal: the program is what the skill is about.
        let argv = e.argv.isEmpty ? [] : [e.argv[0]] + e.argv.dropFirst().map(template)
        let verify = e.verify.map { v in v.isEmpty ? v : [v[0]] + v.dropFirst().map(template) }
        let expect = e.expect.map(template)
        let match = e.identity
        let program = ((e.argv.first ?? "action") as NSString).lastPathComponent
        let unused = e.params.filter { !used.contains($0.key) }
        var nameParts = [e.check, program] + unused.keys.sorted().map { unused[$0]! }
        nameParts = nameParts.map { MemoryNote.slug(from: $0) }
        let name = String(nameParts.joined(separator: "-").prefix(56)).trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        let shown = { (a: [String]) in a.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ") }
        let body = """
            ## When to use

            The \(e.check) check found "\(e.summary.replacingOccurrences(of: "\n", with: " "))".
            Drafted by Luna from proposal \(e.proposalID) on \(e.host), which succeeded: the \(e.check) check no longer reported the finding afterwards.
            It matches only this finding (\(match.keys.sorted().map { "\($0)=\(match[$0]!)" }.joined(separator: ", "))) until verified fixes of
            findings with other values show the same steps work for them.

            ## Procedure

            1. `\(shown(argv))` as luna through sudo.

            ## Pitfalls

            - Drafted from one success: check that the reference, not the host, is right before approving.
            - To cover more findings by hand, remove a field from `match` with `luna skills edit` (the steps must still be right for every value).

            ## Verification

            The \(e.check) check, run again after the fix, no longer reports the finding\(verify.map { "; and `\(shown($0))`" + (expect.map { " prints `\($0)`." } ?? " exits 0.") } ?? ".")
            """
        return Skill(name: name.isEmpty ? "skill" : name, description: "Fix \(e.check) drift with \(program) (drafted from proposal \(e.proposalID)).",
                     check: e.check, match: match, argv: argv, verify: verify, expect: expect,
                     risk: e.risk == "read-only" ? "read-only" : "mutating", body: body, file: "", draftedBy: "luna")
    }

    /// What makes two skills the same: check, match and steps (not name or prose).
    public var fingerprint: String {
        let pairs = match.keys.sorted().map { JSONValue([$0, match[$0]!]) }
        return JSONValue.array([.string(check), .array(pairs), JSONValue(argv), JSONValue(verify ?? []), .string(expect ?? "")]).text
    }
}
