import Foundation

/// What a finished command produced: its exit status, captured output and timing.
///
/// A non-zero exit is a normal result, not an error: the caller decides what a
/// status means. Output beyond the runner's limit is drained and discarded, and
/// the matching `…Truncated` flag says so.
public struct CommandResult: Sendable, Codable, Equatable {
    /// The exit status; `128 + signal` when the process was killed by a signal.
    public var exitStatus: Int32
    /// The signal that killed the process, or nil when it exited on its own.
    public var signal: Int32?
    /// Captured standard output (at most the runner's output limit).
    public var stdout: Data
    /// Captured standard error (at most the runner's output limit).
    public var stderr: Data
    /// True when standard output exceeded the limit and the rest was discarded.
    public var stdoutTruncated: Bool
    /// True when standard error exceeded the limit and the rest was discarded.
    public var stderrTruncated: Bool
    /// True when the runner killed the process because its timeout expired.
    public var timedOut: Bool
    /// Wall-clock seconds from spawn to reaping.
    public var duration: Double

    /// Creates a result; runners build these, tests may too.
    ///
    /// - Parameters:
    ///   - exitStatus: The exit status (`128 + signal` when killed by a signal).
    ///   - signal: The killing signal, if any.
    ///   - stdout: Captured standard output.
    ///   - stderr: Captured standard error.
    ///   - stdoutTruncated: Whether standard output was cut at the limit.
    ///   - stderrTruncated: Whether standard error was cut at the limit.
    ///   - timedOut: Whether the timeout killed the process.
    ///   - duration: Seconds from spawn to reaping.
    public init(
        exitStatus: Int32, signal: Int32? = nil, stdout: Data = Data(), stderr: Data = Data(),
        stdoutTruncated: Bool = false, stderrTruncated: Bool = false,
        timedOut: Bool = false, duration: Double = 0
    ) {
        self.exitStatus = exitStatus
        self.signal = signal
        self.stdout = stdout
        self.stderr = stderr
        self.stdoutTruncated = stdoutTruncated
        self.stderrTruncated = stderrTruncated
        self.timedOut = timedOut
        self.duration = duration
    }

    /// Standard output decoded as UTF-8, invalid bytes replaced by U+FFFD.
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }

    /// Standard error decoded as UTF-8, invalid bytes replaced by U+FFFD.
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }

    /// True when the process exited with status 0 and was not killed.
    public var succeeded: Bool { exitStatus == 0 && signal == nil && !timedOut }
}
