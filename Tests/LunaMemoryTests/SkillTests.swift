import Foundation
import LunaMemory
import Testing

@Suite("skills")
struct SkillTests {
    static let good = """
    ---
    name: restore-file-mode
    description: Restore a mode.
    check: files
    match: {"aspect": "mode"}
    argv: ["/usr/bin/chmod", "{expected}", "{path}"]
    verify: ["/usr/bin/stat", "-c", "%04a", "{path}"]
    expect: {expected}
    risk: mutating
    ---

    ## When to use
    """

    @Test func parsesAndInstantiatesPerArgument() throws {
        let skill = try Skill.parse(Self.good, file: "s/SKILL.md")
        #expect(skill.matches(check: "files", params: ["aspect": "mode"]))
        #expect(!skill.matches(check: "files", params: ["aspect": "owner"]))
        #expect(!skill.matches(check: "ports", params: ["aspect": "mode"]))
        // A value with blanks and shell syntax stays one argument.
        let i = try #require(skill.instantiate(params: ["expected": "0600", "path": "/tmp/a b; rm -rf /"]))
        #expect(i.argv == ["/usr/bin/chmod", "0600", "/tmp/a b; rm -rf /"])
        #expect(i.verify == ["/usr/bin/stat", "-c", "%04a", "/tmp/a b; rm -rf /"])
        #expect(i.expect == "0600")
        #expect(skill.instantiate(params: ["expected": "0600"]) == nil)
    }

    @Test(arguments: [
        ("name: x\n", 1, "front matter starting"),
        ("---\nname: Bad Name\ndescription: d\ncheck: c\nargv: [\"/bin/true\"]\nrisk: mutating\n---\n", 2, "lowercase"),
        ("---\nname: x\ndescription: d\ncheck: c\nargv: /bin/true\nrisk: mutating\n---\n", 5, "JSON array"),
        ("---\nname: x\ndescription: d\ncheck: c\nargv: [\"/bin/true\"]\nrisk: yolo\n---\n", 6, "risk must be"),
        ("---\nname: x\ndescription: d\n", 1, "not closed"),
        ("---\nname: x\nname: y\n---\n", 3, "duplicate key"),
    ])
    func badFilesNameTheLine(text: String, line: Int, phrase: String) {
        do {
            _ = try Skill.parse(text, file: "f")
            Issue.record("expected an error")
        } catch {
            #expect(error.line == line)
            #expect(error.message.contains(phrase), "\(error)")
        }
    }

    @Test func libraryLoadsGoodSkillsAndReportsBadOnes() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("luna-skills-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        for (name, text) in [("restore-file-mode", Self.good), ("broken", "nonsense")] {
            try FileManager.default.createDirectory(at: dir.appendingPathComponent(name), withIntermediateDirectories: true)
            try text.write(to: dir.appendingPathComponent(name + "/SKILL.md"), atomically: true, encoding: .utf8)
        }
        let library = SkillLibrary.load(directory: dir.path)
        #expect(library.skills.map(\.name) == ["restore-file-mode"])
        #expect(library.problems.count == 1)
        #expect(library.problems[0].file.hasSuffix("broken/SKILL.md"))
        #expect(library.match(check: "files", params: ["aspect": "mode"])?.name == "restore-file-mode")
    }

    @Test func shippedSkillsLoad() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let library = SkillLibrary.load(directory: root.appendingPathComponent("skills").path)
        #expect(library.problems.isEmpty, "\(library.problems)")
        #expect(Set(library.skills.map(\.name)).isSuperset(of: ["restore-file-mode", "restart-service"]))
    }
}
