import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Gives memory back while the daemon waits between scans.
///
/// Most of an idle Swift daemon's resident set is not its own data but pages of
/// the Swift runtime, Foundation, ICU, libcurl and SQLite that the last scan
/// touched: file-backed, clean, and not needed again for minutes. ``trim()``
/// asks the kernel to reclaim them (`MADV_PAGEOUT`, Linux 5.4+) and returns free
/// heap pages to the system (`malloc_trim`). Pages the next poll or scan needs
/// fault back in from the page cache (a minor fault, ~1 µs a page), so the cost
/// is a few milliseconds per scan, measured in docs/benchmarks.md.
///
/// Only file-backed mappings are advised; anonymous memory (the heap, stacks,
/// relocated data) is never paged out here — there may be no swap, and the
/// daemon's state must not be slowed by it. Failures (an old kernel, a seccomp
/// filter answering EPERM) are ignored: trimming is an optimisation.
public enum IdleMemory {
    /// `MADV_PAGEOUT` (linux/mman.h); not every libc header names it.
    static let pageout: Int32 = 21

    /// Reclaims clean file-backed pages and free heap pages of this process.
    ///
    /// - Returns: The number of mappings advised (for tests and logs).
    @discardableResult
    public static func trim() -> Int {
        var advised = 0
        #if os(Linux)
        // malloc_trim is glibc's (malloc.h, which Glibc's module map leaves out): looked up, not linked.
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") {
            typealias Trim = @convention(c) (Int) -> Int32
            _ = unsafeBitCast(symbol, to: Trim.self)(0)
        }
        // /proc files report size 0, so they are read to EOF rather than by their size.
        guard let handle = FileHandle(forReadingAtPath: "/proc/self/maps"),
              let data = try? handle.readToEnd() else { return 0 }
        try? handle.close()
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            // "start-end perms offset dev inode path": file-backed when a path starting with '/' follows.
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            // The path column is padded with spaces, which the last split keeps.
            guard fields.count == 6, fields[5].drop(while: { $0 == " " }).hasPrefix("/"), let dash = fields[0].firstIndex(of: "-"),
                  let start = UInt(fields[0][..<dash], radix: 16),
                  let end = UInt(fields[0][fields[0].index(after: dash)...], radix: 16), end > start
            else { continue }
            if madvise(UnsafeMutableRawPointer(bitPattern: start), Int(end - start), pageout) == 0 { advised += 1 }
        }
        #endif
        return advised
    }

    /// This process's resident set in KiB (`VmRSS`), or nil where /proc is missing.
    public static func residentKiB() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return nil }
        return Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "")
    }
}
