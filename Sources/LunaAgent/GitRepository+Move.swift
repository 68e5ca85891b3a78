import Foundation
import LunaText

extension GitRepository {
    /// Writes `files`, deletes `removing` (repo-relative) and commits exactly those changes on HEAD, in one commit.
    ///
    /// Moves a folder in one step (a retired skill to `skills/.retired/`, and
    /// back). Built with a private index like `commit(files:message:)`, so the
    /// operator's other staged or unstaged changes are left alone.
    /// - Returns: The new commit id.
    /// - Throws: `AgentError` when a path is outside the repo or git fails.
    public func commit(files: [String: String], removing: [String], message: String) throws -> String {
        for relative in Array(files.keys) + removing {
            guard !relative.hasPrefix("/"), !relative.split(separator: "/").contains("..") else {
                throw AgentError(.invalid, "refusing to write outside the ops repo: \(relative)")
            }
        }
        for (relative, content) in files {
            let full = path + "/" + relative
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: full, contents: Data(content.utf8)) else {
                throw AgentError(.io, "cannot write \(full)")
            }
        }
        for attempt in 1...5 {
            guard let parent = try head() else { throw AgentError(.invalid, "the ops repo has no commit to move files in") }
            try? FileManager.default.removeItem(atPath: scratchIndex)
            try git(["read-tree", parent], index: scratchIndex)
            var blobs: [(String, String)] = []
            for relative in files.keys.sorted() {
                let blob = try git(["hash-object", "-w", "--", relative])
                blobs.append((relative, blob))
                try git(["update-index", "--add", "--cacheinfo", "100644,\(blob),\(relative)"], index: scratchIndex)
            }
            for relative in removing {
                try git(["update-index", "--force-remove", "--", relative], index: scratchIndex)
            }
            let tree = try git(["write-tree"], index: scratchIndex)
            let commit = try git(["commit-tree", tree, "-p", parent, "-F", "-"], input: Data(InertText.render(message, multiline: true).utf8))
            do {
                try git(["update-ref", "-m", "luna: record", "HEAD", commit, parent])
            } catch {
                if attempt == 5 { throw error }
                continue   // HEAD moved (the operator committed): build again on the new HEAD.
            }
            try? FileManager.default.removeItem(atPath: scratchIndex)
            for (relative, blob) in blobs {
                _ = try? git(["update-index", "--add", "--cacheinfo", "100644,\(blob),\(relative)"])
            }
            for relative in removing {
                try? FileManager.default.removeItem(atPath: path + "/" + relative)
                _ = try? git(["update-index", "--force-remove", "--", relative])
            }
            return commit
        }
        throw AgentError(.io, "HEAD kept moving; could not commit")
    }
}
