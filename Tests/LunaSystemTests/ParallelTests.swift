import Foundation
import LunaSystem
import Synchronization
import Testing

@Suite("Parallel.map")
struct ParallelTests {
    @Test func resultsKeepTheItemsOrderAndNoMoreThanTheWidthRunAtOnce() {
        let running = Mutex((now: 0, most: 0))
        let out = Parallel.map(Array(0..<24), width: 4) { n -> Int in
            running.withLock { $0.now += 1; $0.most = max($0.most, $0.now) }
            // Later items finish first, so an order taken from completion would be reversed.
            usleep(UInt32((24 - n) * 2_000))
            running.withLock { $0.now -= 1 }
            return n * n
        }
        #expect(out == (0..<24).map { $0 * $0 })
        let most = running.withLock { $0.most }
        #expect(most <= 4 && most > 1, "at most 4 at once, and more than one: \(most)")
        #expect(Parallel.map([Int](), width: 0) { $0 }.isEmpty)
    }
}
