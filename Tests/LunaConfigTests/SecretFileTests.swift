import Foundation
import Testing
import TestSupport

@testable import LunaConfig

@Suite("SecretFile: owner-only secrets, systemd credentials")
struct SecretFileTests {
    @Test(arguments: [0o600, 0o400])
    func ownerOnlyFileIsReadAndTrimmed(mode: Int) throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("token", "s3cr3t-token\n", mode: mode)
        #expect(try SecretFile.read(path: path) == "s3cr3t-token")
        let crlf = try directory.write("crlf", "abc def\r\n\n", mode: mode)
        #expect(try SecretFile.read(path: crlf) == "abc def")
    }

    @Test(arguments: [0o644, 0o640, 0o604, 0o660, 0o666, 0o610])
    func groupOrOtherAccessIsRefused(mode: Int) throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("token", "secret\n", mode: mode)
        let error = try #require(throws: ConfigError.self) { try SecretFile.read(path: path) }
        let shown = "0" + String(mode, radix: 8)
        #expect(error.kind == .insecure)
        #expect(error.file == path)
        #expect(error.line == 0)
        #expect(error.description.hasPrefix("\(path): secret file has mode \(shown),"))
        #expect(error.message.contains("chmod 600 \(path)"))
        #expect(!error.description.contains("secret\n"))
    }

    @Test(.enabled(if: SystemRequirements.available(tools: [], needsRoot: true)))
    func fileOwnedBySomeoneElseIsRefused() throws {
        #expect(SystemRequirements.isRoot, "chown to another user needs root")
        let directory = try TemporaryDirectory()
        let path = try directory.write("token", "secret\n", mode: 0o600)
        try FileManager.default.setAttributes([.ownerAccountID: 65534], ofItemAtPath: path)
        let owner = try FileManager.default.attributesOfItem(atPath: path)[.ownerAccountID] as? Int
        #expect(owner == 65534)
        let error = try #require(throws: ConfigError.self) { try SecretFile.read(path: path) }
        #expect(error.kind == .insecure)
        #expect(error.message.contains("owned by uid 65534"))
        #expect(error.message.contains("not by uid \(geteuid())"))
        #expect(error.message.contains("chown root \(path)"))
    }

    @Test func missingFileIsAnIOError() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/absent"
        let error = try #require(throws: ConfigError.self) { try SecretFile.read(path: path) }
        #expect(error.kind == .io)
        #expect(error.description == "\(path): cannot open secret file: No such file or directory (errno 2)")
    }

    @Test(arguments: ["", "\n", "\r\n\n"])
    func emptyFileIsRefused(contents: String) throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("token", contents)
        let error = try #require(throws: ConfigError.self) { try SecretFile.read(path: path) }
        #expect(error.description == "\(path): secret file is empty; put the secret in it (one line)")
    }

    @Test func directoryIsNotASecretFile() throws {
        let directory = try TemporaryDirectory()
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory.path)
        let error = try #require(throws: ConfigError.self) { try SecretFile.read(path: directory.path) }
        #expect(error.message == "secret file is not a regular file")
    }

    @Test func credentialsDirectoryIsPreferredOverTheFile() throws {
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.path + "/creds", withIntermediateDirectories: true)
        try directory.write("creds/discord-token", "from-credential\n", mode: 0o400)
        let file = try directory.write("token", "from-file\n")
        let environment = ["CREDENTIALS_DIRECTORY": directory.path + "/creds"]

        #expect(try SecretFile.resolve(credential: "discord-token", file: file, environment: environment) == "from-credential")
        #expect(try SecretFile.resolve(credential: "llm-key", file: file, environment: environment) == "from-file")
        #expect(try SecretFile.resolve(credential: "discord-token", file: file, environment: [:]) == "from-file")
        #expect(try SecretFile.resolve(credential: "llm-key", file: nil, environment: environment) == nil)
        #expect(try SecretFile.resolve(credential: "llm-key", file: nil, environment: [:]) == nil)
    }

    @Test func credentialsAreCheckedLikeFiles() throws {
        let directory = try TemporaryDirectory()
        try directory.write("discord-token", "x", mode: 0o644)
        let environment = ["CREDENTIALS_DIRECTORY": directory.path]
        let error = try #require(throws: ConfigError.self) {
            try SecretFile.resolve(credential: "discord-token", file: nil, environment: environment)
        }
        #expect(error.kind == .insecure)

        let bad = try #require(throws: ConfigError.self) {
            try SecretFile.resolve(credential: "../etc/shadow", file: nil, environment: environment)
        }
        #expect(bad.message.contains("invalid credential name"))
    }

    @Test(arguments: ["", "\n"])
    func aBlankCredentialIsTheUnitsDefaultForAMissingFileAndCountsAsAbsent(_ blank: String) throws {
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.path + "/creds", withIntermediateDirectories: true)
        // What `SetCredential=llm-key:\n` beside `LoadCredential=llm-key:/etc/luna/llm-key` leaves when the file is not there.
        try directory.write("creds/llm-key", blank, mode: 0o400)
        let file = try directory.write("key", "from-file\n")
        let environment = ["CREDENTIALS_DIRECTORY": directory.path + "/creds"]
        #expect(try SecretFile.resolve(credential: "llm-key", file: file, environment: environment) == "from-file")
        #expect(try SecretFile.resolve(credential: "llm-key", file: nil, environment: environment) == nil, "no secret, not an empty one")
    }
}
