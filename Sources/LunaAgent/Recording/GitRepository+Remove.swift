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
        try commit(files: [:], removing: paths, message: message)
    }
}
