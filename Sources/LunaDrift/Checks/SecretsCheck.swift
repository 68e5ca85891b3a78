import Foundation
import LunaFleet
import LunaSecrets

/// Secrets hygiene on a host: the `.env` files of the directories named in
/// `configs/secrets/<host>` are private and owned as the reference says, and
/// the compose files beside them hold no inline secret.
///
/// Reference lines: `dir PATH OWNER:GROUP` (the owner its `.env` files must
/// have; `*` skips the owner). One `find` over the directories (depth 1, no
/// shell) prints each `.env`, `.env.*` and `*.env` file's mode and owner
/// (templates — `.example`, `.sample`, `.template`, `.dist` — are not secrets)
/// and the content of each `docker-compose.yml`, `docker-compose.yaml`,
/// `compose.yml` and `compose.yaml`, which is read with the Redactor's shapes:
/// a finding names the file, line and key, never the value. A `.env` file
/// must give group and others no access (0600 or 0400). Reading needs only
/// what luna has: `.env` files are looked at, never read.
public struct SecretsCheck: DriftCheck {
    public let name = "secrets"
    public let referenceKind = "secrets"

    public init() {}

    /// One `dir` line.
    struct Directory: Equatable {
        var path: String
        var owner: String?
    }

    static let composeNames = ["docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml"]
    static let templateSuffixes = [".example", ".sample", ".template", ".dist"]

    static func directories(_ baseline: Baseline) throws(BaselineError) -> [Directory] {
        var out: [Directory] = []
        for line in baseline.lines {
            let f = line.fields
            guard f.count == 3, f[0] == "dir" else {
                throw BaselineError(file: baseline.file, line: line.number, message: "expected 'dir PATH OWNER:GROUP' (or * for the owner)")
            }
            var path = f[1]
            guard path.hasPrefix("/") else {
                throw BaselineError(file: baseline.file, line: line.number, message: "path must be absolute: \(path)")
            }
            while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
            guard f[2] == "*" || f[2].split(separator: ":", omittingEmptySubsequences: false).count == 2 && !f[2].hasPrefix(":") && !f[2].hasSuffix(":") else {
                throw BaselineError(file: baseline.file, line: line.number, message: "owner must be USER:GROUP or *, found \(f[2])")
            }
            guard !out.contains(where: { $0.path == path }) else {
                throw BaselineError(file: baseline.file, line: line.number, message: "\(path) is named twice")
            }
            out.append(Directory(path: path, owner: f[2] == "*" ? nil : f[2]))
        }
        return out
    }

    /// `find DIRS -maxdepth 1 …`: `env MODE USER:GROUP PATH\0` per env file, `compose PATH\0CONTENT\0` per compose file.
    static func argv(_ dirs: [Directory]) -> [String] {
        var argv = ["find"] + dirs.map(\.path) + ["-maxdepth", "1", "-type", "f", "(", "-name", ".env", "-o", "-name", ".env.*", "-o", "-name", "*.env", ")",
                                                   "-printf", "env %m %u:%g %p\\0", "-o", "-type", "f", "("]
        for (i, name) in composeNames.enumerated() { argv += (i == 0 ? [] : ["-o"]) + ["-name", name] }
        argv += [")", "-printf", "compose %p\\0", "(", "-exec", "cat", "--", "{}", ";", "-o", "-true", ")", "-printf", "\\0"]
        return argv
    }

    public func plan(host: String, references: References) -> CollectionPlan {
        switch requireReference(host: host, references: references) {
        case .failure(let box):
            return .done(box.result)
        case .success(let baseline):
            do {
                let dirs = try Self.directories(baseline)
                guard !dirs.isEmpty else { return .done(unavailable(host, "the reference \(baseline.file) names no directory")) }
                return .run(argv: Self.argv(dirs), reference: baseline)
            } catch {
                return .done(failed(host, "bad reference: \(error)"))
            }
        }
    }

    public func evaluate(host: String, output: CommandResult, reference: Baseline?) -> CheckResult {
        guard let reference, let dirs = try? Self.directories(reference) else { return failed(host, "no usable reference") }
        let tokens = output.stdout.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        var items: [DriftItem] = []
        var envCount = 0, composeCount = 0
        func directory(of path: String) -> Directory? {
            dirs.first { path.hasPrefix($0.path == "/" ? "/" : $0.path + "/") }
        }
        var i = 0
        while i < tokens.count {
            let token = tokens[i]
            i += 1
            if token.hasPrefix("env ") {
                let parts = token.split(separator: " ", maxSplits: 3).map(String.init)
                guard parts.count == 4, let mode = Int(parts[1], radix: 8), let dir = directory(of: parts[3]) else { continue }
                let path = parts[3]
                if Self.templateSuffixes.contains(where: { path.hasSuffix($0) }) { continue }
                envCount += 1
                let shownMode = String(format: "%04o", mode)
                if mode & 0o077 != 0 {
                    items.append(DriftItem(subject: path + " mode",
                                           summary: "\(path): mode \(shownMode), a .env file must give group and others no access (0600)",
                                           params: ["directory": dir.path, "aspect": "mode"], observed: shownMode))
                }
                if let owner = dir.owner, owner != parts[2] {
                    items.append(DriftItem(subject: path + " owner", summary: "\(path): owner \(parts[2]), reference \(owner)",
                                           params: ["directory": dir.path, "aspect": "owner", "expected": owner], observed: parts[2]))
                }
            } else if token.hasPrefix("compose ") {
                let path = String(token.dropFirst("compose ".count))
                let content = i < tokens.count ? tokens[i] : ""
                i += 1
                guard let dir = directory(of: path) else { continue }
                composeCount += 1
                var seen = Set<String>()
                for f in Redactor.findSecrets(in: content, file: path) {
                    let what = f.key ?? f.shape
                    guard seen.insert(what).inserted else { continue }
                    items.append(DriftItem(subject: "\(path) \(what)",
                                           summary: "\(f.description): inline in a compose file (keep it in the .env file beside it)",
                                           params: ["directory": dir.path, "aspect": "inline"]))
                }
            }
        }
        var partial = false
        var notes: [String] = []
        for line in output.stderrText.split(separator: "\n").map(String.init) {
            if line.contains("No such file or directory"), let dir = dirs.first(where: { line.contains($0.path + "'") || line.contains($0.path + "\u{2019}") }) {
                items.append(DriftItem(subject: dir.path + " missing", summary: "\(dir.path) is missing", params: ["directory": dir.path]))
            } else if line.contains("Permission denied") {
                partial = true
                notes.append(line)
            } else if !line.trimmingCharacters(in: .whitespaces).isEmpty {
                return failed(host, "find exited \(output.exitStatus): \(stderrExcerpt(output))")
            }
        }
        var result = CheckResult.compared(host: host, check: name, items: items,
                                          okDetail: "\(envCount) .env files private and owned as referenced, \(composeCount) compose files without inline secrets")
        if partial {
            result.partial = true
            result.detail += "\n  partial: " + notes.prefix(3).joined(separator: "; ")
        }
        return result
    }
}
