import Foundation
import LunaSystem
import LunaText

/// Where the agent writes its events and problems: one line each, with a level.
///
/// Every line is rendered inert by the writer (a log line quotes host data and
/// errors, and lands on a terminal or in the journal); callers redact what
/// leaves the host. `log("…")` writes at `.info`; problems name their level
/// (`log(.warning, "…")`). Lines less severe than ``threshold`` are dropped.
public struct AgentLog: Sendable {
    /// The least severe level written (`[log] level`).
    public var threshold: LogLevel
    private let write: @Sendable (LogLevel, String) -> Void

    /// A log that hands each line and its level to `write`.
    public init(threshold: LogLevel = .debug, _ write: @escaping @Sendable (LogLevel, String) -> Void) {
        self.threshold = threshold
        self.write = write
    }

    /// A log that hands each line to `write` without its level.
    public init(threshold: LogLevel = .debug, lines write: @escaping @Sendable (String) -> Void) {
        self.init(threshold: threshold) { _, line in write(line) }
    }

    /// Writes `line` at `.info`.
    public func callAsFunction(_ line: String) { callAsFunction(.info, line) }

    /// Writes `line` at `level`, unless it is less severe than the threshold.
    public func callAsFunction(_ level: LogLevel, _ line: String) {
        guard level <= threshold else { return }
        write(level, line)
    }

    /// The same log with another threshold.
    public func with(threshold: LogLevel) -> AgentLog {
        var copy = self
        copy.threshold = threshold
        return copy
    }

    /// The same log with `prefix` before every line (a channel's name).
    public func prefixed(_ prefix: String) -> AgentLog {
        let write = self.write
        return AgentLog(threshold: threshold) { level, line in write(level, prefix + line) }
    }

    /// The log as a plain function of a line, at `level` (for parts that take a closure).
    public func lines(at level: LogLevel) -> @Sendable (String) -> Void {
        let log = self
        return { log(level, $0) }
    }

    /// One rendered line: `<N>` and the inert text when the stream is the journal
    /// (sd-daemon(3): journald reads the priority from the prefix), else `luna: ` and the inert text.
    public static func format(_ level: LogLevel, _ line: String, journal: Bool) -> String {
        (journal ? level.journalPrefix : "luna: ") + InertText.render(line) + "\n"
    }

    /// A log writing formatted lines to `stream` (standard error by default).
    ///
    /// - Parameters:
    ///   - threshold: The least severe level written.
    ///   - journal: Whether the stream is the journal (``JournalStream/isJournal(fd:value:)``).
    ///   - stream: Where each rendered line goes.
    public static func stream(threshold: LogLevel = .info, journal: Bool = JournalStream.isJournal(),
                              _ stream: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) -> AgentLog {
        AgentLog(threshold: threshold) { level, line in stream(format(level, line, journal: journal)) }
    }
}
