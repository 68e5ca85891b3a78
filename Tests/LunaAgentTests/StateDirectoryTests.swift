import Foundation
import LunaFleet
import Synchronization
import Testing
import TestSupport

/// Opening the state directory from real `luna` processes: many at once on a
/// new directory, and the sentences for a directory that cannot be used.
@Suite("state directory: concurrent first opens and unusable directories", .serialized)
struct StateDirectoryTests {
    /// Runs `count` `luna ARGS` processes at once and returns their results.
    static func concurrently(_ count: Int, _ args: [String]) -> [Result<CommandResult, any Error>] {
        let results = Mutex<[Int: Result<CommandResult, any Error>]>([:])
        let done = DispatchGroup()
        for index in 0..<count {
            done.enter()
            Thread.detachNewThread {
                let result = Result { try LunaBinary.run(args, timeout: .seconds(60)) }
                results.withLock { $0[index] = result }
                done.leave()
            }
        }
        done.wait()
        return results.withLock { all in (0..<count).map { all[$0]! } }
    }

    /// Runs `rounds` rounds of `width` `luna proposals` at once, each on a new
    /// state directory, and returns the failures.
    static func firstOpens(_ estate: Estate, rounds: Int, width: Int) -> [String] {
        var failures: [String] = []
        for round in 0..<rounds {
            try? FileManager.default.removeItem(atPath: estate.ops.state)
            for (index, result) in concurrently(width, ["--config", estate.ops.config, "proposals"]).enumerated() {
                switch result {
                case .success(let r) where r.exitStatus == 0:
                    break
                case .success(let r):
                    failures.append("round \(round) #\(index): exit \(r.exitStatus): \(r.stderrText)")
                case .failure(let error):
                    failures.append("round \(round) #\(index): \(error)")
                }
            }
        }
        return failures
    }

    @Test("20 `luna proposals` processes opening a new state directory at once all succeed, 6 rounds")
    func twentyFirstOpens() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let failures = Self.firstOpens(estate, rounds: 6, width: 20)
        #expect(failures.isEmpty, "\(failures.count) of 120 failed, e.g. \(failures.prefix(2))")
    }

    @Test("two commands starting together on a new state directory both succeed, 40 rounds")
    func pairsOfFirstOpens() throws {
        // Two processes reach the WAL switch closest together; before the open
        // lock, about one round in seven lost it with SQLITE_BUSY.
        let estate = try Estate()
        defer { estate.remove() }
        let failures = Self.firstOpens(estate, rounds: 40, width: 2)
        #expect(failures.isEmpty, "\(failures.count) of 80 failed, e.g. \(failures.prefix(2))")
    }
}
