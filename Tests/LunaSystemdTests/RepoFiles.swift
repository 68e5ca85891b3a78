import Foundation

/// Paths of the files under test, found from this source file's location.
///
/// The tests read the repository's own `systemd/` folder, never an installed
/// copy, so they check exactly what gets committed.
enum RepoFiles {
    /// The repository root: three levels above `Tests/LunaSystemdTests/RepoFiles.swift`.
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // RepoFiles.swift
        .deletingLastPathComponent()  // LunaSystemdTests
        .deletingLastPathComponent()  // Tests

    /// A file in the repository's `systemd/` folder.
    ///
    /// - Parameters:
    ///   - name: The file name, e.g. `luna.service`.
    /// - Returns: Its absolute URL (whether or not it exists).
    static func systemd(_ name: String) -> URL {
        root.appendingPathComponent("systemd").appendingPathComponent(name)
    }

    /// A fresh, empty temporary directory; the caller removes it.
    ///
    /// - Returns: The directory's URL.
    /// - Throws: When the directory cannot be created.
    static func makeTemporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("luna-systemd-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}
