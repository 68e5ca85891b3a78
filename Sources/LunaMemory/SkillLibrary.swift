import Foundation

/// The approved skills of an ops repo (`skills/<name>/SKILL.md`).
public struct SkillLibrary: Sendable {
    public var skills: [Skill]
    /// Files that failed to load; the rest still load.
    public var problems: [SkillError]

    public init(skills: [Skill], problems: [SkillError] = []) {
        self.skills = skills
        self.problems = problems
    }

    /// Loads every `*/SKILL.md` under `directory`, in name order.
    ///
    /// A malformed file is reported in `problems` with file:line and skipped.
    public static func load(directory: String) -> SkillLibrary {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: directory) else { return SkillLibrary(skills: []) }
        var skills: [Skill] = []
        var problems: [SkillError] = []
        for name in names.sorted() where !name.hasPrefix(".") {
            let path = directory + "/" + name + "/SKILL.md"
            guard fm.fileExists(atPath: path) else { continue }
            guard let data = fm.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                problems.append(SkillError(file: path, line: 0, message: "cannot read as UTF-8"))
                continue
            }
            do {
                let skill = try Skill.parse(text, file: path)
                if skill.name != name {
                    problems.append(SkillError(file: path, line: 2, message: "name '\(skill.name)' differs from its folder '\(name)'"))
                    continue
                }
                skills.append(skill)
            } catch {
                problems.append(error)
            }
        }
        return SkillLibrary(skills: skills, problems: problems)
    }

    /// The first skill that handles a finding of `check` with `params`.
    public func match(check: String, params: [String: String]) -> Skill? {
        skills.first { $0.matches(check: check, params: params) }
    }
}
