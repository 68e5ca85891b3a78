import Foundation
import TestSupport
import Testing

/// The finished run of an external tool: exit status and both output streams.
struct ToolRun {
    let status: Int32
    let stdout: String
    let stderr: String

    /// The non-empty lines of standard error.
    var stderrLines: [String] {
        stderr.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }

    /// Runs `tool` (found on PATH) with `arguments` and waits for it.
    ///
    /// Output goes to temporary files rather than pipes, so a chatty tool can
    /// never block on a full pipe. Colors and pagers are turned off.
    ///
    /// - Parameters:
    ///   - tool: The program name, e.g. `systemd-analyze`.
    ///   - arguments: Its argv after the program name.
    ///   - directory: The working directory, if not the current one.
    ///   - input: A file to connect to standard input, if any.
    /// - Returns: The status and output.
    /// - Throws: A test failure when the tool is not on PATH, or when it cannot start.
    static func run(
        _ tool: String,
        _ arguments: [String],
        in directory: URL? = nil,
        input: URL? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> ToolRun {
        let path = try #require(
            SystemRequirements.which(tool),
            "\(tool) is not installed (apt-get install systemd)",
            sourceLocation: sourceLocation
        )
        let scratch = try RepoFiles.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("stdout")
        let err = scratch.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        let outHandle = try FileHandle(forWritingTo: out)
        let errHandle = try FileHandle(forWritingTo: err)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        var environment = ProcessInfo.processInfo.environment
        environment["SYSTEMD_COLORS"] = "0"
        environment["SYSTEMD_PAGER"] = ""
        environment["SYSTEMD_LOG_COLOR"] = "0"
        process.environment = environment
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.standardInput = try input.map { try FileHandle(forReadingFrom: $0) } ?? FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try outHandle.close()
        try errHandle.close()
        return ToolRun(
            status: process.terminationStatus,
            stdout: try String(contentsOf: out, encoding: .utf8),
            stderr: try String(contentsOf: err, encoding: .utf8)
        )
    }
}
