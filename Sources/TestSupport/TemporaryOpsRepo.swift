import Foundation
import LunaFleet

/// A throwaway ops repository with real git, for end-to-end tests.
///
/// It holds `configs/`, `skills/`, `memory/`, a `luna.toml` pointing at itself,
/// and a state directory outside the work tree. Removed by `remove()`.
public final class TemporaryOpsRepo: @unchecked Sendable {
    // @unchecked: all stored properties are immutable after init; methods only do file and process I/O.
    /// The scratch root (holds `repo/`, `state/` and anything a test puts beside them).
    public let root: String
    /// The git work tree.
    public let repo: String
    /// The state directory for `--state-dir`.
    public let state: String
    /// The configuration file (inside the repo's parent, so it is not committed).
    public let config: String

    /// Creates the repo with `files` (relative path → content) and commits them.
    public init(files: [String: String], config: String) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("luna-e2e-\(UUID().uuidString.prefix(8))").path
        repo = root + "/repo"
        state = root + "/state"
        self.config = root + "/luna.toml"
        try FileManager.default.createDirectory(atPath: repo, withIntermediateDirectories: true)
        for (path, content) in files { try write(path, content) }
        try config.replacingOccurrences(of: "@ROOT@", with: root).write(toFile: self.config, atomically: true, encoding: .utf8)
        try git("init", "-q", "-b", "main")
        try git("config", "user.name", "Operator")
        try git("config", "user.email", "operator@example.invalid")
        try git("add", "-A")
        try git("commit", "-q", "--allow-empty", "-m", "initial ops repo")
    }

    /// Writes a file under the repo (creating folders).
    public func write(_ relative: String, _ content: String) throws {
        let path = repo + "/" + relative
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try content.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Runs git in the repo and returns its trimmed stdout; throws on failure.
    @discardableResult
    public func git(_ args: String...) throws -> String {
        let r = try ProcessRunner.run(["git", "-C", repo] + args, timeout: .seconds(30))
        guard r.exitStatus == 0 else {
            throw TestFailure("git \(args.joined(separator: " ")) failed: \(r.stderrText)")
        }
        return r.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Deletes everything.
    public func remove() {
        try? FileManager.default.removeItem(atPath: root)
    }
}

/// A failure inside test support code, with a message.
public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ message: String) { description = message }
}

/// The built `luna` executable, run as a child process like an operator would.
public enum LunaBinary {
    /// The path of the `luna` built beside the test bundle.
    public static var path: String {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("luna").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/luna").path
    }

    /// Runs `luna ARGS` to completion.
    public static func run(_ args: [String], environment: [String: String]? = nil, timeout: Duration = .seconds(120)) throws -> CommandResult {
        try ProcessRunner.run([path] + args, environment: environment, timeout: timeout)
    }
}
