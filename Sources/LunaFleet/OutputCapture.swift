import Foundation

/// Bounded buffer for one output stream: keeps the first `limit` bytes, counts the rest.
struct OutputCapture {
    /// Bytes kept at most.
    let limit: Int
    /// The kept bytes.
    private(set) var data = Data()
    /// True once a byte had to be discarded.
    private(set) var truncated = false

    init(limit: Int) { self.limit = max(0, limit) }

    /// Keeps as much of `chunk` as fits under the limit and drops the rest.
    mutating func append(_ chunk: UnsafeRawBufferPointer) {
        let room = limit - data.count
        if chunk.count <= room {
            data.append(contentsOf: chunk)
        } else {
            if room > 0 { data.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<room])) }
            truncated = true
        }
    }
}
