import Foundation
import LunaText

extension GitRepository {
    /// Deletes `paths` (repo-relative) and commits exactly that removal on HEAD.
    ///
    /// Like `commit(files:message:)`, it builds the commit with a private index
    /// so the operator's other staged or unstaged changes are left alone.
    /// - Returns: The new commit id.
    /// - Throws: `AgentError` when a path is outside the repo or git fails.
    public func commit(removing paths: [String], message: String) throws -> String {
        for relative in paths {
            guard !relative.hasPrefix("/"), !relative.split(separator: "/").contains("..") else {
                throw AgentError(.invalid, "refusing to remove outside the ops repo: \(relative)")
            }
        }
        try prepare()
        for attempt in 1...5 {
            guard let parent = try head() else { throw AgentError(.invalid, "the ops repo has no commit to remove files from") }
            try? FileManager.default.removeItem(atPath: scratchIndex)
            try git(["read-tree", parent], index: scratchIndex)
            for relative in paths {
                try git(["update-index", "--force-remove", "--", relative], index: scratchIndex)
            }
            let tree = try git(["write-tree"], index: scratchIndex)
            // Rendered inert, as in `commit(files:message:)`.
            let commit = try git(["commit-tree", tree, "-p", parent, "-F", "-"], input: Data(InertText.render(message, multiline: true).utf8))
            do {
                try git(["update-ref", "-m", "luna: record", "HEAD", commit, parent])
            } catch {
                if attempt == 5 { throw error }
                continue
            }
            try? FileManager.default.removeItem(atPath: scratchIndex)
            for relative in paths {
                if FileManager.default.fileExists(atPath: path + "/" + relative) {
                    try FileManager.default.removeItem(atPath: path + "/" + relative)
                }
            }
            // The operator's index follows HEAD for these paths (a git failure is thrown, not swallowed).
            try repairIndex(paths: paths)
            return commit
        }
        throw AgentError(.io, "HEAD kept moving; could not commit the removal")
    }
}
