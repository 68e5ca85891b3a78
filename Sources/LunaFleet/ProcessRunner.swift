import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs one argv as a child process, without a shell, and collects its output.
///
/// The child is started with `posix_spawn` in a process group of its own, so a
/// timeout can stop it together with whatever it forked. Both output streams are
/// read concurrently with `poll`, so neither can fill its pipe and stall the child.
public enum ProcessRunner {
    /// How long the group gets between SIGTERM and SIGKILL after a timeout.
    static let killGrace: Duration = .seconds(2)
    /// How long the pipes are drained after the child exited, in case a
    /// grandchild (e.g. a daemon) still holds them open.
    static let drainGrace: Duration = .milliseconds(250)

    /// Spawns `argv` and waits for it to finish, capturing bounded output.
    ///
    /// `argv[0]` is used as given when it contains a `/`, else looked up on the
    /// `PATH` of `environment` (or of this process). No shell is involved: every
    /// element reaches the program verbatim. Standard output and error are read
    /// concurrently; at most `outputLimit` bytes of each are kept, the rest is
    /// read and discarded and the matching `…Truncated` flag is set, so endless
    /// output costs no memory. When `timeout` expires the child's process group
    /// gets SIGTERM, then SIGKILL two seconds later; the result has `timedOut`
    /// set. The child is always reaped before this returns. Once the child has
    /// exited, pipes still held open by a grandchild are drained for 250 ms only.
    ///
    /// - Parameters:
    ///   - argv: The program and its arguments; non-empty, no NUL bytes.
    ///   - environment: The child's whole environment, or nil to inherit this process's.
    ///   - input: Bytes written to the child's stdin (then closed); nil means /dev/null.
    ///   - workingDirectory: The child's working directory, or nil to inherit.
    ///   - timeout: How long the child may run before its group is killed.
    ///   - outputLimit: Bytes kept from each of stdout and stderr.
    ///   - onSpawn: Called with the child's pid (also its process group id) right after spawning.
    /// - Returns: The exit status (`128 + signal` when killed), output and timing. A
    ///   non-zero exit is a normal result.
    /// - Throws: ``FleetError`` with `.invalidArgument` (empty argv, NUL byte, bad
    ///   environment), `.programNotFound`, or `.spawnFailed`.
    public static func run(
        _ argv: [String],
        environment: [String: String]? = nil,
        input: Data? = nil,
        workingDirectory: String? = nil,
        timeout: Duration = .seconds(60),
        outputLimit: Int = 1 << 20,
        onSpawn: ((Int32) -> Void)? = nil
    ) throws(FleetError) -> CommandResult {
        try validate(argv)
        if let environment {
            for (key, value) in environment
            where key.isEmpty || key.contains("=") || key.utf8.contains(0) || value.utf8.contains(0) {
                throw FleetError(
                    .invalidArgument, "environment variable \(key.debugDescription) has an invalid name or a NUL byte",
                    argv: argv)
            }
        }
        let searchPath = environment.map { $0["PATH"] } ?? ProcessInfo.processInfo.environment["PATH"]
        let path = try resolve(argv[0], path: searchPath, argv: argv)

        // Writing to a stdin pipe the child closed raises SIGPIPE, which would kill
        // this whole process. Block it on this thread only while we run; EPIPE is
        // then reported by write() and the pending signal is consumed below.
        var sigpipe = sigset_t()
        sigemptyset(&sigpipe)
        sigaddset(&sigpipe, SIGPIPE)
        var previousMask = sigset_t()
        pthread_sigmask(SIG_BLOCK, &sigpipe, &previousMask)
        var sawBrokenPipe = false
        defer {
            if sawBrokenPipe && sigismember(&previousMask, SIGPIPE) == 0 {
                var zero = timespec(tv_sec: 0, tv_nsec: 0)
                _ = sigtimedwait(&sigpipe, nil, &zero)
            }
            pthread_sigmask(SIG_SETMASK, &previousMask, nil)
        }

        let clock = ContinuousClock()
        let start = clock.now
        let child = try spawn(
            path: path, argv: argv, environment: environment, hasInput: input != nil,
            workingDirectory: workingDirectory)
        onSpawn?(child.pid)

        var stdoutFD: Int32? = child.stdoutRead
        var stderrFD: Int32? = child.stderrRead
        var stdinFD: Int32? = child.stdinWrite
        defer { for fd in [stdoutFD, stderrFD, stdinFD].compactMap({ $0 }) { close(fd) } }
        if let fd = stdinFD { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        let inputBytes = input ?? Data()
        var inputOffset = 0

        var stdout = OutputCapture(limit: outputLimit)
        var stderr = OutputCapture(limit: outputLimit)
        let deadline = start.advanced(by: timeout)
        var killAt: ContinuousClock.Instant?
        var sentKill = false
        var timedOut = false
        var waitStatus: Int32?
        var exitedAt: ContinuousClock.Instant?
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)

        while true {
            if waitStatus == nil {
                var status: Int32 = 0
                let reaped = waitpid(child.pid, &status, WNOHANG)
                if reaped == child.pid {
                    waitStatus = status
                    exitedAt = clock.now
                } else if reaped == -1 && errno == ECHILD {
                    // Someone else reaped it (SIGCHLD ignored?); the status is lost.
                    waitStatus = -1
                    exitedAt = clock.now
                }
            }
            let now = clock.now
            if let exitedAt {
                if stdoutFD == nil && stderrFD == nil { break }
                if now - exitedAt >= drainGrace { break }
            }
            if waitStatus == nil {
                if !timedOut && now >= deadline {
                    timedOut = true
                    kill(-child.pid, SIGTERM)
                    killAt = now.advanced(by: killGrace)
                }
                if let killAt, !sentKill, now >= killAt {
                    kill(-child.pid, SIGKILL)
                    sentKill = true
                }
            }

            var fds: [pollfd] = []
            if let fd = stdoutFD { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
            if let fd = stderrFD { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
            if let fd = stdinFD { fds.append(pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)) }
            // Wake up regularly to reap the child and to honour the deadlines.
            var wait: Duration = fds.isEmpty ? .milliseconds(5) : .milliseconds(50)
            if let exitedAt { wait = min(wait, max(.zero, exitedAt.advanced(by: drainGrace) - now)) }
            if !timedOut { wait = min(wait, max(.zero, deadline - now)) }
            if let killAt, !sentKill { wait = min(wait, max(.zero, killAt - now)) }
            let waitMilliseconds = Int32(
                wait.components.seconds * 1000 + wait.components.attoseconds / 1_000_000_000_000_000)
            let ready = poll(&fds, nfds_t(fds.count), max(waitMilliseconds, 0))
            if ready <= 0 { continue }

            for entry in fds where entry.revents != 0 {
                if entry.fd == stdinFD {
                    if entry.revents & Int16(POLLOUT) != 0 && inputOffset < inputBytes.count {
                        let written = inputBytes.withUnsafeBytes { raw in
                            write(entry.fd, raw.baseAddress! + inputOffset, min(raw.count - inputOffset, 64 * 1024))
                        }
                        if written > 0 {
                            inputOffset += written
                        } else if written == -1 && errno != EAGAIN && errno != EINTR {
                            if errno == EPIPE { sawBrokenPipe = true }
                            inputOffset = inputBytes.count
                        }
                    } else if entry.revents & Int16(POLLERR | POLLHUP) != 0 {
                        inputOffset = inputBytes.count
                    }
                    if inputOffset >= inputBytes.count {
                        close(entry.fd)
                        stdinFD = nil
                    }
                    continue
                }
                let count = buffer.withUnsafeMutableBytes { raw in read(entry.fd, raw.baseAddress!, raw.count) }
                if count > 0 {
                    buffer.withUnsafeBytes { raw in
                        let chunk = UnsafeRawBufferPointer(rebasing: raw[0..<count])
                        if entry.fd == stdoutFD { stdout.append(chunk) } else { stderr.append(chunk) }
                    }
                } else if count == 0 || (errno != EAGAIN && errno != EINTR) {
                    close(entry.fd)
                    if entry.fd == stdoutFD { stdoutFD = nil } else { stderrFD = nil }
                }
            }
            // An empty input closes stdin at once so the child sees EOF.
            if let fd = stdinFD, inputBytes.isEmpty {
                close(fd)
                stdinFD = nil
            }
        }

        let status = waitStatus ?? -1
        let low = status & 0x7f
        var exitStatus: Int32 = -1
        var signal: Int32?
        if status == -1 {
            exitStatus = -1
        } else if low == 0 {
            exitStatus = (status >> 8) & 0xff
        } else if low != 0x7f {
            signal = low
            exitStatus = 128 + low
        }
        let elapsed = clock.now - start
        return CommandResult(
            exitStatus: exitStatus, signal: signal,
            stdout: stdout.data, stderr: stderr.data,
            stdoutTruncated: stdout.truncated, stderrTruncated: stderr.truncated,
            timedOut: timedOut,
            duration: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
}
