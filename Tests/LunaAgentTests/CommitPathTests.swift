import Foundation
import LunaAgent
import Testing
import TestSupport

/// Every commit Luna makes takes the same path: lock checks first, the operator's index kept in step.
@Suite("one commit path", .serialized)
struct CommitPathTests {
    @Test func retiringASkillUnderALiveIndexLockRefusesAndMovesNothing() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let lock = estate.ops.repo + "/.git/index.lock"
        FileManager.default.createFile(atPath: lock, contents: Data())   // fresh: another git is at work
        let refused = try estate.luna("skills", "retire", "restore-file-mode", "--reason", "test")
        #expect(refused.status != 0, "\(refused.out)\n\(refused.err)")
        #expect(refused.err.contains("index.lock"), "it names the lock: \(refused.err)")
        #expect(FileManager.default.fileExists(atPath: estate.ops.repo + "/skills/restore-file-mode/SKILL.md"), "nothing moved")
        try FileManager.default.removeItem(atPath: lock)
        let retired = try estate.luna("skills", "retire", "restore-file-mode", "--reason", "test")
        #expect(retired.status == 0, "\(retired.err)")
        #expect(try estate.ops.git("status", "--porcelain") == "", "the operator's index follows the move")
        #expect(try estate.ops.git("ls-files", "skills/.retired").contains("restore-file-mode/SKILL.md"))
    }
}
