import Foundation
import Testing

@testable import LunaFleet

#if canImport(Glibc)
import Glibc
#endif

@Suite("ProcessRunner")
struct ProcessRunnerTests {
    @Test("exit status is reported, not thrown", arguments: [0, 1, 3, 42, 255])
    func exitStatus(code: Int) throws {
        let result = try ProcessRunner.run(["/bin/sh", "-c", "exit \(code)"])
        #expect(result.exitStatus == Int32(code))
        #expect(result.signal == nil)
        #expect(!result.timedOut)
        #expect(result.succeeded == (code == 0))
    }

    @Test("stdout and stderr are captured separately")
    func separateStreams() throws {
        let result = try ProcessRunner.run(["/bin/sh", "-c", "echo out; echo err >&2; echo out2"])
        #expect(result.stdoutText == "out\nout2\n")
        #expect(result.stderrText == "err\n")
    }

    @Test("arguments arrive verbatim, no shell in between")
    func verbatimArguments() throws {
        let args = [
            "a b", "it's", "\"double\"", "$HOME", "a;b", "*", "", "-n", "`id`", "$(id)", "back\\slash", "tab\there",
            "multi\nline", "ünïcødé", "> /tmp/x", "|", "&&",
        ]
        let result = try ProcessRunner.run(["/usr/bin/printf", "%s\\n"] + args)
        #expect(result.exitStatus == 0)
        #expect(result.stdoutText == args.map { $0 + "\n" }.joined())
    }

    @Test("a program without a slash is looked up on PATH")
    func pathLookup() throws {
        let result = try ProcessRunner.run(["printf", "%s", "found"], environment: ["PATH": "/nonexistent:/usr/bin:/bin"])
        #expect(result.stdoutText == "found")
    }

    @Test("10 MB of output is cut at the limit and the child is still reaped")
    func truncatesLargeOutput() throws {
        var pid: Int32 = 0
        let result = try ProcessRunner.run(
            ["/bin/sh", "-c", "head -c 10485760 /dev/zero; head -c 3000000 /dev/zero >&2; echo done >&2"],
            outputLimit: 1 << 20, onSpawn: { pid = $0 })
        #expect(result.exitStatus == 0)
        #expect(result.stdout.count == 1 << 20)
        #expect(result.stdoutTruncated)
        #expect(result.stderr.count == 1 << 20)
        #expect(result.stderrTruncated)
        #expect(pid > 0)
        #expect(isGone(pid))
    }

    @Test("output under the limit is not flagged")
    func exactLimitNotTruncated() throws {
        let result = try ProcessRunner.run(["/usr/bin/head", "-c", "4096", "/dev/zero"], outputLimit: 4096)
        #expect(result.stdout.count == 4096)
        #expect(!result.stdoutTruncated)
    }

    @Test("endless output is bounded by the limit and stopped by the timeout")
    func endlessOutput() throws {
        let start = ContinuousClock.now
        let result = try ProcessRunner.run(["/usr/bin/yes"], timeout: .milliseconds(500), outputLimit: 64 * 1024)
        #expect(ContinuousClock.now - start < .seconds(5))
        #expect(result.timedOut)
        #expect(result.stdout.count == 64 * 1024)
        #expect(result.stdoutTruncated)
    }

    @Test("non-UTF-8 output survives byte for byte")
    func binaryOutput() throws {
        let result = try ProcessRunner.run(["/usr/bin/printf", "\\377\\376\\000\\200A"])
        #expect(result.stdout == Data([0xFF, 0xFE, 0x00, 0x80, 0x41]))
        #expect(result.stdoutText.hasSuffix("A"))
    }

    @Test("a timeout kills the child and its process group in bounded time")
    func timeoutKillsGroup() throws {
        var pid: Int32 = 0
        let start = ContinuousClock.now
        let result = try ProcessRunner.run(
            ["/bin/sh", "-c", "sleep 30 & echo $!; wait"], timeout: .milliseconds(500), onSpawn: { pid = $0 })
        let elapsed = ContinuousClock.now - start
        #expect(result.timedOut)
        #expect(elapsed < .seconds(4))
        #expect(result.signal == SIGTERM)
        #expect(result.exitStatus == 128 + SIGTERM)
        let grandchild = try #require(Int32(result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)))
        // The background sleep shared the group, so SIGTERM reached it as well.
        let gone = (0..<100).contains { _ in
            if isGone(grandchild) { return true }
            usleep(20_000)
            return false
        }
        #expect(gone, "grandchild \(grandchild) survived the timeout")
        #expect(isGone(pid))
    }

    @Test("a child that ignores SIGTERM gets SIGKILL after the grace period")
    func timeoutEscalatesToKill() throws {
        let start = ContinuousClock.now
        let result = try ProcessRunner.run(["/bin/sh", "-c", "trap '' TERM; sleep 30"], timeout: .milliseconds(300))
        let elapsed = ContinuousClock.now - start
        #expect(result.timedOut)
        #expect(result.signal == SIGKILL)
        #expect(result.exitStatus == 128 + SIGKILL)
        #expect(elapsed >= .seconds(2))
        #expect(elapsed < .seconds(6))
    }

    @Test("a missing program is a programNotFound error", arguments: ["/nonexistent/luna-prog", "luna-no-such-program"])
    func programNotFound(program: String) {
        #expect {
            _ = try ProcessRunner.run([program, "arg"])
        } throws: { error in
            (error as? FleetError)?.kind == .programNotFound
        }
    }

    @Test("invalid argv is refused before spawning", arguments: [[], [""], ["/usr/bin/printf", "a\u{0}b"]])
    func invalidArgument(argv: [String]) {
        #expect {
            _ = try ProcessRunner.run(argv)
        } throws: { error in
            (error as? FleetError)?.kind == .invalidArgument
        }
    }

    @Test("input is piped to stdin")
    func inputToCat() throws {
        let small = try ProcessRunner.run(["/bin/cat"], input: Data("hello\nworld".utf8))
        #expect(small.stdoutText == "hello\nworld")
        // Larger than any pipe buffer in both directions: needs concurrent write and read.
        let big = Data((0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        let echoed = try ProcessRunner.run(["/bin/cat"], input: big, outputLimit: 4 << 20)
        #expect(echoed.stdout == big)
        #expect(!echoed.stdoutTruncated)
    }

    @Test("stdin is /dev/null without input, and empty input is EOF")
    func noInput() throws {
        let none = try ProcessRunner.run(["/bin/cat"], timeout: .seconds(5))
        #expect(none.stdout.isEmpty && !none.timedOut)
        let empty = try ProcessRunner.run(["/bin/cat"], input: Data(), timeout: .seconds(5))
        #expect(empty.stdout.isEmpty && !empty.timedOut)
    }

    @Test("a child that never reads its input does not break the parent (EPIPE, no SIGPIPE)")
    func unreadInput() throws {
        let result = try ProcessRunner.run(["/bin/true"], input: Data(count: 4 << 20))
        #expect(result.exitStatus == 0)
    }

    @Test("death by signal is reported as 128+signal", arguments: [SIGKILL, SIGTERM, SIGSEGV])
    func signalExit(signal: Int32) throws {
        let result = try ProcessRunner.run(["/bin/sh", "-c", "kill -\(signal) $$"])
        #expect(result.signal == signal)
        #expect(result.exitStatus == 128 + signal)
        #expect(!result.timedOut)
    }

    @Test("the child is reaped: no zombie is left behind")
    func noZombie() throws {
        var pids: [Int32] = []
        for _ in 0..<5 {
            _ = try ProcessRunner.run(["/bin/sh", "-c", "exit 7"], onSpawn: { pids.append($0) })
        }
        #expect(pids.count == 5)
        for pid in pids {
            #expect(!FileManager.default.fileExists(atPath: "/proc/\(pid)"), "pid \(pid) still exists")
            // waitpid already happened: nothing is left for us to reap.
            var status: Int32 = 0
            #expect(waitpid(pid, &status, WNOHANG) == -1)
        }
    }

    @Test("environment and working directory are applied")
    func environmentAndDirectory() throws {
        let env = try ProcessRunner.run(["/usr/bin/env"], environment: ["LUNA_ONLY": "x y", "PATH": "/usr/bin"])
        #expect(Set(env.stdoutText.split(separator: "\n")) == ["LUNA_ONLY=x y", "PATH=/usr/bin"])
        let pwd = try ProcessRunner.run(["/bin/pwd"], workingDirectory: "/usr/share")
        #expect(pwd.stdoutText == "/usr/share\n")
        #expect {
            _ = try ProcessRunner.run(["/bin/pwd"], workingDirectory: "/nonexistent/dir")
        } throws: { error in
            (error as? FleetError)?.kind == .spawnFailed
        }
    }

    @Test("a grandchild holding the pipes open does not hold up the result")
    func daemonizedGrandchild() throws {
        let start = ContinuousClock.now
        let result = try ProcessRunner.run(["/bin/sh", "-c", "sleep 3 & echo started"], timeout: .seconds(20))
        #expect(result.stdoutText == "started\n")
        #expect(ContinuousClock.now - start < .seconds(2))
        #expect(!result.timedOut)
    }
}

@Suite("LocalExecutor")
struct LocalExecutorTests {
    @Test("runs argv and names its host in errors")
    func runAndError() throws {
        let executor = LocalExecutor(host: "box1", outputLimit: 8)
        let result = try executor.run(["/usr/bin/printf", "%s", "0123456789"], timeout: .seconds(5))
        #expect(result.stdoutText == "01234567")
        #expect(result.stdoutTruncated)
        #expect {
            _ = try executor.run(["/nonexistent/x"], timeout: .seconds(5))
        } throws: { error in
            let fleet = error as? FleetError
            return fleet?.kind == .programNotFound && fleet?.host == "box1"
                && fleet?.description.contains("box1") == true
        }
    }
}
