import Foundation

/// One line of `/proc/PID/stat`: the state, the process group and the start time of a process.
///
/// `startTicks` (field 22) is the start time since boot in clock ticks: a
/// different process that later gets the same pid has another one, so a pid
/// and its start ticks name one process for good.
public struct ProcessStat: Sendable, Equatable {
    /// `R`, `S`, `D`, `Z` (zombie), `X` (dead), ...
    public var state: Character
    /// The parent's pid (field 4).
    public var parent: Int32
    /// The process group (field 5).
    public var group: Int32
    /// The start time since boot, in clock ticks (field 22).
    public var startTicks: Int64

    /// Whether the process has ended (a zombie not yet reaped, or dead).
    public var hasEnded: Bool { state == "Z" || state == "X" }

    /// Reads `/proc/PID/stat`; nil when the process does not exist (or /proc is not mounted).
    public static func read(_ pid: Int32) -> ProcessStat? {
        // /proc files report size 0, so they are read to their end rather than by their size.
        guard let bytes = try? SystemFile.contents("/proc/\(pid)/stat", limit: 4096) else { return nil }
        return parse(String(decoding: bytes, as: UTF8.self))
    }

    /// Parses the text of a `/proc/PID/stat` file.
    public static func parse(_ text: String) -> ProcessStat? {
        guard let close = text.lastIndex(of: ")") else { return nil }
        // After "pid (comm)" come the fields from 3 (state) on; the command name may hold spaces and ')'.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let state = fields[0].first, let parent = Int32(fields[1]),
              let group = Int32(fields[2]), let start = Int64(fields[19]) else { return nil }
        return ProcessStat(state: state, parent: parent, group: group, startTicks: start)
    }

    /// The pids of all processes, from the directory names of `/proc`; nil when it cannot be read.
    public static func allProcesses() -> [Int32]? {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
        return entries.compactMap { Int32($0) }
    }
}
