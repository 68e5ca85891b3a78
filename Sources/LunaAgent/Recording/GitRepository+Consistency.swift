import Foundation
import LunaSystem
#if canImport(Glibc)
import Glibc
#endif

extension GitRepository {
    /// How old a git lock file must be before Luna may treat it as left by a crash.
    ///
    /// Git holds `index.lock` and ref locks for milliseconds; a `git commit` waiting
    /// in an editor holds `index.lock` for minutes, but its process is alive and is
    /// found in `/proc`. A minute keeps a lock that a starting git just took.
    public static let staleLockAge: TimeInterval = 60

    /// Makes the repo safe to commit into: removes git lock files a crash left behind.
    ///
    /// A lock is removed only when it is older than ``staleLockAge`` and no live git
    /// process works in this repository (checked in `/proc`; when `/proc` cannot be
    /// read every lock is treated as held). Called before every commit.
    /// - Returns: One sentence per removed lock, for the operator.
    /// - Throws: `AgentError.locked` naming the lock, why it was kept and what to do.
    @discardableResult
    public func prepare(now: Date = Date()) throws -> [String] {
        var removed: [String] = []
        for lock in try lockFiles() {
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: lock) else { continue }   // gone meanwhile
            let modified = (attributes[.modificationDate] as? Date) ?? now
            let age = max(0, Int(now.timeIntervalSince(modified)))
            if let holder = liveGitProcess() {
                let who = holder < 0 ? "Luna cannot tell whether git is running (/proc is not readable)" : "git is running in \(path) (pid \(holder))"
                throw AgentError(.locked, "recording is blocked: \(lock) exists (\(age) s old) and \(who); "
                                 + "Luna records once it is gone; if no git command is running, remove it: rm '\(lock)'")
            }
            guard Double(age) >= Self.staleLockAge else {
                throw AgentError(.locked, "recording is blocked: \(lock) exists (\(age) s old, no git process in \(path)); "
                                 + "Luna removes it once it is \(Int(Self.staleLockAge)) s old, or remove it yourself if no git command is running: rm '\(lock)'")
            }
            do {
                try FileManager.default.removeItem(atPath: lock)
            } catch {
                throw AgentError(.locked, "recording is blocked: cannot remove the stale lock \(lock) (\(age) s old): \(error.localizedDescription); remove it: rm '\(lock)'")
            }
            removed.append("removed a stale git lock \(lock) (\(age) s old, no git process in \(path))")
        }
        removeOldTemporaryFiles(now: now)
        removeDeadScratchIndexes()
        for line in removed { FileHandle.standardError.write(Data(("luna: " + line + "\n").utf8)) }
        return removed
    }

    /// The lock files that stop Luna's commit or the operator-index update: the index,
    /// HEAD, the checked-out branch and packed-refs.
    func lockFiles() throws -> [String] {
        let gitDir = try git(["rev-parse", "--absolute-git-dir"])
        var common = try git(["rev-parse", "--git-common-dir"])
        if !common.hasPrefix("/") { common = path + "/" + common }
        var candidates = [gitDir + "/index.lock", gitDir + "/HEAD.lock", common + "/packed-refs.lock"]
        let branch = try gitResult(["symbolic-ref", "-q", "HEAD"])
        let ref = branch.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        if branch.exitStatus == 0, ref.hasPrefix("refs/"), !ref.split(separator: "/").contains("..") {
            candidates.append(common + "/" + ref + ".lock")
        }
        return candidates.filter { FileManager.default.fileExists(atPath: $0) }
    }

    /// A live git process working in this repository (its working directory inside
    /// it, or `-C` naming it), or `-1` when `/proc` cannot be read; nil when none.
    func liveGitProcess() -> Int32? {
        let root = Self.realPath(path)
        guard let pids = ProcessStat.allProcesses() else { return -1 }
        let me = getpid()
        for pid in pids where pid != me {
            guard let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8),
                  comm.hasPrefix("git") else { continue }
            let cwd = Self.realPath((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd")) ?? "")
            if cwd == root || cwd.hasPrefix(root + "/") { return pid }
            if let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") {
                let args = raw.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
                for (i, a) in args.enumerated() where a == "-C" && i + 1 < args.count {
                    let dir = Self.realPath(args[i + 1].hasPrefix("/") ? args[i + 1] : cwd + "/" + args[i + 1])
                    if dir == root || dir.hasPrefix(root + "/") { return pid }
                }
            }
        }
        return nil
    }

    static func realPath(_ p: String) -> String {
        guard !p.isEmpty, let r = realpath(p, nil) else { return p }
        defer { free(r) }
        return String(cString: r)
    }

    /// Brings the operator's index, and a missing work-tree file, in line with HEAD for `paths` only.
    ///
    /// After Luna's commit (or a commit found again after a crash) the operator's
    /// index must hold HEAD's blob for each recorded path, else `git status` shows
    /// the note as staged for deletion and the operator's next commit removes it.
    /// A path HEAD lacks is dropped from the index; the work tree is only written
    /// when a file HEAD holds is missing, never over a file that exists.
    /// - Returns: One phrase per repair made (empty when all was consistent).
    /// - Throws: `AgentError.io` when git fails (e.g. `index.lock` is held).
    @discardableResult
    public func repairIndex(paths: [String]) throws -> [String] {
        var repairs: [String] = []
        for relative in paths {
            let inHead = try gitResult(["rev-parse", "-q", "--verify", "HEAD:" + relative])
            let headBlob = inHead.exitStatus == 0 ? inHead.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) : nil
            let staged = try git(["ls-files", "-s", "--", relative])
            let indexBlob = staged.split(separator: "\n").first.flatMap { line -> String? in
                let fields = line.split(separator: " ")
                return fields.count >= 2 ? String(fields[1]) : nil
            }
            if let headBlob {
                if indexBlob != headBlob {
                    try git(["update-index", "--add", "--cacheinfo", "100644,\(headBlob),\(relative)"])
                    repairs.append("index entry for \(relative)")
                }
                let full = path + "/" + relative
                if !FileManager.default.fileExists(atPath: full) {
                    let content = try gitResult(["cat-file", "blob", headBlob])
                    guard content.exitStatus == 0 else { throw AgentError(.io, "git cat-file blob \(headBlob) exited \(content.exitStatus): \(content.stderrText)") }
                    try writeFile(relative, content.stdout)
                    repairs.append("work-tree file \(relative)")
                }
            } else if indexBlob != nil {
                try git(["update-index", "--force-remove", "--", relative])
                repairs.append("index entry for removed \(relative)")
            }
        }
        return repairs
    }

    /// Writes a work-tree file whole or not at all, leaving no temporary file in the work tree.
    ///
    /// Foundation's atomic write puts its temporary file (`.dat.nosync…`) beside the
    /// target, so a kill mid-write left an untracked file in `memory/`. The bytes go
    /// to a temporary file in the git directory instead (invisible to `git status`)
    /// and are renamed into place; when that directory is on another file system the
    /// file is written in place (a partial file is rewritten by the retry).
    func writeFile(_ relative: String, _ data: Data) throws {
        let full = path + "/" + relative
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        if let gitDir = try? git(["rev-parse", "--absolute-git-dir"]) {
            let temporary = gitDir + "/luna-write-" + String(UInt64.random(in: 0...UInt64.max), radix: 16) + ".tmp"
            do {
                try data.write(to: URL(fileURLWithPath: temporary))
                if rename(temporary, full) == 0 { return }
                let code = errno
                unlink(temporary)
                if code != EXDEV { throw AgentError(.io, "cannot write \(full): \(SystemCall.errorText(code))") }
            } catch let error as AgentError {
                throw error
            } catch {
                unlink(temporary)
            }
        }
        do {
            try data.write(to: URL(fileURLWithPath: full))
        } catch {
            throw AgentError(.io, "cannot write \(full): \(error.localizedDescription)")
        }
    }

    /// Deletes `writeFile` temporaries a kill left in the git directory (older than ``staleLockAge``).
    /// Removes the private index files (and their `.lock`) of luna processes that
    /// are gone, and the single shared one (with its lock) that older versions used:
    /// a luna killed inside `git read-tree` or `update-index` leaves them behind,
    /// and a stale private-index lock would otherwise fail every commit for ever.
    func removeDeadScratchIndexes() {
        let folder = (scratchIndex as NSString).deletingLastPathComponent
        let base = (scratchIndex as NSString).lastPathComponent
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names where name == base || name == base + ".lock" || name.hasPrefix(base + "-") {
            let suffix = name.dropFirst(base.count)
            if suffix.hasPrefix("-") {
                let digits = suffix.dropFirst().prefix { $0.isNumber }
                guard let pid = Int32(digits), pid != getpid() else { continue }
                if kill(pid, 0) == 0 || errno == EPERM { continue }   // that luna still runs
            }
            unlink(folder + "/" + name)
        }
    }

    func removeOldTemporaryFiles(now: Date) {
        guard let gitDir = try? git(["rev-parse", "--absolute-git-dir"]),
              let names = try? FileManager.default.contentsOfDirectory(atPath: gitDir) else { return }
        for name in names where name.hasPrefix("luna-write-") && name.hasSuffix(".tmp") {
            let file = gitDir + "/" + name
            if let modified = (try? FileManager.default.attributesOfItem(atPath: file))?[.modificationDate] as? Date,
               now.timeIntervalSince(modified) > Self.staleLockAge {
                unlink(file)
            }
        }
    }
}
