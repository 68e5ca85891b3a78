import Foundation
import LunaCodec
import LunaText

/// A skill folder's files: a portable `SKILL.md` and Luna's procedure `luna.json`.
///
/// `SKILL.md` holds only what the Agent Skills specification defines in its
/// front matter (`name`, `description`, optionally `license`, `compatibility`,
/// `metadata`, `allowed-tools`), so any Agent Skills reader — the reference
/// validator, Claude Code, Hermes — takes it as it is. The machine-readable
/// procedure (check, match, argv and verify templates, expect, risk,
/// provenance) is a bundled file, `luna.json`, that the body refers to: JSON
/// is strictly typed, so `"expect": "{expected}"` stays a string, where a YAML
/// loader would read `expect: {expected}` as a mapping.
///
/// Luna still reads its previous format (the procedure in the front matter,
/// arrays and objects as JSON) and writes only this one.
public enum SkillFormat {
    /// The skill document every Agent Skills reader looks for.
    public static let markdownFile = "SKILL.md"
    /// Luna's machine-readable procedure, beside `SKILL.md`.
    public static let procedureFile = "luna.json"
    /// The front-matter fields the Agent Skills specification allows.
    public static let specFields: Set<String> = ["name", "description", "license", "compatibility", "metadata", "allowed-tools"]
    /// The procedure fields of Luna's previous format, kept in the front matter.
    public static let legacyFields: Set<String> = ["check", "match", "argv", "verify", "expect", "risk", "drafted-by"]
    /// The keys `luna.json` may hold.
    public static let procedureKeys: Set<String> = ["check", "match", "argv", "verify", "expect", "risk", "drafted-by"]
    /// The `metadata` key of a reference skill naming the checks it applies to (space- or comma-separated).
    public static let appliesToKey = "luna-applies-to"

    /// A skill folder's document, classified.
    public enum Document: Sendable, Equatable {
        /// A skill Luna can plan from (new format, or the previous one when `legacy`).
        case procedure(Skill, legacy: Bool)
        /// A plain Agent Skills skill without Luna's procedure: context for the planner, never an argv.
        case reference(ReferenceSkill)
    }

    /// The problem with a skill name under the Agent Skills rules, or nil when it is fine.
    ///
    /// 1–64 characters, lowercase ASCII letters, digits and `-`, not starting
    /// or ending with `-`, no `--`.
    public static func nameProblem(_ name: String) -> String? {
        if name.isEmpty { return "the name is empty" }
        if name.count > 64 { return "the name has \(name.count) characters; at most 64" }
        if name.range(of: "^[a-z0-9-]+$", options: .regularExpression) == nil { return "the name '\(name)' may hold only lowercase letters, digits and '-'" }
        if name.hasPrefix("-") || name.hasSuffix("-") { return "the name '\(name)' must not start or end with '-'" }
        if name.contains("--") { return "the name '\(name)' must not contain '--'" }
        return nil
    }

    /// `name` made valid under the Agent Skills rules (runs of `-` collapsed, ends trimmed, at most 64).
    public static func portableName(_ name: String) -> String {
        var s = name.lowercased().map { ($0.isASCII && ($0.isLetter || $0.isNumber)) ? String($0) : "-" }.joined()
        s = s.split(separator: "-").joined(separator: "-")
        s = String(s.prefix(64))
        while s.hasSuffix("-") { s.removeLast() }
        return s.isEmpty ? "skill" : s
    }

    /// Reads a skill folder's `SKILL.md` text and its `luna.json` text (nil when the folder has none).
    ///
    /// - Throws: `SkillError` naming the file and line of the first problem.
    public static func read(markdown: String, procedure: String?, file: String, procedureFile: String? = nil) throws(SkillError) -> Document {
        let front = try FrontMatter.read(markdown, file: file)
        let legacy = front.keys.filter { legacyFields.contains($0) }
        if !legacy.isEmpty {
            if procedure != nil {
                throw SkillError(file: file, line: front.entries[legacy.sorted()[0]]?.line ?? 1,
                                 message: "procedure fields in the front matter and a \(procedureFile.map { ($0 as NSString).lastPathComponent } ?? Self.procedureFile) beside it: keep only luna.json")
            }
            return .procedure(try legacySkill(front, file: file), legacy: true)
        }
        let name = try front.required("name")
        if let problem = nameProblem(name.value), name.value.range(of: "^[a-z0-9][a-z0-9-]{0,63}$", options: .regularExpression) == nil {
            throw SkillError(file: file, line: name.line, message: problem)
        }
        let description = try front.required("description")
        guard let procedure else {
            let applies = front.metadata[appliesToKey]?.value
                .split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init) ?? []
            return .reference(ReferenceSkill(name: name.value, description: description.value, body: front.body,
                                             file: file, appliesTo: applies))
        }
        let p = try Procedure.parse(procedure, file: procedureFile ?? ((file as NSString).deletingLastPathComponent + "/" + Self.procedureFile))
        return .procedure(Skill(name: name.value, description: description.value, check: p.check, match: p.match, argv: p.argv,
                                verify: p.verify, expect: p.expect, risk: p.risk, body: front.body, file: file,
                                draftedBy: p.draftedBy), legacy: false)
    }

    /// The previous format: the procedure in the front matter, arrays and objects as JSON.
    static func legacySkill(_ front: FrontMatter, file: String) throws(SkillError) -> Skill {
        func stringArray(_ key: String) throws(SkillError) -> [String]? {
            guard let f = front.entries[key] else { return nil }
            guard let strings = (try? JSONValue.parse(f.raw))?.stringArrayValue, !strings.isEmpty else {
                throw SkillError(file: file, line: f.line, message: "'\(key)' must be a JSON array of strings, like [\"/usr/bin/true\"]")
            }
            return strings
        }
        let name = try front.required("name")
        guard name.value.range(of: "^[a-z0-9][a-z0-9-]{0,63}$", options: .regularExpression) != nil else {
            throw SkillError(file: file, line: name.line, message: "name must be lowercase letters, digits and '-', at most 64 characters")
        }
        let description = try front.required("description").value
        let check = try front.required("check").value
        var match: [String: String] = [:]
        if let f = front.entries["match"] {
            guard let strings = (try? JSONValue.parse(f.raw))?.stringObjectValue else {
                throw SkillError(file: file, line: f.line, message: "'match' must be a JSON object of strings, like {\"aspect\": \"mode\"}")
            }
            match = strings
        }
        guard let argv = try stringArray("argv") else {
            throw SkillError(file: file, line: 1, message: "missing required field 'argv'")
        }
        let verify = try stringArray("verify")
        let risk = try front.required("risk")
        guard ["read-only", "mutating", "destructive"].contains(risk.value) else {
            throw SkillError(file: file, line: risk.line, message: "risk must be read-only, mutating or destructive, found '\(risk.value)'")
        }
        return Skill(name: name.value, description: description, check: check, match: match, argv: argv,
                     verify: verify, expect: front.entries["expect"]?.raw, risk: risk.value, body: front.body, file: file,
                     draftedBy: front.entries["drafted-by"].flatMap { $0.raw.isEmpty ? nil : $0.raw })
    }

    /// Luna's procedure file, strictly typed: unknown keys and wrong types are errors.
    struct Procedure {
        var check: String
        var match: [String: String]
        var argv: [String]
        var verify: [String]?
        var expect: String?
        var risk: String
        var draftedBy: String?

        static func parse(_ text: String, file: String) throws(SkillError) -> Procedure {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            func line(_ key: String) -> Int { (lines.firstIndex { $0.contains("\"\(key)\"") } ?? 0) + 1 }
            guard let object = (try? JSONValue.parse(text))?.objectValue else {
                throw SkillError(file: file, line: 1, message: "not a JSON object — write it as {\"check\": …, \"argv\": […], \"risk\": …}")
            }
            for key in object.keys.sorted() where !procedureKeys.contains(key) {
                throw SkillError(file: file, line: line(key), message: "unknown key '\(key)' (allowed: \(procedureKeys.sorted().joined(separator: ", ")))")
            }
            func string(_ key: String, required: Bool) throws(SkillError) -> String? {
                guard let v = object[key] else {
                    if required { throw SkillError(file: file, line: 1, message: "missing required key '\(key)'") }
                    return nil
                }
                guard let s = v.stringValue else { throw SkillError(file: file, line: line(key), message: "'\(key)' must be a string") }
                if required && s.isEmpty { throw SkillError(file: file, line: line(key), message: "'\(key)' is empty") }
                return s
            }
            func strings(_ key: String) throws(SkillError) -> [String]? {
                guard let v = object[key] else { return nil }
                guard let s = v.stringArrayValue, !s.isEmpty else {
                    throw SkillError(file: file, line: line(key), message: "'\(key)' must be a non-empty array of strings, like [\"/usr/bin/true\"]")
                }
                return s
            }
            let check = try string("check", required: true)!
            var match: [String: String] = [:]
            if let v = object["match"] {
                guard let s = v.stringObjectValue else {
                    throw SkillError(file: file, line: line("match"), message: "'match' must be an object of strings, like {\"aspect\": \"mode\"}")
                }
                match = s
            }
            guard let argv = try strings("argv") else { throw SkillError(file: file, line: 1, message: "missing required key 'argv'") }
            let risk = try string("risk", required: true)!
            guard ["read-only", "mutating", "destructive"].contains(risk) else {
                throw SkillError(file: file, line: line("risk"), message: "risk must be read-only, mutating or destructive, found '\(risk)'")
            }
            return Procedure(check: check, match: match, argv: argv, verify: try strings("verify"),
                             expect: try string("expect", required: false), risk: risk,
                             draftedBy: try string("drafted-by", required: false).flatMap { $0.isEmpty ? nil : $0 })
        }
    }

    /// A YAML scalar for a one-line value: plain when every YAML loader reads it as this very string, else double-quoted.
    public static func yamlScalar(_ value: String) -> String {
        let v = value.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        if yamlPlainProblem(v) == nil { return v }
        return JSONValue.string(v).text   // a JSON string is a YAML double-quoted scalar
    }

    /// Why a plain (unquoted) YAML scalar would not be read as this string, or nil when it would.
    public static func yamlPlainProblem(_ v: String) -> String? {
        guard let first = v.first else { return "it is empty" }
        if "{[]},&*!|>'\"%@`#?:-".contains(first) && !(first == "-" && v.count > 1 && v.dropFirst().first != " ") {
            return "it starts with '\(first)', which YAML reads as syntax"
        }
        if v.contains(": ") || v.hasSuffix(":") { return "it contains ': ', which YAML reads as a mapping" }
        if v.contains(" #") { return "it contains ' #', which YAML reads as a comment" }
        if v != v.trimmingCharacters(in: .whitespaces) { return "it has leading or trailing blanks" }
        if ["true", "false", "null", "~", "yes", "no", "on", "off"].contains(v.lowercased()) || Double(v) != nil {
            return "YAML reads '\(v)' as a boolean, null or number"
        }
        if v.contains("\t") { return "it contains a tab" }
        return nil
    }
}

/// A plain Agent Skills skill (Claude Code, Hermes …) without Luna's procedure.
///
/// Its body is given to the model planner as recon context for findings it
/// applies to; it never plans an argv by itself.
public struct ReferenceSkill: Sendable, Codable, Equatable {
    public var name: String
    public var description: String
    public var body: String
    public var file: String
    /// Checks it applies to (`metadata: luna-applies-to`); empty: matched by its name and description words.
    public var appliesTo: [String]

    public init(name: String, description: String, body: String, file: String, appliesTo: [String] = []) {
        self.name = name
        self.description = description
        self.body = body
        self.file = file
        self.appliesTo = appliesTo
    }

    /// Whether it is context for a finding of `check` with `summary`.
    ///
    /// With `luna-applies-to`, exactly those checks. Otherwise the check's name
    /// must be one of the skill's name or description words, or two of the
    /// summary's words of four letters or more must be.
    public func applies(check: String, summary: String) -> Bool {
        if !appliesTo.isEmpty { return appliesTo.contains(check) }
        func words(_ s: String) -> Set<String> {
            Set(s.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init))
        }
        let own = words(name + " " + description)
        if own.contains(check.lowercased()) { return true }
        let common = words(summary).filter { $0.count >= 4 && !Self.stopWords.contains($0) }.intersection(own)
        return common.count >= 2
    }

    static let stopWords: Set<String> = ["with", "from", "that", "this", "have", "when", "what", "which", "their", "there", "reference", "found", "file", "files"]
}

/// A `SKILL.md` front matter, read by the small subset of YAML it may hold.
///
/// Top-level `key: value` lines; a value is plain, single- or double-quoted,
/// a block scalar (`|` or `>`) over the indented lines below, or — for
/// `metadata` — a mapping of indented `key: value` lines. Anything else is an
/// error with its line, never a guess.
struct FrontMatter {
    struct Entry {
        /// The value as read (unquoted, blocks joined).
        var value: String
        /// The text after the colon, trimmed (what the previous format kept as JSON).
        var raw: String
        var line: Int
        /// Whether the value was written as a plain scalar on its line.
        var plain: Bool
    }
    var entries: [String: Entry] = [:]
    var keys: [String] = []
    /// `metadata` entries, with their lines.
    var metadata: [String: Entry] = [:]
    /// Whether `metadata` held something other than a mapping of strings.
    var metadataProblem: (line: Int, message: String)? = nil
    var body = ""
    var file = ""
    /// The line numbers of the opening and closing `---`.
    var closingLine = 0

    func required(_ key: String) throws(SkillError) -> Entry {
        guard let e = entries[key], !e.value.isEmpty else {
            throw SkillError(file: file, line: 1, message: "missing required field '\(key)'")
        }
        return e
    }

    static func read(_ text: String, file: String) throws(SkillError) -> FrontMatter {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0.hasSuffix("\r") ? $0.dropLast() : $0) }
        guard lines.first?.trimmingCharacters(in: .whitespaces) == "---" else {
            throw SkillError(file: file, line: 1, message: "expected front matter starting with '---'")
        }
        guard let end = lines.indices.dropFirst().first(where: { lines[$0].trimmingCharacters(in: .whitespaces) == "---" }) else {
            throw SkillError(file: file, line: 1, message: "the front matter opened here is not closed with '---'")
        }
        var fm = FrontMatter()
        fm.file = file
        fm.closingLine = end + 1
        var i = 1
        func indented(_ s: String) -> Bool { s.first == " " || s.first == "\t" }
        while i < end {
            let raw = lines[i]
            let trimmed = raw.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { i += 1; continue }
            guard !indented(raw) else { throw SkillError(file: file, line: i + 1, message: "unexpected indented line") }
            guard let colon = raw.firstIndex(of: ":") else {
                throw SkillError(file: file, line: i + 1, message: "expected 'key: value'")
            }
            let key = raw[..<colon].trimmingCharacters(in: .whitespaces)
            let after = raw[raw.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            guard fm.entries[key] == nil else { throw SkillError(file: file, line: i + 1, message: "duplicate key '\(key)'") }
            let line = i + 1
            // The indented lines that continue this entry.
            var j = i + 1
            while j < end, lines[j].trimmingCharacters(in: .whitespaces).isEmpty || indented(lines[j]) { j += 1 }
            var k = j
            while k > i + 1, lines[k - 1].trimmingCharacters(in: .whitespaces).isEmpty { k -= 1 }
            let continuation = Array(lines[(i + 1)..<k])
            var entry = Entry(value: after, raw: after, line: line, plain: true)
            if after.isEmpty, !continuation.isEmpty {
                // A nested mapping (only `metadata` may hold one).
                entry.plain = false
                if key == "metadata" {
                    for (n, l) in continuation.enumerated() {
                        let t = l.trimmingCharacters(in: .whitespaces)
                        if t.isEmpty || t.hasPrefix("#") { continue }
                        guard let c = t.firstIndex(of: ":") else {
                            fm.metadataProblem = (line + n + 1, "metadata must be a mapping of 'key: value' strings")
                            continue
                        }
                        let mk = t[..<c].trimmingCharacters(in: .whitespaces)
                        let mv = t[t.index(after: c)...].trimmingCharacters(in: .whitespaces)
                        if mv.isEmpty { fm.metadataProblem = (line + n + 1, "metadata '\(mk)' must be a string, not a nested mapping or list") }
                        fm.metadata[mk] = Entry(value: try scalar(mv, file: file, line: line + n + 1), raw: mv, line: line + n + 1, plain: !mv.hasPrefix("\"") && !mv.hasPrefix("'"))
                    }
                } else {
                    entry.value = continuation.map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
                }
            } else if after.hasPrefix("|") || after.hasPrefix(">") {
                entry.plain = false
                let texts = continuation.map { $0.trimmingCharacters(in: .whitespaces) }
                entry.value = (after.hasPrefix("|") ? texts.joined(separator: "\n") : texts.joined(separator: " "))
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            } else if !continuation.isEmpty && !after.hasPrefix("\"") && !after.hasPrefix("'") {
                // A plain scalar folded over several lines.
                entry.value = ([after] + continuation.map { $0.trimmingCharacters(in: .whitespaces) }).joined(separator: " ")
            } else {
                entry.plain = !(after.hasPrefix("\"") || after.hasPrefix("'"))
                entry.value = try scalar(after, file: file, line: line)
            }
            fm.entries[key] = entry
            fm.keys.append(key)
            i = k
        }
        fm.body = lines[(end + 1)...].joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        return fm
    }

    /// A one-line scalar's value: quotes removed and escapes read.
    static func scalar(_ s: String, file: String, line: Int) throws(SkillError) -> String {
        if s.hasPrefix("\"") {
            guard s.count >= 2, s.hasSuffix("\""), let a = (try? JSONValue.parse("[\(s)]"))?.stringArrayValue, a.count == 1 else {
                throw SkillError(file: file, line: line, message: "a double-quoted value must be closed on its line")
            }
            return a[0]
        }
        if s.hasPrefix("'") {
            guard s.count >= 2, s.hasSuffix("'") else { throw SkillError(file: file, line: line, message: "a single-quoted value must be closed on its line") }
            return String(s.dropFirst().dropLast()).replacingOccurrences(of: "''", with: "'")
        }
        return s
    }
}

extension Skill {
    /// Parses a skill from stored text: a `SKILL.md` of the previous format, or a
    /// draft bundle (`{"SKILL.md": …, "luna.json": …}`, as ``render()`` writes).
    ///
    /// - Throws: `SkillError` naming the line of a missing or malformed field;
    ///   a plain `SKILL.md` without Luna's procedure is refused here (it is a reference skill).
    public static func parse(_ text: String, file: String) throws(SkillError) -> Skill {
        var markdown = text
        var procedure: String? = nil
        if text.drop(while: { $0 == " " || $0 == "\n" }).hasPrefix("{") {
            guard let object = (try? JSONValue.parse(text))?.stringObjectValue,
                  let md = object[SkillFormat.markdownFile] else {
                throw SkillError(file: file, line: 1, message: "a stored draft must be {\"SKILL.md\": …, \"luna.json\": …}")
            }
            markdown = md
            procedure = object[SkillFormat.procedureFile]
        }
        switch try SkillFormat.read(markdown: markdown, procedure: procedure, file: file,
                                    procedureFile: procedure == nil ? nil : file + " (luna.json)") {
        case .procedure(let skill, _): return skill
        case .reference:
            throw SkillError(file: file, line: 1, message: "missing Luna's procedure (luna.json): this is a reference skill, which never plans an argv")
        }
    }

    /// The `SKILL.md` text: only Agent Skills fields in the front matter, the body pointing at `luna.json`.
    ///
    /// Like a memory note, every field is rendered with `InertText` (the body
    /// keeps its lines): model-written prose never carries a control or bidi
    /// character into a file other agents and terminals read.
    public func markdown() -> String {
        var text = "---\nname: \(InertText.render(name))\ndescription: \(SkillFormat.yamlScalar(InertText.render(description)))\n"
        text += "metadata:\n  luna-procedure: \(SkillFormat.procedureFile)\n---\n\n"
        var body = InertText.render(self.body.trimmingCharacters(in: .whitespacesAndNewlines), multiline: true)
        if !body.contains(SkillFormat.procedureFile) {
            body += (body.isEmpty ? "" : "\n\n") + Self.procedureSection
        }
        return text + body + "\n"
    }

    /// The paragraph that tells any reader where the machine-readable procedure is.
    public static let procedureSection = """
        ## Luna procedure

        Luna plans this fix from [luna.json](luna.json) beside this file: the check and match it applies to, \
        the argv and verification templates (`{param}` is filled from the finding, one argument each), \
        the expected output and the risk. Usage statistics are in [stats.json](stats.json) when it has been used.
        """

    /// The `luna.json` text: the procedure, strictly typed, one key a line in sorted order (reviewable diffs).
    public func procedure() -> String {
        var object: [String: JSONValue] = ["check": .string(check), "argv": JSONValue(argv), "risk": .string(risk)]
        if !match.isEmpty { object["match"] = JSONValue(match) }
        if let verify { object["verify"] = JSONValue(verify) }
        if let expect { object["expect"] = .string(expect) }
        if let draftedBy { object["drafted-by"] = .string(draftedBy.replacingOccurrences(of: "\n", with: " ")) }
        // Arrays and objects on one line, built element by element (never by rewriting JSON text).
        func scalar(_ v: String) -> String { JSONValue.string(v).text }
        func compact(_ v: JSONValue) -> String {
            if let a = v.stringArrayValue { return "[" + a.map(scalar).joined(separator: ", ") + "]" }
            if let o = v.stringObjectValue { return "{" + o.keys.sorted().map { "\(scalar($0)): \(scalar(o[$0]!))" }.joined(separator: ", ") + "}" }
            return scalar(v.stringValue ?? "")
        }
        let lines = object.keys.sorted().map { "  \(scalar($0)): \(compact(object[$0]!))" }
        return "{\n" + lines.joined(separator: ",\n") + "\n}\n"
    }

    /// The folder's files, relative to `skills/<name>/`.
    public func files() -> [String: String] {
        [SkillFormat.markdownFile: markdown(), SkillFormat.procedureFile: procedure()]
    }

    /// The stored form of a draft: both files in one JSON object (``parse(_:file:)`` reads it back).
    public func render() -> String {
        JSONValue(files()).prettyText
    }

    /// Both files as a reviewer reads them, each under its path.
    public func reviewText() -> String {
        "skills/\(name)/\(SkillFormat.markdownFile):\n\n\(markdown())\nskills/\(name)/\(SkillFormat.procedureFile):\n\n\(procedure())"
    }
}
