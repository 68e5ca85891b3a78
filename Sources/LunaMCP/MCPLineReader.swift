import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Newline-delimited messages from a file descriptor, each at most `limit` bytes.
///
/// A longer line is never held in memory: it is read past to its end and
/// reported as `.oversized`, so a client cannot make the server grow without
/// bound, and the next line is read as usual.
public final class MCPLineReader {
    public enum Line: Equatable {
        case message(Data)
        case oversized(Int)
        case end
    }

    let fd: Int32
    let limit: Int
    private var buffer: [UInt8] = []
    /// Where the unread part of `buffer` starts.
    private var start = 0
    /// Bytes of an oversized line already dropped.
    private var skipped = 0
    private var atEnd = false

    public init(fd: Int32, limit: Int) {
        self.fd = fd
        self.limit = limit
    }

    /// The next line (without its newline; a `\r` before it is dropped; blank lines are skipped),
    /// or `.end` at end of input or on a read error.
    public func next() -> Line {
        while true {
            if let nl = buffer[start...].firstIndex(of: 0x0A) {
                var line = buffer[start..<nl]
                start = nl + 1
                if skipped > 0 || line.count > limit {
                    defer { skipped = 0 }
                    return .oversized(skipped + line.count)
                }
                if line.last == 0x0D { line = line.dropLast() }
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                return .message(Data(line))
            }
            // No newline in what is buffered: drop what is read, and an oversized line's bytes as they come.
            buffer.removeFirst(start)
            start = 0
            if buffer.count > limit || (skipped > 0 && !buffer.isEmpty) {
                skipped += buffer.count
                buffer.removeAll(keepingCapacity: true)
            }
            if atEnd {
                if skipped > 0 { defer { skipped = 0 }; return .oversized(skipped) }
                if buffer.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { buffer.removeAll(); return .end }
                defer { buffer.removeAll() }
                return .message(Data(buffer))
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { atEnd = true; continue }
            buffer.append(contentsOf: chunk[0..<n])
        }
    }
}
