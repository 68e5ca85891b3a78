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
    private var buffer = Data()
    private var skipping = 0
    private var atEnd = false

    public init(fd: Int32, limit: Int) {
        self.fd = fd
        self.limit = limit
    }

    /// The next line (without its newline; a `\r` before it is dropped), or `.end` at end of input or on a read error.
    public func next() -> Line {
        while true {
            if let nl = buffer.firstIndex(of: 0x0A) {
                var line = buffer[buffer.startIndex..<nl]
                buffer = Data(buffer[buffer.index(after: nl)...])
                if skipping > 0 {
                    let total = skipping + line.count
                    skipping = 0
                    return .oversized(total)
                }
                if line.last == 0x0D { line = line.dropLast() }
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                return .message(Data(line))
            }
            if buffer.count > limit {
                skipping += buffer.count
                buffer.removeAll(keepingCapacity: true)
            }
            if atEnd {
                if skipping > 0 { let total = skipping; skipping = 0; return .oversized(total) }
                if buffer.isEmpty { return .end }
                let rest = buffer
                buffer.removeAll()
                return .message(rest)
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { atEnd = true; continue }
            buffer.append(contentsOf: chunk[0..<n])
        }
    }
}
