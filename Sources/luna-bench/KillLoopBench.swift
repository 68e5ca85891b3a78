import Foundation
import TestSupport

/// `luna-bench killloop [--rounds N] [--seed S]`: randomized kill -9 of luna, then the invariants (TestSupport.KillLoop).
func killLoopBench(_ args: [String]) throws {
    let rounds = Int(try option("--rounds", in: args, default: 20))
    let seed = UInt64(try option("--seed", in: args, default: Double(UInt32.random(in: 1...UInt32.max))))
    print("killloop: seed \(seed) (repeat with --seed \(seed))")
    var loop = KillLoop(rounds: rounds, seed: seed)
    let figures = try loop.run { line in
        FileHandle.standardError.write(Data(("killloop: " + line + "\n").utf8))
    }
    print(figures)
    if figures.failures > 0 { throw BenchError(description: "\(figures.failures) invariant failures") }
}
