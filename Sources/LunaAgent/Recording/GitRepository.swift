import Foundation
import LunaText
import LunaFleet
import LunaSecrets

/// The ops repository, driven through the git CLI.
///
/// Luna commits with plumbing and a private index, so the operator's staged and
/// unstaged changes are never swept into Luna's commits nor clobbered: only the
/// paths Luna writes change, in the work tree and in the operator's index.
public struct GitRepository: Sendable {
    public var path: String
    public var authorName: String
    public var authorEmail: String
    /// Where Luna's private index files go, outside the repo (under the state directory).
    ///
    /// Each commit uses its own file, `<scratchIndex>-<pid>-<random>`: the daemon and a CLI
    /// command may commit at the same time, and a luna killed inside `read-tree` or
    /// `update-index` leaves that file's `.lock` behind, which must never block the
    /// next commit (`removeDeadScratchIndexes` clears a dead process's leftovers).
    public var scratchIndex: String

    public init(path: String, authorName: String, authorEmail: String, scratchIndex: String) {
        self.path = path
        self.authorName = authorName
        self.authorEmail = authorEmail
        self.scratchIndex = scratchIndex
    }

    /// Runs git in the repo; returns trimmed stdout or throws with git's stderr.
    @discardableResult
    func git(_ args: [String], index: String? = nil, input: Data? = nil) throws -> String {
        let result = try gitResult(args, index: index, input: input)
        guard result.exitStatus == 0 else {
            throw AgentError(.io, "git \(args.joined(separator: " ")) exited \(result.exitStatus): \(result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs git in the repo and returns its result whatever the exit status; throws only when git cannot start.
    func gitResult(_ args: [String], index: String? = nil, input: Data? = nil) throws -> CommandResult {
        var env = ProcessInfo.processInfo.environment
        env["LC_ALL"] = "C"
        env["GIT_TERMINAL_PROMPT"] = "0"
        env["GIT_AUTHOR_NAME"] = authorName
        env["GIT_AUTHOR_EMAIL"] = authorEmail
        env["GIT_COMMITTER_NAME"] = authorName
        env["GIT_COMMITTER_EMAIL"] = authorEmail
        if let index { env["GIT_INDEX_FILE"] = index } else { env.removeValue(forKey: "GIT_INDEX_FILE") }
        do {
            return try ProcessRunner.run(["git", "-C", path] + args, environment: env, input: input, timeout: .seconds(60))
        } catch {
            throw AgentError(.io, "git \(args.first ?? ""): \(error)")
        }
    }

    /// The commit HEAD points at, or nil in a repo with no commits.
    ///
    /// - Throws: `AgentError.io` when git fails for any other reason than "no commit yet".
    public func head() throws -> String? {
        let r = try gitResult(["rev-parse", "--verify", "-q", "HEAD^{commit}"])
        let out = r.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        if r.exitStatus == 0 && !out.isEmpty { return out }
        // `--verify -q` exits 1 silently when HEAD names no commit (an unborn branch).
        if r.exitStatus == 1 && r.stderrText.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return nil }
        throw AgentError(.io, "git rev-parse HEAD exited \(r.exitStatus): \(r.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))")
    }

    /// The newest commit whose message has all of `trailers` (exact lines), if any.
    public func findCommit(trailers: [String]) throws -> String? {
        guard try head() != nil else { return nil }
        var args = ["log", "--format=%H", "-n", "1", "--all-match", "--extended-regexp"]
        for t in trailers {
            args += ["--grep", "^" + NSRegularExpression.escapedPattern(for: t) + "$"]
        }
        let out = try git(args + ["HEAD"])
        return out.isEmpty ? nil : out
    }

    /// Writes `files` (repo-relative path → content) and commits exactly them on HEAD.
    ///
    /// - Returns: The new commit id.
    /// - Throws: `AgentError.locked` when a git lock is held (see `prepare`), `AgentError.io`
    ///   when git fails, or HEAD keeps moving under us.
    public func commit(files: [String: String], message: String) throws -> String {
        try commit(files: files, removing: [], message: message)
    }

    /// Writes `files`, deletes `removing` (repo-relative) and commits exactly those changes on HEAD, in one commit.
    ///
    /// The one way Luna commits to the ops repo (notes, outcomes, skills, a
    /// skill folder moved to `skills/.retired/` and back): stale git locks are
    /// cleared or refused first (`prepare`), files are written crash-safely
    /// (`writeFile`), the commit is built with a private index and published
    /// with a compare-and-swap `update-ref`, and the operator's index follows
    /// HEAD for these paths only (`repairIndex`), so their other staged or
    /// unstaged changes are never swept in or touched.
    ///
    /// A file holding a value of one of the Redactor's secret shapes is refused
    /// before anything is written (the ops repo may be pushed): the error names
    /// each file:line, key and shape, never the value.
    ///
    /// - Returns: The new commit id.
    /// - Throws: `AgentError.invalid` for a path outside the repo (or nothing to remove from) or a
    ///   secret-shaped value, `AgentError.locked` when a git lock is held, `AgentError.io` when git
    ///   fails or HEAD keeps moving.
    public func commit(files: [String: String], removing: [String], message: String) throws -> String {
        for relative in Array(files.keys) + removing {
            guard !relative.hasPrefix("/"), !relative.split(separator: "/").contains(".."), !relative.isEmpty else {
                throw AgentError(.invalid, "refusing to write outside the ops repo: \(relative)")
            }
        }
        let secrets = files.keys.sorted().flatMap { Redactor.findSecrets(in: files[$0] ?? "", file: $0) }
        if !secrets.isEmpty {
            throw AgentError(.invalid, "refusing to commit a secret-shaped value to the ops repo: "
                             + secrets.prefix(5).map(\.description).joined(separator: "; ")
                             + (secrets.count > 5 ? "; and \(secrets.count - 5) more" : "")
                             + " (keep secrets in a gitignored .env file; nothing was written)")
        }
        try prepare()   // stale locks cleared (or a clear refusal) before anything is written
        for (relative, content) in files { try writeFile(relative, Data(content.utf8)) }
        // Per commit, not only per process: a pid reused from a killed luna must not meet its leftover lock.
        let scratchIndex = self.scratchIndex + "-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer {
            try? FileManager.default.removeItem(atPath: scratchIndex)
            try? FileManager.default.removeItem(atPath: scratchIndex + ".lock")
        }
        for attempt in 1...5 {
            let parent = try head()
            guard parent != nil || removing.isEmpty else { throw AgentError(.invalid, "the ops repo has no commit to remove files from") }
            try? FileManager.default.removeItem(atPath: scratchIndex)
            if let parent {
                try git(["read-tree", parent], index: scratchIndex)
            } else {
                try git(["read-tree", "--empty"], index: scratchIndex)
            }
            for relative in files.keys.sorted() {
                let blob = try git(["hash-object", "-w", "--", relative])
                try git(["update-index", "--add", "--cacheinfo", "100644,\(blob),\(relative)"], index: scratchIndex)
            }
            for relative in removing {
                try git(["update-index", "--force-remove", "--", relative], index: scratchIndex)
            }
            let tree = try git(["write-tree"], index: scratchIndex)
            var args = ["commit-tree", tree]
            if let parent { args += ["-p", parent] }
            // The message quotes untrusted text (rationales, summaries, output): shown inert, never interpreted by `git log`'s terminal.
            let commit = try git(args + ["-F", "-"], input: Data(InertText.render(message, multiline: true).utf8))
            do {
                try git(["update-ref", "-m", "luna: record", "HEAD", commit, parent ?? String(repeating: "0", count: 40)])
            } catch {
                if attempt == 5 { throw error }
                continue   // HEAD moved (the operator committed): build again on the new HEAD.
            }
            try? FileManager.default.removeItem(atPath: scratchIndex)
            for relative in removing where FileManager.default.fileExists(atPath: path + "/" + relative) {
                try FileManager.default.removeItem(atPath: path + "/" + relative)
            }
            // Bring the operator's index (and work tree) up to date for our paths only. A failure
            // here is thrown, not swallowed: the commit is made, and the caller's retry finds it by
            // its trailers and repairs the index then (`repairIndex`), before anything is marked recorded.
            try repairIndex(paths: (files.keys.sorted() + removing))
            return commit
        }
        throw AgentError(.io, "HEAD kept moving; could not record")
    }
}
