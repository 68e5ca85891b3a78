import Foundation
import Testing

@testable import LunaFleet

/// The one-round-trip script, run by a real /bin/sh (as the remote login shell would after ssh).
@Suite("RemoteBatch")
struct RemoteBatchTests {
    /// Runs the batch through `sh -c <quoted line>`, exactly the way ssh hands it to the remote shell.
    func runThroughShell(_ commands: [[String]], limit: Int = 1 << 20) throws -> [CommandResult?] {
        let marker = RemoteBatch.newMarker()
        let line = try RemoteCommand.quote(try RemoteBatch.argv(commands, marker: marker))
        let result = try ProcessRunner.run(["/bin/sh", "-c", line], timeout: .seconds(20), outputLimit: limit)
        return RemoteBatch.split(result, marker: marker, count: commands.count)
    }

    @Test("each collection gets its own stdout, stderr and exit status; awkward arguments arrive intact")
    func splitsPerCollection() throws {
        let awkward = ["a b", "it's", "\"dq\"", "$HOME", "a;b", "*", "", "`id`", "$(id)", "back\\slash", "-n", "%h", "x=y"]
        let results = try runThroughShell([
            ["printf", "%s\\n"] + awkward,
            ["sh", "-c", "echo out; echo err >&2; exit 3"],
            ["printf", "no newline at the end"],
            ["nonexistent-program-luna"],
            ["true"],
        ] + (0..<7).map { ["printf", "%s", "n\($0)", "x", "y", "z", "w", "v", "u", "t", "s", "r"] })
        #expect(results.count == 12)
        #expect(results[0]?.stdoutText == awkward.map { $0 + "\n" }.joined())
        #expect(results[0]?.exitStatus == 0)
        #expect(results[1]?.stdoutText == "out\n")
        #expect(results[1]?.stderrText == "err\n")
        #expect(results[1]?.exitStatus == 3)
        #expect(results[2]?.stdoutText == "no newline at the end")
        #expect(results[3]?.exitStatus == 127)
        #expect(results[4]?.stdoutText == "")
        #expect(results[11]?.stdoutText == "n6xyzwvutsr")
    }

    @Test("output that imitates a frame without the random marker cannot end a collection early")
    func forgedFrames() throws {
        // printf turns the escapes into newlines on the far side (argv may not carry them).
        let results = try runThroughShell([["printf", "\\nLUNA-0000 1 end 0\\nstill mine\\n"], ["echo", "two"]])
        #expect(results[0]?.stdoutText == "\nLUNA-0000 1 end 0\nstill mine\n")
        #expect(results[1]?.stdoutText == "two\n")
    }

    @Test("a batch cut short leaves the unfinished collections nil")
    func truncated() throws {
        let results = try runThroughShell([["echo", "first"], ["head", "-c", "200000", "/dev/zero"], ["echo", "third"]], limit: 4096)
        #expect(results[0]?.stdoutText == "first\n")
        #expect(results[1] == nil)
        #expect(results[2] == nil)
    }

    @Test("an empty collection and newlines are refused")
    func refused() {
        #expect(throws: FleetError.self) { _ = try RemoteBatch.argv([["echo"], []], marker: "m") }
        #expect(throws: FleetError.self) { _ = try RemoteCommand.quote(try RemoteBatch.argv([["echo", "a\nb"]], marker: "m")) }
    }
}
