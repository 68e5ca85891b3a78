import Foundation

/// A `git` to put first on PATH that lets one `update-ref` through and then
/// SIGKILLs its caller (luna): the crash between publishing a commit and
/// updating the operator's index, on demand.
public enum GitKillWrapper {
    /// Writes the wrapper as `bin/git`; it fires once while `mark` exists (and removes it).
    ///
    /// - Parameters:
    ///   - bin: The folder to put first on PATH.
    ///   - mark: A file whose presence arms the wrapper.
    public static func install(in bin: String, mark: String) throws {
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try """
            #!/bin/sh
            if [ "$3" = "update-ref" ] && [ -e '\(mark)' ]; then
              /usr/bin/git "$@"; rc=$?
              rm -f '\(mark)'
              kill -9 $PPID
              exit $rc
            fi
            exec /usr/bin/git "$@"

            """.write(toFile: bin + "/git", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bin + "/git")
    }
}
