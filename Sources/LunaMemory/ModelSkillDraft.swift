import Foundation
import LunaCodec
import LunaText

/// A skill draft as the model proposed it (`draft_skill`), before quality control.
///
/// Untrusted: ``review(evidence:fallback:drafter:)`` turns it into a `Skill`
/// only when it describes and parameterises what ran without changing it.
public struct ModelSkillDraft: Sendable, Equatable {
    public var name: String
    public var description: String
    public var whenToUse: String
    public var procedure: String
    public var pitfalls: String
    public var verification: String
    public var argv: [String]
    public var verify: [String]
    public var expect: String?
    /// `key=value` entries.
    public var match: [String]

    /// Creates a draft from the tool's fields.
    public init(name: String, description: String, whenToUse: String, procedure: String, pitfalls: String,
                verification: String, argv: [String], verify: [String], expect: String?, match: [String]) {
        self.name = name
        self.description = description
        self.whenToUse = whenToUse
        self.procedure = procedure
        self.pitfalls = pitfalls
        self.verification = verification
        self.argv = argv
        self.verify = verify
        self.expect = expect
        self.match = match
    }

    /// Checks the draft against the evidence it was drafted from.
    ///
    /// Accepted only when: the name is a valid slug; the match entries are
    /// `key=value` with exactly the evidence's values, and every parameter the
    /// templates do not use is matched (so the skill is never broader than
    /// what was shown to work); the steps pass `SkillValidator` (the gate's
    /// structural rules); and the templates, filled from the evidence's
    /// parameters, give back exactly the executed argv, verification argv and
    /// expectation. The check and the risk come from the evidence and the
    /// deterministic draft, never from the model.
    ///
    /// - Parameters:
    ///   - evidence: The executed, verified proposal.
    ///   - fallback: Luna's deterministic draft from the same evidence (its risk is kept).
    ///   - drafter: The provenance stored as `drafted-by` (e.g. `model claude-x`).
    /// - Returns: The skill, or every problem found.
    public func review(evidence: SkillEvidence, fallback: Skill, drafter: String) -> Result<Skill, ModelDraftRefusal> {
        var problems: [String] = []
        let name = name.trimmingCharacters(in: .whitespaces)
        if SkillFormat.nameProblem(name) != nil {
            problems.append("name '\(Clip.characters(name, 60))' is not an Agent Skills name (lowercase letters, digits and single '-' inside, at most 64)")
        }
        let oneLine = { (s: String) in s.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces) }
        let description = oneLine(description)
        if description.isEmpty { problems.append("the description is empty") }
        var match: [String: String] = [:]
        for entry in self.match {
            guard let eq = entry.firstIndex(of: "=") else { problems.append("match entry '\(Clip.characters(entry, 60))' is not key=value"); continue }
            let key = String(entry[..<eq]), value = String(entry[entry.index(after: eq)...])
            guard let actual = evidence.identity[key] else {
                problems.append("match key '\(Clip.characters(key, 60))' is not a parameter of the finding (\(evidence.identity.keys.sorted().joined(separator: ", ")))")
                continue
            }
            if actual != value { problems.append("match \(Clip.characters(key, 60))=\(Clip.characters(value, 60)) differs from the finding's value '\(Clip.characters(actual, 60))'") }
            if match[key] != nil { problems.append("match key '\(Clip.characters(key, 60))' is given twice") }
            match[key] = value
        }
        let expect = self.expect.flatMap { $0.isEmpty ? nil : $0 }
        var skill = Skill(name: name, description: description, check: evidence.check, match: match, argv: argv,
                          verify: verify.isEmpty ? nil : verify, expect: expect, risk: fallback.risk, body: "", file: "",
                          draftedBy: drafter)
        // One fix is evidence for that finding only: every identifying field (each parameter, used as a
        // placeholder or not, and the subject) must be matched, or the skill would fire on findings
        // unlike the evidence. Verified fixes of other findings generalise a draft later (SkillRegistry.distill).
        let loose = evidence.identity.keys.filter { match[$0] == nil }.sorted()
        if !loose.isEmpty {
            problems.append("match leaves out \(loose.joined(separator: ", ")): one fix is evidence for that finding only, so the skill would be broader than the evidence")
        }
        problems += SkillValidator.problems(skill)
        if let instance = skill.instantiate(params: evidence.identity) {
            if instance.argv != evidence.argv {
                problems.append("argv filled from the finding is \(Self.json(instance.argv)), but \(Self.json(evidence.argv)) ran")
            }
            if instance.verify != evidence.verify {
                problems.append("verify_argv filled from the finding is \(instance.verify.map(Self.json) ?? "none"), but \(evidence.verify.map(Self.json) ?? "none") ran")
            }
            if instance.expect != evidence.expect {
                problems.append("expect filled from the finding is '\(Clip.characters(instance.expect ?? "none", 60))', but '\(Clip.characters(evidence.expect ?? "none", 60))' was expected")
            }
        } else {
            problems.append("a placeholder has no value among the finding's parameters (\(evidence.identity.keys.sorted().joined(separator: ", ")))")
        }
        guard problems.isEmpty else { return .failure(ModelDraftRefusal(problems: problems)) }
        let section = { (title: String, text: String) in "## \(title)\n\n" + text.trimmingCharacters(in: .whitespacesAndNewlines) }
        skill.body = [
            section("When to use", whenToUse),
            section("Procedure", procedure),
            section("Pitfalls", pitfalls),
            section("Verification", verification),
            "Drafted by \(drafter) from proposal \(evidence.proposalID) on \(evidence.host), which succeeded and passed its verification; Luna checked that the templates give back exactly the commands that ran.",
        ].joined(separator: "\n\n")
        // What the operator reviews is the stored files (SKILL.md and luna.json): they must parse back to the same steps.
        guard let reparsed = try? Skill.parse(skill.render(), file: "model draft"), reparsed.fingerprint == skill.fingerprint,
              reparsed.name == skill.name, reparsed.description == skill.description else {
            return .failure(ModelDraftRefusal(problems: ["the draft does not parse back from SKILL.md to the same skill"]))
        }
        return .success(skill)
    }

    static func json(_ a: [String]) -> String {
        JSONValue.encode(a)
    }
}

/// Why a model's skill draft was not accepted.
public struct ModelDraftRefusal: Error, CustomStringConvertible, Sendable, Equatable {
    public var problems: [String]

    public init(problems: [String]) { self.problems = problems }

    public var description: String { problems.joined(separator: "; ") }
}
