import Foundation

/// Several read-only collections in one remote invocation, split back per collection.
///
/// The remote command is always the same fixed POSIX `sh` script; the collections
/// travel as its positional parameters, each element quoted by ``RemoteCommand``.
/// The parameters are: a random marker, then per collection its element count
/// followed by its elements. The script runs each collection in turn with stdin
/// from `/dev/null` and frames it, on stdout and on stderr, with
/// `\n<marker> <i> begin\n` … `\n<marker> <i> end <status>\n`.
///
/// The script uses `eval` only on text it builds itself from digits
/// (`"${12}"`), never on a collection's elements: an element is only ever
/// expanded inside double quotes, as exactly one word.
public enum RemoteBatch {
    /// The fixed script (one line: ``RemoteCommand`` refuses newlines).
    public static let script =
        #"m=$1; shift; p=1; i=0; t=$#; "#
        + #"while [ "$p" -le "$t" ]; do eval "n=\${$p}"; i=$((i+1)); c=''; j=0; "#
        + #"while [ "$j" -lt "$n" ]; do j=$((j+1)); c="$c \"\${$((p+j))}\""; done; p=$((p+n+1)); "#
        + #"printf '\n%s %s begin\n' "$m" "$i"; printf '\n%s %s begin\n' "$m" "$i" >&2; "#
        + #"eval "$c" </dev/null; s=$?; "#
        + #"printf '\n%s %s end %s\n' "$m" "$i" "$s"; printf '\n%s %s end\n' "$m" "$i" >&2; done"#

    /// A fresh random marker (128 bits), so collected output cannot guess where a frame ends.
    public static func newMarker() -> String {
        "LUNA-" + (0..<4).map { _ in String(format: "%08x", UInt32.random(in: 0...UInt32.max)) }.joined()
    }

    /// The argv that runs every collection through the fixed script.
    ///
    /// - Parameters:
    ///   - commands: Each collection's argv (non-empty).
    ///   - marker: The frame marker (from ``newMarker()``).
    ///   - shell: The remote POSIX shell.
    /// - Returns: `[shell, "-c", script, "luna-collect", marker, count, elements…, …]`.
    /// - Throws: ``FleetError`` `.invalidArgument` for an empty collection.
    public static func argv(_ commands: [[String]], marker: String, shell: String = "/bin/sh") throws(FleetError) -> [String] {
        var argv = [shell, "-c", script, "luna-collect", marker]
        for command in commands {
            guard let first = command.first, !first.isEmpty else {
                throw FleetError(.invalidArgument, "a collection in a batch has an empty argv", argv: command)
            }
            argv.append(String(command.count))
            argv += command
        }
        return argv
    }

    /// Splits the batch's output into one result per collection.
    ///
    /// A collection whose end frame is missing (the batch timed out or its
    /// output was cut) gets nil: the caller reports it as not collected.
    ///
    /// - Parameters:
    ///   - result: The whole invocation's result.
    ///   - marker: The marker used in ``argv(_:marker:shell:)``.
    ///   - count: How many collections were sent.
    /// - Returns: `count` results (stdout, stderr and exit status of each), or nil where incomplete.
    public static func split(_ result: CommandResult, marker: String, count: Int) -> [CommandResult?] {
        let out = frames(result.stdout, marker: marker, count: count, withStatus: true)
        let err = frames(result.stderr, marker: marker, count: count, withStatus: false)
        return (0..<count).map { i in
            guard let (stdout, status) = out[i], let status else { return nil }
            return CommandResult(exitStatus: status, stdout: stdout, stderr: err[i]?.0 ?? Data(),
                                 duration: result.duration)
        }
    }

    /// The frames of one stream, in order; each frame's bytes and (stdout only) exit status.
    static func frames(_ data: Data, marker: String, count: Int, withStatus: Bool) -> [(Data, Int32?)?] {
        let bytes = [UInt8](data)
        var found: [(Data, Int32?)?] = Array(repeating: nil, count: count)
        var position = 0
        for i in 0..<count {
            let begin = Array("\n\(marker) \(i + 1) begin\n".utf8)
            guard let start = search(bytes, begin, from: position) else { break }
            let contentStart = start + begin.count
            let endPrefix = Array("\n\(marker) \(i + 1) end".utf8)
            guard let end = search(bytes, endPrefix, from: contentStart) else { break }
            let content = Data(bytes[contentStart..<end])
            var cursor = end + endPrefix.count
            var status: Int32? = nil
            if withStatus {
                guard cursor < bytes.count, bytes[cursor] == 0x20 else { break }
                cursor += 1
                var digits = ""
                while cursor < bytes.count, bytes[cursor] != 0x0A { digits.append(Character(UnicodeScalar(bytes[cursor]))); cursor += 1 }
                guard cursor < bytes.count, let value = Int32(digits) else { break }
                status = value
            } else {
                guard cursor < bytes.count, bytes[cursor] == 0x0A else { break }
            }
            found[i] = (content, status)
            position = cursor
        }
        return found
    }

    /// The index of the first occurrence of `needle` in `haystack` at or after `from`.
    static func search(_ haystack: [UInt8], _ needle: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, from <= haystack.count - needle.count else { return nil }
        let first = needle[0]
        var i = from
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == first, haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}

/// An executor that can run several read-only collections in one round trip.
public protocol BatchExecutor: Executor {
    /// Runs every argv of `commands` in one invocation and returns each one's result.
    ///
    /// - Parameters:
    ///   - commands: The collections, each an argv.
    ///   - timeout: The limit for the whole batch.
    /// - Returns: One entry per command: its result, or nil when it did not finish
    ///   (the batch timed out or its output was cut).
    /// - Throws: ``FleetError`` when the host could not be reached at all.
    func runBatch(_ commands: [[String]], timeout: Duration) throws(FleetError) -> [CommandResult?]
}

extension SSHExecutor: BatchExecutor {
    /// Runs all `commands` in one ssh invocation through ``RemoteBatch``'s fixed script.
    ///
    /// - Parameters:
    ///   - commands: The collections, each an argv.
    ///   - timeout: The limit for the whole batch, connection included.
    /// - Returns: One result per command, nil where the batch did not reach its end.
    /// - Throws: ``FleetError`` `.unreachable`, `.hostKeyMismatch`, `.invalidArgument`.
    public func runBatch(_ commands: [[String]], timeout: Duration) throws(FleetError) -> [CommandResult?] {
        guard !commands.isEmpty else { return [] }
        let marker = RemoteBatch.newMarker()
        let result = try run(try RemoteBatch.argv(commands, marker: marker), timeout: timeout)
        return RemoteBatch.split(result, marker: marker, count: commands.count)
    }
}
