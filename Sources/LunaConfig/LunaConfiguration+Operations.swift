import Foundation
import LunaSystem

/// How the daemon tells the operator how it is doing: `[log]`, `[digest]` and `[metrics]`.
public struct OperationsSettings: Sendable, Equatable {
    /// The least severe log line written (`[log] level`: error, warning, info or debug; info by default).
    public var logLevel: LogLevel
    /// The local time of the daily digest message on every channel (`[digest] at`), or nil for none.
    public var digestAt: DailyTime?
    /// The node_exporter textfile written after each scan (`[metrics] textfile`), or nil for none.
    public var metricsTextfile: String?

    public init(logLevel: LogLevel = .info, digestAt: DailyTime? = nil, metricsTextfile: String? = nil) {
        self.logLevel = logLevel
        self.digestAt = digestAt
        self.metricsTextfile = metricsTextfile
    }

    /// Reads the three sections of `root`; each is optional.
    ///
    /// - Throws: `ConfigError` naming file:line:column.
    static func parse(root: TableReader, folder: String) throws(ConfigError) -> OperationsSettings {
        var settings = OperationsSettings()
        if let log = try root.table("log") {
            try log.checkKnownKeys(["level"])
            if let text = try log.optionalString("level") {
                guard let level = LogLevel(name: text) else {
                    throw log.error("level", "level must be \"error\", \"warning\", \"info\" or \"debug\", found \(text.debugDescription)")
                }
                settings.logLevel = level
            }
        }
        if let digest = try root.table("digest") {
            try digest.checkKnownKeys(["at"])
            let text = try digest.string("at")
            guard let time = DailyTime(text) else {
                throw digest.error("at", "at must be a local time HH:MM like \"08:00\", found \(text.debugDescription)")
            }
            settings.digestAt = time
        }
        if let metrics = try root.table("metrics") {
            try metrics.checkKnownKeys(["textfile"])
            let path = LunaConfiguration.absolute(try metrics.string("textfile"), relativeTo: folder)
            // node_exporter's textfile collector reads only *.prom files.
            guard path.hasSuffix(".prom") else {
                throw metrics.error("textfile", "textfile must end in .prom (node_exporter's textfile collector reads only those), found \(path.debugDescription)")
            }
            settings.metricsTextfile = path
        }
        return settings
    }
}
