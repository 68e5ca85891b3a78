#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How much a log line matters, with the syslog priority numbers that
/// sd-daemon(3) prefixes carry (`<3>` error, `<4>` warning, `<6>` info, `<7>` debug).
public enum LogLevel: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
    case error = 3
    case warning = 4
    case info = 6
    case debug = 7

    /// The level's name as `[log] level` spells it.
    public var description: String {
        switch self {
        case .error: "error"
        case .warning: "warning"
        case .info: "info"
        case .debug: "debug"
        }
    }

    /// The level named `name` (`error`, `warning`, `info`, `debug`), or nil.
    public init?(name: String) {
        guard let level = Self.allCases.first(where: { $0.description == name }) else { return nil }
        self = level
    }

    /// More severe levels are smaller, as syslog numbers them: `.error < .warning`.
    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }

    /// The sd-daemon prefix journald reads the priority from (`<4>`).
    public var journalPrefix: String { "<\(rawValue)>" }
}

/// Whether a file descriptor is the journal's stream, as sd_journal_stream_fd(3) tells services to check.
///
/// systemd sets `JOURNAL_STREAM=<device>:<inode>` for a service whose stdout or
/// stderr is connected to the journal; the variable is inherited by children
/// whose streams point elsewhere, so it counts only when the descriptor's own
/// device and inode match it.
public enum JournalStream {
    /// True when `fd` (standard error by default) is the stream `JOURNAL_STREAM` names.
    ///
    /// - Parameters:
    ///   - fd: The descriptor to compare.
    ///   - value: The `JOURNAL_STREAM` value (the process's, by default).
    public static func isJournal(fd: Int32 = 2, value: String? = JournalStream.environmentValue) -> Bool {
        guard let value, let (device, inode) = parse(value) else { return false }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return false }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
    }

    /// The process's `JOURNAL_STREAM`, if set.
    public static var environmentValue: String? { getenv("JOURNAL_STREAM").map { String(cString: $0) } }

    /// `<device>:<inode>` as two decimal numbers, or nil.
    static func parse(_ value: String) -> (UInt64, UInt64)? {
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return nil }
        return (device, inode)
    }
}
