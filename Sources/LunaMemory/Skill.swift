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
/// Stored as `skills/<name>/SKILL.md`: front matter compatible with the
/// agentskills.io format (`name`, `description`) plus Luna's fields, then a
/// Markdown body (When to use, Procedure, Pitfalls, Verification). Front-matter
/// values are plain text, or JSON for arrays and objects:
///
/// ```
/// ---
/// name: restore-file-mode
/// description: Restore a file's mode to its reference.
/// check: files
/// match: {"aspect": "mode"}
/// argv: ["/usr/bin/chmod", "{expected}", "{path}"]
/// verify: ["/usr/bin/stat", "-c", "%04a", "{path}"]
/// expect: {expected}
/// risk: mutating
/// drafted-by: luna
/// ---
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
    /// `model <name>`; nil for a skill written by hand. Kept in the SKILL.md
    /// front matter as `drafted-by`, which agentskills.io readers ignore.
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

extension Skill {
    /// Parses a SKILL.md text.
    ///
    /// - Throws: `SkillError` naming the line of a missing or malformed field.
    public static func parse(_ text: String, file: String) throws(SkillError) -> Skill {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0) }
        guard lines.first?.trimmingCharacters(in: .whitespaces) == "---" else {
            throw SkillError(file: file, line: 1, message: "expected front matter starting with '---'")
        }
        var fields: [String: (value: String, line: Int)] = [:]
        var end: Int? = nil
        for (i, raw) in lines.enumerated().dropFirst() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line == "---" { end = i; break }
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":") else {
                throw SkillError(file: file, line: i + 1, message: "expected 'key: value'")
            }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            guard fields[key] == nil else { throw SkillError(file: file, line: i + 1, message: "duplicate key '\(key)'") }
            fields[key] = (value, i + 1)
        }
        guard let end else { throw SkillError(file: file, line: 1, message: "the front matter opened here is not closed with '---'") }

        func required(_ key: String) throws(SkillError) -> (value: String, line: Int) {
            guard let f = fields[key], !f.value.isEmpty else {
                throw SkillError(file: file, line: 1, message: "missing required field '\(key)'")
            }
            return f
        }
        func stringArray(_ key: String) throws(SkillError) -> [String]? {
            guard let f = fields[key] else { return nil }
            guard let data = f.value.data(using: .utf8),
                  let array = try? JSONSerialization.jsonObject(with: data) as? [Any],
                  let strings = array as? [String], strings.count == array.count, !strings.isEmpty else {
                throw SkillError(file: file, line: f.line, message: "'\(key)' must be a JSON array of strings, like [\"/usr/bin/true\"]")
            }
            return strings
        }
        let name = try required("name").value
        guard name.range(of: "^[a-z0-9][a-z0-9-]{0,63}$", options: .regularExpression) != nil else {
            throw SkillError(file: file, line: fields["name"]!.line, message: "name must be lowercase letters, digits and '-', at most 64 characters")
        }
        let description = try required("description").value
        let check = try required("check").value
        var match: [String: String] = [:]
        if let f = fields["match"] {
            guard let data = f.value.data(using: .utf8),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let strings = object as? [String: String], strings.count == object.count else {
                throw SkillError(file: file, line: f.line, message: "'match' must be a JSON object of strings, like {\"aspect\": \"mode\"}")
            }
            match = strings
        }
        guard let argv = try stringArray("argv") else {
            throw SkillError(file: file, line: 1, message: "missing required field 'argv'")
        }
        let verify = try stringArray("verify")
        let risk = try required("risk")
        guard ["read-only", "mutating", "destructive"].contains(risk.value) else {
            throw SkillError(file: file, line: risk.line, message: "risk must be read-only, mutating or destructive, found '\(risk.value)'")
        }
        let body = lines[(end + 1)...].joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        return Skill(name: name, description: description, check: check, match: match, argv: argv,
                     verify: verify, expect: fields["expect"]?.value, risk: risk.value, body: body, file: file,
                     draftedBy: fields["drafted-by"].flatMap { $0.value.isEmpty ? nil : $0.value })
    }
}
