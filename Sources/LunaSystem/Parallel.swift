import Foundation
import Synchronization

/// Work on independent items (hosts) on threads of their own, a bounded number at once.
public enum Parallel {
    /// `work` on every element, at most `width` at a time, the results in the elements' order.
    ///
    /// Each item gets a thread (the work blocks on processes and sockets, not the CPU), so a
    /// slow host holds one slot and never a shared pool.
    ///
    /// - Parameters:
    ///   - items: The inputs.
    ///   - width: How many run at once (at least 1).
    ///   - work: Called once per item, from another thread.
    /// - Returns: `work`'s results, `results[i]` for `items[i]`.
    public static func map<T: Sendable, R: Sendable>(_ items: [T], width: Int, _ work: @escaping @Sendable (T) -> R) -> [R] {
        let slots = Mutex<[R?]>(Array(repeating: nil, count: items.count))
        let limit = DispatchSemaphore(value: max(1, width))
        let group = DispatchGroup()
        for (index, item) in items.enumerated() {
            limit.wait()
            group.enter()
            Thread.detachNewThread {
                let result = work(item)
                slots.withLock { $0[index] = result }
                limit.signal()
                group.leave()
            }
        }
        group.wait()
        return slots.withLock { $0.map { $0! } }
    }
}
