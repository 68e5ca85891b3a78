import Foundation

/// An error in a skill file, naming the file and line.
public struct SkillError: Error, CustomStringConvertible, Sendable, Equatable {
    public var file: String
    public var line: Int
    public var message: String

    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String { line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)" }
}

/// A reviewed procedure that turns a kind of finding into an exact proposal.
///
/// Stored as a folder `skills/<name>/` (see `SkillFormat`): a portable
/// `SKILL.md` (Agent Skills front matter `name` and `description`, then a
/// Markdown body: When to use, Procedure, Pitfalls, Verification) and Luna's
/// procedure in `luna.json`:
///
/// ```
/// {
///   "argv" : ["/usr/bin/chmod", "{expected}", "{path}"],
///   "check" : "files",
///   "drafted-by" : "luna",
///   "expect" : "{expected}",
///   "match" : {"aspect" : "mode"},
///   "risk" : "mutating",
///   "verify" : ["/usr/bin/stat", "-c", "%04a", "{path}"]
/// }
/// ```
///
/// `{param}` placeholders are filled per argv element from the finding's
/// parameters, which come from references and configuration, never from live
/// output; a filled value can never split into several arguments.
public struct Skill: Sendable, Codable, Equatable {
    public var name: String
    public var description: String
    /// The drift check whose findings this skill handles.
    public var check: String
    /// Finding parameters that must have exactly these values.
    public var match: [String: String]
    /// The action's argv template.
    public var argv: [String]
    /// The verification argv template (read-only), if any.
    public var verify: [String]?
    /// What the verification must print (trimmed), if anything; else exit 0 passes.
    public var expect: String?
    /// The skill author's risk class: `read-only`, `mutating` or `destructive`.
    public var risk: String
    /// The Markdown body.
    public var body: String
    /// Where the skill was loaded from.
    public var file: String
    /// Who drafted it: `luna` (deterministically, from the executed steps) or
    /// `model <name>`; nil for a skill written by hand. Kept in `luna.json` as `drafted-by`.
    public var draftedBy: String? = nil

    /// A proposal's concrete steps made from a skill and a finding.
    public struct Instance: Sendable, Equatable {
        public var argv: [String]
        public var verify: [String]?
        public var expect: String?
    }

    /// Whether this skill handles a finding of `check` with `params`.
    public func matches(check: String, params: [String: String]) -> Bool {
        guard check == self.check else { return false }
        return match.allSatisfy { params[$0.key] == $0.value }
    }

    /// Fills the templates from `params`; nil when a placeholder has no value.
    public func instantiate(params: [String: String]) -> Instance? {
        func fill(_ template: String) -> String? {
            var out = ""
            var rest = Substring(template)
            while let open = rest.firstIndex(of: "{") {
                out += rest[..<open]
                guard let close = rest[open...].firstIndex(of: "}") else { return nil }
                let key = String(rest[rest.index(after: open)..<close])
                guard let value = params[key] else { return nil }
                out += value
                rest = rest[rest.index(after: close)...]
            }
            return out + rest
        }
        var argv: [String] = []
        for t in self.argv { guard let v = fill(t) else { return nil }; argv.append(v) }
        var verify: [String]? = nil
        if let templates = self.verify {
            var v: [String] = []
            for t in templates { guard let x = fill(t) else { return nil }; v.append(x) }
            verify = v
        }
        var expect: String? = nil
        if let e = self.expect { guard let x = fill(e) else { return nil }; expect = x }
        return Instance(argv: argv, verify: verify, expect: expect)
    }
}
