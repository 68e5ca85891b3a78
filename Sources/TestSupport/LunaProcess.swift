import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A `luna` started in the background, to be killed at a chosen moment.
///
/// Spawned with `posix_spawn` and reaped with `waitpid` here (not Foundation's
/// `Process`, whose wait can outlast the child while an orphaned grandchild lives).
/// Output goes to files beside the scratch root so a killed run leaves its text.
public final class LunaProcess: @unchecked Sendable {
    // @unchecked: `status` is only touched by the thread that calls `wait`.
    public let pid: Int32
    public let stdoutPath: String
    private var status: Int32?

    /// Starts `luna ARGS` with `environment` (nil: this process's).
    public init(_ args: [String], environment: [String: String]? = nil, output: String) throws {
        stdoutPath = output
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, output + ".err", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv = [LunaBinary.path] + args
        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        var cArgv: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        var cEnv: [UnsafeMutablePointer<CChar>?] = env.map { strdup($0) } + [nil]
        defer { for p in cArgv + cEnv { free(p) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, argv[0], &actions, nil, &cArgv, &cEnv)
        guard rc == 0 else { throw TestFailure("posix_spawn luna: \(String(cString: strerror(rc)))") }
        pid = child
    }

    /// The output written so far.
    public var output: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }

    /// The standard error written so far (the daemon's log).
    public var errorOutput: String { (try? String(contentsOfFile: stdoutPath + ".err", encoding: .utf8)) ?? "" }

    /// Whether it has exited (reaping it if so).
    public var hasExited: Bool {
        if status != nil { return true }
        var s: Int32 = 0
        if waitpid(pid, &s, WNOHANG) == pid { status = s; return true }
        return false
    }

    /// Waits for it to exit; returns the exit status (128 + signal when killed).
    @discardableResult
    public func wait() -> Int32 {
        if status == nil {
            var s: Int32 = 0
            while waitpid(pid, &s, 0) == -1 && errno == EINTR {}
            status = s
        }
        let s = status!
        return (s & 0x7f) == 0 ? (s >> 8) & 0xff : 128 + (s & 0x7f)
    }

    /// `kill -9` of luna alone: whatever it spawned (in process groups of their own) lives on.
    public func killAlone() {
        kill(pid, SIGKILL)
        wait()
    }

    /// `kill -9` of luna and every process descending from it (the whole tree).
    public func killTree() {
        kill(pid, SIGSTOP)   // no new children while the tree is collected
        let descendants = ProcessTree.descendants(of: pid)
        for d in descendants { kill(d, SIGKILL) }
        kill(pid, SIGKILL)
        wait()
    }
}

/// The process tree as `/proc` shows it.
public enum ProcessTree {
    /// The parent pid and state of a process, from `/proc/PID/stat`.
    public static func stat(_ pid: Int32) -> (parent: Int32, state: Character)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 2, let state = fields[0].first, let parent = Int32(fields[1]) else { return nil }
        return (parent, state)
    }

    /// Every living descendant of `root`.
    public static func descendants(of root: Int32) -> [Int32] {
        var children: [Int32: [Int32]] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), let s = stat(pid) else { continue }
            children[s.parent, default: []].append(pid)
        }
        var out: [Int32] = []
        var queue = children[root] ?? []
        while let next = queue.popLast() {
            out.append(next)
            queue += children[next] ?? []
        }
        return out
    }

    /// Whether `pid` is alive and not a zombie.
    public static func isAlive(_ pid: Int32) -> Bool {
        guard let s = stat(pid) else { return false }
        return s.state != "Z" && s.state != "X"
    }
}
