import Foundation
import LunaSystem
#if canImport(Glibc)
import Glibc
#endif

/// Creating and checking the state directory, with errors an operator can act on.
///
/// `FileManager` reports a read-only or uncreatable directory as an
/// `NSCocoaErrorDomain Code=513` (or 642, 516…) dump; this says which path,
/// why (the `errno` text), as which user, and what to do.
public enum StateDirectory {
    /// Creates `path` (and missing parents, mode 0700) when absent and checks
    /// that this process can write in it.
    ///
    /// - Parameters:
    ///   - path: The state directory.
    ///   - configFile: The configuration naming it, for the hint.
    /// - Throws: ``AgentError`` of kind `.io` with a sentence naming the path and the fix.
    public static func prepare(_ path: String, configFile: String) throws {
        let hint = "create it as the user luna runs as (mode 0700), or set state_dir in \(configFile) (or pass --state-dir) to a writable directory"
        var info = stat()
        if stat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else {
                throw AgentError(.io, "the state directory \(path) exists but is not a directory; move it away, or \(hint)")
            }
        } else {
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            } catch {
                throw AgentError(.io, "cannot create the state directory \(path): \(reason(creating: path)); \(hint)")
            }
        }
        guard access(path, W_OK | X_OK) == 0 else {
            let why = SystemCall.errorText(errno)
            throw AgentError(.io, "the state directory \(path) is not writable by \(user()): \(why); \(hint)")
        }
    }

    /// Why `path` cannot be created: the `errno` text of the first component
    /// that fails, with that component named when it is a parent.
    static func reason(creating path: String) -> String {
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            prefix += "/" + part
            var info = stat()
            if stat(prefix, &info) == 0 {
                if info.st_mode & S_IFMT != S_IFDIR { return "\(prefix) is not a directory" }
                continue
            }
            if mkdir(prefix, 0o700) != 0 {
                let code = errno
                let text = SystemCall.errorText(code)
                let parent = (prefix as NSString).deletingLastPathComponent
                switch code {
                case EACCES, EPERM: return "\(text) (\(user()) cannot write in \(parent))"
                case EROFS: return "\(text) (\(parent) is on a read-only file system)"
                case ENOSPC: return "\(text) (the file system holding \(parent) is full)"
                default: return text
                }
            }
        }
        return "the directory could not be created"
    }

    /// `user NAME (uid N)` for the effective user.
    static func user() -> String {
        let uid = SystemUser.effectiveID
        return SystemUser.name(of: uid).map { "user \($0) (uid \(uid))" } ?? "uid \(uid)"
    }
}
