import Foundation
import LunaText
import LunaFleet

/// The ops repository, driven through the git CLI.
///
/// Luna commits with plumbing and a private index, so the operator's staged and
/// unstaged changes are never swept into Luna's commits nor clobbered: only the
/// paths Luna writes change, in the work tree and in the operator's index.
public struct GitRepository: Sendable {
    public var path: String
    public var authorName: String
    public var authorEmail: String
    /// A scratch index file outside the repo (under the state directory).
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
        var env = ProcessInfo.processInfo.environment
        env["LC_ALL"] = "C"
        env["GIT_TERMINAL_PROMPT"] = "0"
        env["GIT_AUTHOR_NAME"] = authorName
        env["GIT_AUTHOR_EMAIL"] = authorEmail
        env["GIT_COMMITTER_NAME"] = authorName
        env["GIT_COMMITTER_EMAIL"] = authorEmail
        if let index { env["GIT_INDEX_FILE"] = index } else { env.removeValue(forKey: "GIT_INDEX_FILE") }
        let result: CommandResult
        do {
            result = try ProcessRunner.run(["git", "-C", path] + args, environment: env, input: input, timeout: .seconds(60))
        } catch {
            throw AgentError(.io, "git \(args.first ?? ""): \(error)")
        }
        guard result.exitStatus == 0 else {
            throw AgentError(.io, "git \(args.joined(separator: " ")) exited \(result.exitStatus): \(result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The commit HEAD points at, or nil in a repo with no commits.
    public func head() throws -> String? {
        let out = try? git(["rev-parse", "--verify", "-q", "HEAD^{commit}"])
        return (out?.isEmpty ?? true) ? nil : out
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
    /// - Throws: `AgentError.io` when git fails, or HEAD keeps moving under us.
    public func commit(files: [String: String], message: String) throws -> String {
        for (relative, content) in files {
            guard !relative.hasPrefix("/"), !relative.split(separator: "/").contains("..") else {
                throw AgentError(.invalid, "refusing to write outside the ops repo: \(relative)")
            }
            let full = path + "/" + relative
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: full, contents: Data(content.utf8)) else {
                throw AgentError(.io, "cannot write \(full)")
            }
        }
        for attempt in 1...5 {
            let parent = try head()
            try? FileManager.default.removeItem(atPath: scratchIndex)
            if let parent {
                try git(["read-tree", parent], index: scratchIndex)
            } else {
                try git(["read-tree", "--empty"], index: scratchIndex)
            }
            var blobs: [(String, String)] = []
            for relative in files.keys.sorted() {
                let blob = try git(["hash-object", "-w", "--", relative])
                blobs.append((relative, blob))
                try git(["update-index", "--add", "--cacheinfo", "100644,\(blob),\(relative)"], index: scratchIndex)
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
            // Bring the operator's index up to date for our paths only.
            for (relative, blob) in blobs {
                for _ in 1...10 {
                    if (try? git(["update-index", "--add", "--cacheinfo", "100644,\(blob),\(relative)"])) != nil { break }
                    Thread.sleep(forTimeInterval: 0.2)
                }
            }
            return commit
        }
        throw AgentError(.io, "HEAD kept moving; could not record")
    }
}
