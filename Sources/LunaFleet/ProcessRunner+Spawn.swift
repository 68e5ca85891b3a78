import Foundation
import LunaSystem
#if canImport(Glibc)
import Glibc
#endif

/// The spawned child and the parent's ends of its pipes.
struct SpawnedChild {
    let pid: pid_t
    /// Write end of the child's stdin, or nil when stdin is /dev/null.
    let stdinWrite: Int32?
    let stdoutRead: Int32
    let stderrRead: Int32
}

extension ProcessRunner {
    /// Refuses argvs that cannot be passed through `execve` unchanged.
    static func validate(_ argv: [String]) throws(FleetError) {
        guard let first = argv.first else {
            throw FleetError(.invalidArgument, "argv is empty; give at least the program to run", argv: argv)
        }
        if first.isEmpty {
            throw FleetError(.invalidArgument, "argv[0] is empty; give the program to run", argv: argv)
        }
        if let index = argv.firstIndex(where: { $0.utf8.contains(0) }) {
            throw FleetError(
                .invalidArgument, "argv[\(index)] contains a NUL byte, which cannot be passed to a program",
                argv: argv)
        }
    }

    /// The executable path for `program`: as given when it contains a `/`, else the first hit on `PATH`.
    static func resolve(_ program: String, path: String?, argv: [String]) throws(FleetError) -> String {
        if program.contains("/") {
            guard FileManager.default.fileExists(atPath: program) else {
                throw FleetError(.programNotFound, "no such program: \(program)", argv: argv)
            }
            return program
        }
        let searchPath = path ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in searchPath.split(separator: ":", omittingEmptySubsequences: false) {
            let base = dir.isEmpty ? "." : String(dir)
            let candidate = base + "/" + program
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
                access(candidate, X_OK) == 0
            {
                return candidate
            }
        }
        throw FleetError(.programNotFound, "\(program) not found on PATH (\(searchPath))", argv: argv)
    }

    /// Creates a close-on-exec pipe; returns (read end, write end).
    static func makePipe(argv: [String]) throws(FleetError) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard let pipe2 = GNUExtensions.pipe2 else {
            throw FleetError(.spawnFailed, "pipe2 is not available in this C library", argv: argv)
        }
        try FleetError.check("pipe2", argv: argv) { pipe2(&fds, O_CLOEXEC) }
        return (fds[0], fds[1])
    }

    /// Spawns `path` with `argv` in its own process group, stdio wired to fresh pipes.
    ///
    /// The child gets an empty signal mask and default dispositions for the
    /// common signals, whatever the parent blocks or ignores.
    static func spawn(
        path: String, argv: [String], environment: [String: String]?, hasInput: Bool,
        workingDirectory: String?
    ) throws(FleetError) -> SpawnedChild {
        var opened: [Int32] = []
        var keepOpen: Set<Int32> = []
        defer { for fd in opened where !keepOpen.contains(fd) { close(fd) } }

        let stdinPipe: (read: Int32, write: Int32)?
        if hasInput {
            let pipe = try makePipe(argv: argv)
            opened += [pipe.read, pipe.write]
            stdinPipe = pipe
        } else {
            stdinPipe = nil
        }
        let outPipe = try makePipe(argv: argv)
        opened += [outPipe.read, outPipe.write]
        let errPipe = try makePipe(argv: argv)
        opened += [errPipe.read, errPipe.write]

        var actions = posix_spawn_file_actions_t()
        try FleetError.check("posix_spawn_file_actions_init", .returnsErrorNumber, argv: argv) {
            posix_spawn_file_actions_init(&actions)
        }
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let stdinPipe {
            try FleetError.check("posix_spawn_file_actions_adddup2", .returnsErrorNumber, argv: argv) {
                posix_spawn_file_actions_adddup2(&actions, stdinPipe.read, 0)
            }
        } else {
            try FleetError.check("posix_spawn_file_actions_addopen", .returnsErrorNumber, argv: argv) {
                posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            }
        }
        try FleetError.check("posix_spawn_file_actions_adddup2", .returnsErrorNumber, argv: argv) {
            posix_spawn_file_actions_adddup2(&actions, outPipe.write, 1)
        }
        try FleetError.check("posix_spawn_file_actions_adddup2", .returnsErrorNumber, argv: argv) {
            posix_spawn_file_actions_adddup2(&actions, errPipe.write, 2)
        }
        if let workingDirectory {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: workingDirectory, isDirectory: &isDirectory),
                isDirectory.boolValue
            else {
                throw FleetError(.spawnFailed, "working directory \(workingDirectory) does not exist", argv: argv)
            }
            guard let addChdir = GNUExtensions.addChdir else {
                throw FleetError(
                    .spawnFailed, "this C library cannot set a working directory for posix_spawn (glibc < 2.29)",
                    argv: argv)
            }
            try FleetError.check("posix_spawn_file_actions_addchdir_np", .returnsErrorNumber, argv: argv) {
                addChdir(&actions, workingDirectory)
            }
        }

        var attributes = posix_spawnattr_t()
        try FleetError.check("posix_spawnattr_init", .returnsErrorNumber, argv: argv) {
            posix_spawnattr_init(&attributes)
        }
        defer { posix_spawnattr_destroy(&attributes) }
        let flags = POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        try FleetError.check("posix_spawnattr_setflags", .returnsErrorNumber, argv: argv) {
            posix_spawnattr_setflags(&attributes, Int16(flags))
        }
        try FleetError.check("posix_spawnattr_setpgroup", .returnsErrorNumber, argv: argv) {
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        try FleetError.check("posix_spawnattr_setsigmask", .returnsErrorNumber, argv: argv) {
            posix_spawnattr_setsigmask(&attributes, &noSignals)
        }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGCHLD, SIGUSR1, SIGUSR2, SIGALRM] {
            sigaddset(&defaults, signal)
        }
        try FleetError.check("posix_spawnattr_setsigdefault", .returnsErrorNumber, argv: argv) {
            posix_spawnattr_setsigdefault(&attributes, &defaults)
        }

        let cArgv: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for pointer in cArgv { free(pointer) } }
        let cEnvironment: [UnsafeMutablePointer<CChar>?]? =
            environment.map { env in env.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer { for pointer in cEnvironment ?? [] { free(pointer) } }

        var pid: pid_t = 0
        let rc: Int32
        if let cEnvironment {
            rc = posix_spawn(&pid, path, &actions, &attributes, cArgv, cEnvironment)
        } else {
            rc = posix_spawn(&pid, path, &actions, &attributes, cArgv, environ)
        }
        let kind: FleetError.Kind = rc == ENOENT ? .programNotFound : .spawnFailed
        try FleetError.check("posix_spawn \(path)", .returnsErrorNumber, kind: kind, argv: argv) { rc }

        // The child holds its own copies now; the parent keeps only its ends.
        keepOpen = [outPipe.read, errPipe.read]
        if let stdinPipe { keepOpen.insert(stdinPipe.write) }
        return SpawnedChild(
            pid: pid, stdinWrite: stdinPipe?.write, stdoutRead: outPipe.read, stderrRead: errPipe.read)
    }
}

extension FleetError {
    /// Runs a C call through LunaSystem's checked call; a failure becomes a ``FleetError`` naming the argv.
    ///
    /// - Parameters:
    ///   - call: The C call, named in the message.
    ///   - convention: How `body` reports failure.
    ///   - kind: The error kind to throw (``FleetError/Kind/spawnFailed`` by default).
    ///   - argv: The argv being run, for context.
    ///   - body: The C call.
    /// - Returns: The call's return value on success.
    @discardableResult
    static func check(
        _ call: String, _ convention: SystemCall.Convention = .minusOneSetsErrno,
        kind: Kind = .spawnFailed, argv: [String], _ body: () -> Int32
    ) throws(FleetError) -> Int32 {
        do throws(SystemError) {
            return try SystemCall.check(call, convention, body)
        } catch {
            throw FleetError(kind, error.description, argv: argv)
        }
    }
}
