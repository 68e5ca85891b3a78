import Foundation
import LunaCLI

/// Runs `luna ARGS` inside the test process and captures what it prints.
///
/// The command runs exactly as the binary runs it (`LunaCLI.main`, the same
/// parsing, output and exit status); only the streams differ: stdout and stderr
/// go to buffers, stdin is `input` (empty, like the binary's `/dev/null`), and
/// stderr is not a terminal. Tests that need a real process (signals,
/// `kill -9`, another user, a terminal, the environment) spawn the binary.
enum LunaCLITestRunner {
    static func run(_ args: [String], input: Data = Data()) -> (status: Int32, out: String, err: String) {
        let out = CapturedText()
        let err = CapturedText()
        let streams = CLIStreams(writeOutput: out.append, writeError: err.append, readInput: { input }, errorIsTerminal: false)
        let status = LunaCLI.main(arguments: args, streams: streams)
        return (status, out.text, err.text)
    }
}

/// Text written from any thread, read once the command has returned.
final class CapturedText: @unchecked Sendable {
    // @unchecked: `buffer` is guarded by `lock`.
    private let lock = NSLock()
    private var buffer = ""

    @Sendable func append(_ text: String) { lock.withLock { buffer += text } }

    var text: String { lock.withLock { buffer } }
}
