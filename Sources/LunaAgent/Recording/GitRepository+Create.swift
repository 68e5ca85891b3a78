import Foundation

extension GitRepository {
    /// Makes `path` a new repository holding its current files in one first commit
    /// (`luna demo`'s scratch ops repo).
    ///
    /// - Throws: `AgentError.io` with git's message.
    @discardableResult
    public static func create(path: String, authorName: String, authorEmail: String, message: String) throws -> GitRepository {
        let repo = GitRepository(path: path, authorName: authorName, authorEmail: authorEmail, scratchIndex: path + "/.git/luna-index")
        try repo.git(["init", "-q", "-b", "main"])
        try repo.git(["add", "-A"])
        try repo.git(["commit", "-q", "-m", message])
        return repo
    }
}
