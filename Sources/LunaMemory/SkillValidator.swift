import Foundation
import LunaPolicy

/// Whether a skill's steps may ever be approved: the gate's structural rules,
/// applied to the templates before any finding fills them.
public enum SkillValidator {
    /// The problems that keep a skill from approval; empty when it is fine.
    ///
    /// Refused: a program that is not an absolute literal path, a `..` path
    /// component, a placeholder that is not a whole-word name, shell wrappers
    /// and interpreters given code, and anything the classifier calls
    /// destructive (those are runbooks, never skills). The gate judges each
    /// step against an allow-everything reference, so only its structural
    /// rules can refuse.
    public static func problems(_ skill: Skill) -> [String] {
        var problems: [String] = []
        if skill.risk == "destructive" { problems.append("risk is destructive: destructive actions become runbooks, never skills") }
        let sudoers = try? Sudoers.parse("luna ALL = (ALL) NOPASSWD: ALL\n", file: "validation")
        let gate = Gate(sudoersDirectory: "/nonexistent", hosts: [:])
        for (label, steps) in [("argv", Optional(skill.argv)), ("verify", skill.verify)] {
            guard let steps else { continue }
            guard let program = steps.first, program.hasPrefix("/"), !program.contains("{") else {
                problems.append("\(label): the program '\(steps.first ?? "")' must be an absolute path, not a relative one or a placeholder")
                continue
            }
            for (i, a) in steps.enumerated() {
                if a.split(separator: "/").contains("..") { problems.append("\(label)[\(i)] '\(a)' has a '..' path component") }
                if a.hasPrefix("./") || a.hasPrefix("../") || a == "." { problems.append("\(label)[\(i)] '\(a)' is a relative path") }
                if let r = a.range(of: "\\{[^}]*\\}", options: .regularExpression), a[r].range(of: "^\\{[a-z_][a-z0-9_]*\\}$", options: .regularExpression) == nil {
                    problems.append("\(label)[\(i)] '\(a)' has a malformed placeholder")
                }
            }
            let sample = steps.map { $0.replacingOccurrences(of: "\\{[a-z_][a-z0-9_]*\\}", with: "x", options: .regularExpression) }
            if let sudoers {
                let verdict = gate.judge(SudoRequest(host: "validation", argv: sample), by: sudoers, hostLabel: "validation")
                if verdict.outcome != .allowed {
                    problems.append("\(label): " + verdict.reasons.joined(separator: "; "))
                }
            }
        }
        return problems
    }
}
