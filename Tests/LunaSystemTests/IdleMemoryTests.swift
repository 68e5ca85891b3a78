import Foundation
import LunaSystem
import Testing

@Suite("Idle memory trimming")
struct IdleMemoryTests {
    /// File-backed resident pages of this process, in KiB (RssFile).
    static func fileResidentKiB() throws -> Int {
        let handle = try #require(FileHandle(forReadingAtPath: "/proc/self/status"))
        defer { try? handle.close() }
        let status = String(decoding: try #require(try handle.readToEnd()), as: UTF8.self)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("RssFile:") })
        return try #require(Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? ""))
    }

    @Test("trim advises the file-backed mappings and the resident set shrinks",
          .enabled(if: FileManager.default.fileExists(atPath: "/proc/self/maps")))
    func trimShrinks() throws {
        let before = try Self.fileResidentKiB()
        let advised = IdleMemory.trim()
        let after = try Self.fileResidentKiB()
        // The test binary, the Swift runtime and libc are all file-backed mappings.
        #expect(advised > 10, "only \(advised) mappings advised")
        #expect(after < before, "RssFile \(before) KiB before, \(after) KiB after")
        #expect(IdleMemory.residentKiB().map { $0 > 0 } == true)
    }
}
