import Foundation

/// The skills of an ops repo: `skills/<name>/SKILL.md`, with Luna's procedure in `luna.json`.
public struct SkillLibrary: Sendable {
    /// Skills Luna can plan from.
    public var skills: [Skill]
    /// Plain Agent Skills skills (no Luna procedure): recon context, never an argv.
    public var references: [ReferenceSkill]
    /// Files that failed to load; the rest still load.
    public var problems: [SkillError]
    /// Skills still in the previous format (procedure in the front matter), by name.
    public var legacy: Set<String>

    public init(skills: [Skill], references: [ReferenceSkill] = [], problems: [SkillError] = [], legacy: Set<String> = []) {
        self.skills = skills
        self.references = references
        self.problems = problems
        self.legacy = legacy
    }

    /// Loads every `*/SKILL.md` under `directory`, in name order.
    ///
    /// A folder with `luna.json` (or a `SKILL.md` of the previous format) is a
    /// skill; one with only a `SKILL.md` is a reference skill. A malformed file
    /// is reported in `problems` with file:line and skipped. Hidden folders
    /// (`.retired`) are not read.
    public static func load(directory: String) -> SkillLibrary {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: directory) else { return SkillLibrary(skills: []) }
        var library = SkillLibrary(skills: [])
        for name in names.sorted() where !name.hasPrefix(".") {
            let path = directory + "/" + name + "/" + SkillFormat.markdownFile
            guard fm.fileExists(atPath: path) else { continue }
            guard let data = fm.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                library.problems.append(SkillError(file: path, line: 0, message: "cannot read as UTF-8"))
                continue
            }
            let procedurePath = directory + "/" + name + "/" + SkillFormat.procedureFile
            var procedure: String? = nil
            if fm.fileExists(atPath: procedurePath) {
                guard let p = fm.contents(atPath: procedurePath).flatMap({ String(data: $0, encoding: .utf8) }) else {
                    library.problems.append(SkillError(file: procedurePath, line: 0, message: "cannot read as UTF-8"))
                    continue
                }
                procedure = p
            }
            do {
                switch try SkillFormat.read(markdown: text, procedure: procedure, file: path, procedureFile: procedurePath) {
                case .procedure(let skill, let legacy):
                    guard skill.name == name else {
                        library.problems.append(SkillError(file: path, line: 2, message: "name '\(skill.name)' differs from its folder '\(name)'"))
                        continue
                    }
                    library.skills.append(skill)
                    if legacy { library.legacy.insert(name) }
                case .reference(let reference):
                    guard reference.name == name else {
                        library.problems.append(SkillError(file: path, line: 2, message: "name '\(reference.name)' differs from its folder '\(name)'"))
                        continue
                    }
                    library.references.append(reference)
                }
            } catch {
                library.problems.append(error)
            }
        }
        return library
    }

    /// The first skill that handles a finding of `check` with `params`.
    public func match(check: String, params: [String: String]) -> Skill? {
        skills.first { $0.matches(check: check, params: params) }
    }

    /// The reference skills that apply to a finding, at most `limit`.
    public func references(check: String, summary: String, limit: Int = 2) -> [ReferenceSkill] {
        Array(references.filter { $0.applies(check: check, summary: summary) }.prefix(limit))
    }
}
