import Foundation
import Testing
import LunaFleet
import TestSupport

/// Commands run in process print exactly what the binary prints, and concurrent runs never share their streams.
@Suite("luna in process")
struct LunaCLITests {
    /// The same calls through the spawned binary and through `LunaCLI.main`: same statuses, same stdout and stderr bytes.
    ///
    /// Scans change state, so each way runs the whole sequence on an estate of its
    /// own; the in-process estate's root is written as the binary's, and times and
    /// commit ids as placeholders on both sides, before comparing.
    @Test func inProcessRunsPrintWhatTheBinaryPrintsByteForByte() throws {
        let spawned = try Estate()
        defer { spawned.remove() }
        let inProcess = try Estate()
        defer { inProcess.remove() }
        func calls(_ estate: Estate) -> [[String]] {
            let config = ["--config", estate.ops.config]
            return [
                [],
                ["--help"],
                ["scan", "--help"],
                ["bogus"],
                ["scan", "--bogus"],
                config + ["approve", "99"],
                config + ["approve", "abc"],
                config + ["scan"],
                config + ["scan"],
                config + ["scan", "--json"],
                config + ["allowed", "--host", "localhost", "--", "/usr/bin/chmod", "0600", estate.target],
                config + ["allowed", "--host", "localhost", "--json", "--", "/bin/sh", "-c", "id"],
                config + ["proposals"],
                config + ["memory", "list"],
                config + ["skills", "list"],
                ["--config", estate.ops.root + "/missing.toml", "status"],
                // A whole cycle: the Agent's own log lines ("executing proposal 1 …") reach stderr too.
                config + ["run", "--once"],
                config + ["approve", "1"],
                config + ["run", "--once"],
            ]
        }
        for (binaryArgs, args) in zip(calls(spawned), calls(inProcess)) {
            let binary = try LunaBinary.run(binaryArgs)
            let r = LunaCLITestRunner.run(args)
            let call = "luna " + binaryArgs.joined(separator: " ")
            let out = Self.comparable(r.out.replacingOccurrences(of: inProcess.ops.root, with: spawned.ops.root))
            let err = Self.comparable(r.err.replacingOccurrences(of: inProcess.ops.root, with: spawned.ops.root))
            let binaryOut = Self.comparable(String(decoding: binary.stdout, as: UTF8.self))
            let binaryErr = Self.comparable(String(decoding: binary.stderr, as: UTF8.self))
            #expect(r.status == binary.exitStatus, "\(call)")
            #expect(Data(out.utf8) == Data(binaryOut.utf8), "stdout of \(call):\n\(out)\n---\n\(binaryOut)")
            #expect(Data(err.utf8) == Data(binaryErr.utf8), "stderr of \(call):\n\(err)\n---\n\(binaryErr)")
        }
    }

    /// Output with what differs between two estates by nature (times, commit ids) written as placeholders.
    static func comparable(_ text: String) -> String {
        text.replacingOccurrences(of: #"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"#, with: "TIME", options: .regularExpression)
            .replacingOccurrences(of: #"\b[0-9a-f]{12,64}\b"#, with: "HEX", options: .regularExpression)
    }

    /// Many commands at once in one process: each run's output is its own, none lost or mixed into another's.
    ///
    /// Runs that open the state and read the ops repo (slow) interleave with runs
    /// that fail at once on stderr (fast): streams shared between runs would send
    /// one run's lines into another's.
    @Test func concurrentRunsKeepTheirOwnOutput() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let calls: [[String]] = [["skills", "list"], ["proposals"], ["memory", "list"], ["status"]].map { ["--config", estate.ops.config] + $0 }
        let alone = calls.map { LunaCLITestRunner.run($0) }
        for (args, r) in zip(calls, alone) {
            #expect(r.status == 0 && !r.out.isEmpty && r.err.isEmpty, "\(args): \(r.err)")
        }
        let runs = 64
        let results = CapturedResults(count: runs)
        DispatchQueue.concurrentPerform(iterations: runs) { i in
            let args = i % 2 == 0 ? calls[(i / 2) % calls.count] : ["--config", "/nonexistent-\(i)/luna.toml", "status"]
            results.set(i, LunaCLITestRunner.run(args))
        }
        for i in 0..<runs {
            let r = try #require(results.get(i))
            if i % 2 == 0 {
                let expected = alone[(i / 2) % calls.count]
                #expect(r.status == 0 && r.out == expected.out && r.err.isEmpty, "run \(i): \(r.out)\n---\n\(r.err)")
            } else {
                #expect(r.status == 2 && r.out.isEmpty, "run \(i): \(r.out)")
                #expect(r.err.hasPrefix("luna: no configuration at /nonexistent-\(i)/luna.toml;") && r.err.components(separatedBy: "luna: ").count == 2, "run \(i): \(r.err)")
            }
        }
    }
}

/// Results filled in from many threads.
private final class CapturedResults: @unchecked Sendable {
    // @unchecked: `values` is guarded by `lock`.
    private let lock = NSLock()
    private var values: [(status: Int32, out: String, err: String)?]

    init(count: Int) { values = Array(repeating: nil, count: count) }

    func set(_ i: Int, _ value: (status: Int32, out: String, err: String)) { lock.withLock { values[i] = value } }

    func get(_ i: Int) -> (status: Int32, out: String, err: String)? { lock.withLock { values[i] } }
}
