import Foundation

/// Checks a `skills/` folder against Luna's rules and the Agent Skills rules.
///
/// Agent Skills: only the specification's front-matter fields; `name` 1–64
/// lowercase letters, digits and `-` (no leading, trailing or double `-`)
/// equal to its folder; `description` 1–1024 characters; `compatibility` at
/// most 500; `metadata` a mapping of strings; and every value read by a YAML
/// loader as the string it looks like. Luna: `luna.json` strictly typed, the
/// steps passing `SkillValidator` (the gate's structural rules), `stats.json`
/// and `.rejected` readable.
public enum SkillLint {
    /// One problem: where, what, and how to fix it.
    public struct Problem: Sendable, Codable, Equatable, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var problem: String
        public var fix: String

        public var description: String { "\(file):\(line): \(problem) — \(fix)" }
    }

    /// Every problem under `directory`, by file and line.
    public static func check(directory: String) -> [Problem] {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: directory) else {
            return [Problem(file: directory, line: 0, problem: "cannot read the skills folder", fix: "create it or point --dir at it")]
        }
        var problems: [Problem] = []
        for name in names.sorted() where !name.hasPrefix(".") {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: directory + "/" + name, isDirectory: &isDir), isDir.boolValue else { continue }
            problems += checkFolder(directory + "/" + name)
        }
        let rejected = directory + "/" + SkillStateFile.rejectedFile
        if let text = try? String(contentsOfFile: rejected, encoding: .utf8) {
            for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
                if SkillStateFile.Rejection.parse(String(line)) == nil {
                    problems.append(Problem(file: rejected, line: i + 1, problem: "not a rejection record",
                                            fix: "each line is a JSON object {\"fingerprint\": …, \"name\": …, \"reason\": …, \"at\": …}; Luna writes them on `luna skills reject`"))
                }
            }
        }
        return problems
    }

    /// The problems of one skill folder.
    public static func checkFolder(_ folder: String) -> [Problem] {
        let fm = FileManager.default
        let name = (folder as NSString).lastPathComponent
        let path = folder + "/" + SkillFormat.markdownFile
        guard let text = fm.contents(atPath: path).flatMap({ String(data: $0, encoding: .utf8) }) else {
            return [Problem(file: path, line: 0, problem: fm.fileExists(atPath: path) ? "cannot read as UTF-8" : "the folder has no SKILL.md",
                            fix: "every skill folder needs a SKILL.md; remove the folder or add one")]
        }
        var problems: [Problem] = []
        let front: FrontMatter
        do { front = try FrontMatter.read(text, file: path) } catch {
            return [Problem(file: error.file, line: error.line, problem: error.message, fix: "write the front matter as '---', 'name: …', 'description: …', '---'")]
        }
        let legacy = front.keys.filter { SkillFormat.legacyFields.contains($0) }
        if !legacy.isEmpty {
            let line = legacy.compactMap { front.entries[$0]?.line }.min() ?? 1
            problems.append(Problem(file: path, line: line, problem: "Luna's procedure (\(legacy.sorted().joined(separator: ", "))) is in the front matter, which Agent Skills readers reject",
                                    fix: "move it to luna.json: `luna skills lint --fix` rewrites the folder in the current format"))
        }
        for key in front.keys where !SkillFormat.specFields.contains(key) && !SkillFormat.legacyFields.contains(key) {
            problems.append(Problem(file: path, line: front.entries[key]?.line ?? 1, problem: "unexpected front-matter field '\(key)'",
                                    fix: "Agent Skills allows only \(SkillFormat.specFields.sorted().joined(separator: ", ")); put it under metadata as a string"))
        }
        if let n = front.entries["name"], !n.value.isEmpty {
            if let p = SkillFormat.nameProblem(n.value) {
                problems.append(Problem(file: path, line: n.line, problem: p, fix: "rename the skill (and its folder) to lowercase words joined by single '-'"))
            }
            if n.value != name {
                problems.append(Problem(file: path, line: n.line, problem: "name '\(n.value)' differs from its folder '\(name)'", fix: "rename the folder or the name so they are equal"))
            }
        } else {
            problems.append(Problem(file: path, line: 1, problem: "missing required field 'name'", fix: "add 'name: \(name)'"))
        }
        if let d = front.entries["description"], !d.value.isEmpty {
            if d.value.count > 1024 {
                problems.append(Problem(file: path, line: d.line, problem: "the description has \(d.value.count) characters; at most 1024", fix: "shorten it; details belong in the body"))
            }
        } else {
            problems.append(Problem(file: path, line: 1, problem: "missing required field 'description'", fix: "add one sentence saying what the skill does and when to use it"))
        }
        if let c = front.entries["compatibility"], c.value.isEmpty || c.value.count > 500 {
            problems.append(Problem(file: path, line: c.line, problem: "compatibility must be 1–500 characters", fix: "shorten it or remove it"))
        }
        if let m = front.metadataProblem {
            problems.append(Problem(file: path, line: m.line, problem: m.message, fix: "write each metadata entry as '  key: value' with a string value"))
        } else if let e = front.entries["metadata"], e.plain, !e.value.isEmpty {
            problems.append(Problem(file: path, line: e.line, problem: "metadata must be a mapping, not a value", fix: "write 'metadata:' and indented '  key: value' lines below it"))
        }
        // Values a YAML loader would read as something else than the text.
        for key in front.keys where !SkillFormat.legacyFields.contains(key) {
            guard let e = front.entries[key], e.plain, key != "metadata", let p = SkillFormat.yamlPlainProblem(e.value) else { continue }
            problems.append(Problem(file: path, line: e.line, problem: "'\(key)' is not read as this text by a YAML loader: \(p)", fix: "write it double-quoted: \(key): \(SkillFormat.yamlScalar(e.value).hasPrefix("\"") ? SkillFormat.yamlScalar(e.value) : "\"" + e.value + "\"")"))
        }
        for (key, e) in front.metadata.sorted(by: { $0.key < $1.key }) where e.plain {
            if let p = SkillFormat.yamlPlainProblem(e.value) {
                problems.append(Problem(file: path, line: e.line, problem: "metadata '\(key)' is not read as this text by a YAML loader: \(p)", fix: "write it double-quoted"))
            }
        }
        // Luna's own rules: the procedure parses and its steps could ever be approved.
        let procedurePath = folder + "/" + SkillFormat.procedureFile
        let procedure = fm.contents(atPath: procedurePath).flatMap { String(data: $0, encoding: .utf8) }
        do {
            if case .procedure(let skill, _) = try SkillFormat.read(markdown: text, procedure: procedure, file: path, procedureFile: procedurePath) {
                let procedureLines = (procedure ?? "").split(separator: "\n", omittingEmptySubsequences: false)
                func line(_ p: String) -> Int {
                    let key = p.hasPrefix("verify") ? "verify" : p.hasPrefix("risk") ? "risk" : "argv"
                    if !legacy.isEmpty { return front.entries[key]?.line ?? 1 }
                    return (procedureLines.firstIndex { $0.contains("\"\(key)\"") } ?? 0) + 1
                }
                for p in SkillValidator.problems(skill) {
                    problems.append(Problem(file: legacy.isEmpty ? procedurePath : path, line: line(p), problem: p,
                                            fix: "use an absolute program and whole {param} arguments; destructive steps belong in a runbook"))
                }
            }
        } catch {
            if !problems.contains(where: { $0.file == error.file && $0.line == error.line }) {
                problems.append(Problem(file: error.file, line: error.line, problem: error.message, fix: error.file.hasSuffix(SkillFormat.procedureFile)
                                        ? "luna.json holds check, argv, risk and optionally match, verify, expect, drafted-by" : "correct the field"))
            }
        }
        let statsPath = folder + "/" + SkillStateFile.fileName
        if let stats = fm.contents(atPath: statsPath), (try? SkillStateFile.decode(stats)) == nil {
            problems.append(Problem(file: statsPath, line: 1, problem: "stats.json does not parse", fix: "Luna writes it; restore it from git history (`git checkout HEAD -- \(SkillStateFile.fileName)`)"))
        }
        return problems
    }

    /// Rewrites every skill of the previous format under `directory` in the current one.
    ///
    /// - Returns: The files written, relative to `directory`; nothing is committed.
    public static func fix(directory: String) throws -> [String] {
        let library = SkillLibrary.load(directory: directory)
        var written: [String] = []
        for skill in library.skills where library.legacy.contains(skill.name) {
            for (file, text) in skill.files().sorted(by: { $0.key < $1.key }) {
                try text.write(toFile: directory + "/\(skill.name)/\(file)", atomically: true, encoding: .utf8)
                written.append("\(skill.name)/\(file)")
            }
        }
        return written
    }
}
