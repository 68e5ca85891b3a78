import Foundation
import LunaSystem

/// Where the CLI reads and writes: the process's standard streams, or a test's buffers.
///
/// A command never touches stdout, stderr or stdin itself; it goes through the
/// streams bound for the running command (``current``), so a test can run a
/// command in process and read exactly what an operator would have seen. The
/// binding is a task-local: each command run sees its own streams, and
/// concurrent runs (parallel tests) never share one.
public struct CLIStreams: Sendable {
    /// Writes text, already rendered inert, to standard output.
    public var writeOutput: @Sendable (String) -> Void
    /// Writes text, already rendered inert, to standard error.
    public var writeError: @Sendable (String) -> Void
    /// Reads standard input to its end (a note's body given as `-`).
    public var readInput: @Sendable () -> Data
    /// Whether standard error is a terminal (where a scan shows its progress line).
    public var errorIsTerminal: Bool
    /// Whether standard error is the journal (`JOURNAL_STREAM` names it), where log lines carry sd-daemon priority prefixes.
    public var errorIsJournal: Bool
    /// Reads one line of standard input (an answer to a question), nil at its end.
    public var readLine: @Sendable () -> String?
    /// Whether standard input is a terminal (where a question may be asked).
    public var inputIsTerminal: Bool

    public init(writeOutput: @escaping @Sendable (String) -> Void,
                writeError: @escaping @Sendable (String) -> Void,
                readInput: @escaping @Sendable () -> Data,
                errorIsTerminal: Bool, errorIsJournal: Bool = false,
                readLine: @escaping @Sendable () -> String? = { nil }, inputIsTerminal: Bool = false) {
        self.writeOutput = writeOutput
        self.writeError = writeError
        self.readInput = readInput
        self.errorIsTerminal = errorIsTerminal
        self.errorIsJournal = errorIsJournal
        self.readLine = readLine
        self.inputIsTerminal = inputIsTerminal
    }

    /// The process's own stdout (buffered, as `print` writes it), stderr and stdin.
    public static var standard: CLIStreams {
        CLIStreams(
            writeOutput: { print($0, terminator: "") },
            writeError: { FileHandle.standardError.write(Data($0.utf8)) },
            readInput: { FileHandle.standardInput.readDataToEndOfFile() },
            errorIsTerminal: isatty(STDERR_FILENO) == 1,
            errorIsJournal: JournalStream.isJournal(fd: STDERR_FILENO),
            readLine: { Swift.readLine(strippingNewline: true) },
            inputIsTerminal: isatty(STDIN_FILENO) == 1
        )
    }

    /// The streams of the command running in this task (the process's own unless bound).
    @TaskLocal public static var current: CLIStreams = .standard
}
