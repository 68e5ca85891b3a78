import Foundation
import LunaModel

extension GitRepository {
    /// The values of the repository's gitignored `.env` files.
    ///
    /// These are the operator's secrets: exact values that must never leave the
    /// host, whatever shape they have. Unreadable files are skipped.
    public func envSecrets() -> [String] {
        var secrets: [String] = []
        let ignored = (try? git(["ls-files", "--others", "--ignored", "--exclude-standard", "-z"])) ?? ""
        for relative in ignored.split(separator: "\0").map(String.init) {
            let name = (relative as NSString).lastPathComponent
            guard name == ".env" || name.hasPrefix(".env.") || name.hasSuffix(".env") else { continue }
            if let text = try? String(contentsOfFile: path + "/" + relative, encoding: .utf8) {
                secrets += Redactor.envValues(text)
            }
        }
        return secrets
    }

    /// A redactor for text committed to this repository (which may be pushed off the host).
    public func redactor() -> Redactor { Redactor(exactSecrets: envSecrets()) }
}

/// The files `luna secrets scan` reads and what it found in them.
public struct SecretScanResult: Sendable, Encodable {
    /// Files read.
    public var scanned: Int
    /// Files passed over: binary (a NUL byte), larger than ``SecretScan/maxFileBytes``, unreadable; with the reason.
    public var skipped: [String]
    public var findings: [SecretFinding]
}

/// Secret-shaped values in files a person or Luna would commit.
public enum SecretScan {
    /// Larger files are skipped (named in the result): secrets are in configuration, not in blobs.
    public static let maxFileBytes = 4 << 20

    /// The shapes in one file's bytes, or why it was skipped.
    static func scan(_ data: Data, file: String, git: Bool) -> Result<[SecretFinding], SkipReason> {
        if data.count > maxFileBytes { return .failure(SkipReason(text: "\(file): larger than \(maxFileBytes >> 20) MiB")) }
        if data.contains(0) { return .failure(SkipReason(text: "\(file): binary")) }
        var findings = Redactor.findSecrets(in: String(decoding: data, as: UTF8.self), file: file)
        let name = (file as NSString).lastPathComponent
        if git, name == ".env" || name.hasPrefix(".env.") {
            // Secrets live in gitignored .env files: one git would commit is a finding however its values look.
            findings.insert(SecretFinding(file: file, line: 1, column: 1, shape: "a .env file that git would commit (gitignore it)"), at: 0)
        }
        return .success(findings)
    }

    struct SkipReason: Error { var text: String }

    /// Scans `path`: the files git would commit there (tracked and untracked, not ignored) when it
    /// is in a git work tree, with `staged` the index's content of what `git diff --cached` would
    /// commit; otherwise every regular file under it (`.git` excluded); a file alone.
    ///
    /// - Throws: `AgentError` when the path does not exist or git fails.
    public static func scan(path: String, staged: Bool) throws -> SecretScanResult {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw AgentError(.notFound, "\(path) does not exist")
        }
        var result = SecretScanResult(scanned: 0, skipped: [], findings: [])
        var git = false
        func add(_ data: Data?, _ file: String) {
            guard let data else { result.skipped.append("\(file): unreadable"); return }
            switch scan(data, file: file, git: git) {
            case .success(let f): result.scanned += 1; result.findings += f
            case .failure(let why): result.skipped.append(why.text)
            }
        }
        if !isDir.boolValue {
            if staged { throw AgentError(.invalid, "--staged scans a repository, not the file \(path)") }
            add(FileManager.default.contents(atPath: path), path)
            return result
        }
        let repo = GitRepository(path: path, authorName: "luna", authorEmail: "luna@localhost", scratchIndex: "/nonexistent")
        let inside = (try? repo.git(["rev-parse", "--is-inside-work-tree"])) == "true"
        git = inside
        if staged {
            guard inside else { throw AgentError(.invalid, "--staged needs a git work tree; \(path) is not in one") }
            let names = try repo.git(["diff", "--cached", "--name-only", "--relative", "-z", "--diff-filter=ACMR"])
            for name in names.split(separator: "\0").map(String.init) {
                let blob = try? repo.gitResult(["show", ":./" + name])
                add(blob.flatMap { $0.exitStatus == 0 ? $0.stdout : nil }, name)
            }
        } else if inside {
            let names = try repo.git(["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
            for name in Set(names.split(separator: "\0").map(String.init)).sorted() {
                let full = path + "/" + name
                var dir: ObjCBool = false
                // A deleted tracked file or a submodule is nothing to read.
                guard FileManager.default.fileExists(atPath: full, isDirectory: &dir), !dir.boolValue else { continue }
                add(FileManager.default.contents(atPath: full), name)
            }
        } else {
            let walker = FileManager.default.enumerator(atPath: path)
            var names: [String] = []
            while let name = walker?.nextObject() as? String {
                if name == ".git" || name.hasPrefix(".git/") { walker?.skipDescendants(); continue }
                var dir: ObjCBool = false
                if FileManager.default.fileExists(atPath: path + "/" + name, isDirectory: &dir), !dir.boolValue { names.append(name) }
            }
            for name in names.sorted() { add(FileManager.default.contents(atPath: path + "/" + name), name) }
        }
        return result
    }
}
