import Foundation
import LunaSystem

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Loads secrets (API tokens, keys) from files that only their owner can read.
///
/// Secrets never live in the TOML configuration; the configuration names a file
/// (or a systemd credential) and this type reads it.
public enum SecretFile {
    /// Reads a secret from a file, refusing files that others could read.
    ///
    /// The file must be a regular file whose mode grants nothing to group or
    /// others (0600, 0400 or stricter) and whose owner is the effective user.
    /// The checks use `fstat` on the opened descriptor, so they describe the
    /// very file that is read. Trailing newlines (`\n`, `\r\n`) are trimmed.
    ///
    /// - Parameter path: The secret file.
    /// - Returns: The secret, without trailing newlines.
    /// - Throws: ``ConfigError`` (line 0, `file` = `path`): `.io` when the file
    ///   cannot be read, `.insecure` with the actual mode or owner and the
    ///   `chmod`/`chown` command that fixes it, `.invalidValue` when the file is
    ///   empty or not UTF-8.
    public static func read(path: String) throws(ConfigError) -> String {
        let what = "secret file"
        let fd = try ConfigFileReader.checked(path, what: what) { () throws(SystemError) in try SystemFile.openForReading(path) }
        defer { close(fd) }
        let info = try ConfigFileReader.checked(path, what: what) { () throws(SystemError) in try SystemFile.status(fd, path: path) }

        let fileType = UInt32(info.st_mode) & 0o170000
        guard fileType == 0o100000 else {
            throw failure(path, "secret file is not a regular file", kind: .invalidValue)
        }
        let mode = UInt32(info.st_mode) & 0o7777
        guard mode & 0o077 == 0 else {
            throw failure(
                path,
                "secret file has mode \(octal(mode)), which lets group or others access it; "
                    + "it must be 0600 or stricter. Fix: chmod 600 \(path)",
                kind: .insecure)
        }
        let owner = info.st_uid
        let me = SystemUser.effectiveID
        guard owner == me else {
            throw failure(
                path,
                "secret file is owned by \(SystemUser.describe(owner)), not by \(SystemUser.describe(me)) that runs luna. "
                    + "Fix: chown \(SystemUser.name(of: me) ?? String(me)) \(path)",
                kind: .insecure)
        }

        var bytes = try ConfigFileReader.checked(path, what: what) { () throws(SystemError) in try SystemFile.readAll(fd, path: path) }
        while let last = bytes.last, last == 0x0A || last == 0x0D { bytes.removeLast() }
        guard !bytes.isEmpty else {
            throw failure(path, "secret file is empty; put the secret in it (one line)", kind: .invalidValue)
        }
        guard let secret = String(validating: bytes, as: UTF8.self) else {
            throw failure(path, "secret file is not valid UTF-8 text", kind: .invalidValue)
        }
        return secret
    }

    /// Finds a secret: the systemd credential `name` when `$CREDENTIALS_DIRECTORY`
    /// holds it (`LoadCredential=`) and it is not blank, otherwise the file at `file`.
    ///
    /// Both sources go through ``read(path:)`` and its mode and owner checks.
    ///
    /// - Parameters:
    ///   - name: The credential name (a single file name, no `/`).
    ///   - file: The fallback secret file from the configuration, if any.
    ///   - environment: The environment to consult (injectable for tests).
    /// - Returns: The secret, or nil when neither source exists or is configured.
    /// - Throws: ``ConfigError`` from ``read(path:)``, or for an invalid `name`.
    public static func resolve(
        credential name: String,
        file: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigError) -> String? {
        if let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty {
            guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
                throw ConfigError(
                    file: directory, position: .wholeFile,
                    message: "invalid credential name '\(name)': it must be a plain file name", kind: .invalidValue)
            }
            let candidate = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            // A blank credential is the unit's `SetCredential=name:\n` default for a credential file
            // that is not there (so an unused one need not exist): it holds no secret and counts as absent.
            if FileManager.default.fileExists(atPath: candidate), !isBlank(candidate) {
                return try read(path: candidate)
            }
        }
        guard let file else { return nil }
        return try read(path: file)
    }

    // MARK: Helpers

    /// Whether the file holds nothing but white space (at most a few bytes of it).
    static func isBlank(_ path: String) -> Bool {
        guard let bytes = try? SystemFile.contents(path, limit: 64), bytes.count < 64 else { return false }
        return bytes.allSatisfy { $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }
    }

    private static func failure(_ path: String, _ message: String, kind: ConfigError.Kind) -> ConfigError {
        ConfigError(file: path, position: .wholeFile, message: message, kind: kind)
    }

    /// `0644` style.
    static func octal(_ mode: UInt32) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
