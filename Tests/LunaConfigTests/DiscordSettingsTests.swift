import Foundation
import LunaConfig
import Testing

/// The optional `[channels.discord]` section (or `[discord]`, its first spelling).
@Suite("Discord settings")
struct DiscordSettingsTests {
    let checks = ["files"]
    let head = "[luna]\nops_repo = \"ops\"\n[[hosts]]\nname = \"a\"\n"

    func load(_ discord: String) throws -> (LunaConfiguration, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("luna-dc-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir + "/ops", withIntermediateDirectories: true)
        let file = dir + "/luna.toml"
        try (head + discord).write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        return (try LunaConfiguration.load(path: file, knownChecks: checks), dir)
    }

    @Test func withoutTheSectionTheCLIIsTheOnlyChannel() throws {
        #expect(try load("").0.discord == nil)
    }

    @Test func theSectionIsReadWithDefaults() throws {
        let (config, dir) = try load("[discord]\nchannel_id = \"123\"\noperator_ids = [\"42\", \"43\"]\ntoken_file = \"secret/token\"\n")
        let d = try #require(config.discord)
        #expect(d.apiBase == "https://discord.com/api/v10")
        #expect(d.channelID == "123" && d.operatorIDs == ["42", "43"] && d.pollSeconds == 3)
        #expect(d.tokenFile == (dir + "/secret/token" as NSString).standardizingPath)
    }

    @Test func noOperatorsMeansAnEmptyList() throws {
        #expect(try load("[discord]\nchannel_id = \"123\"\n").0.discord?.operatorIDs == [])
    }

    @Test(arguments: [
        ("[discord]\noperator_ids = [\"1\"]\n", "luna.toml:5:1:", "channel_id"),
        ("[discord]\nchannel_id = \"general\"\n", "luna.toml:6:1:", "channel_id must be a Discord id"),
        ("[discord]\nchannel_id = \"1\"\noperator_ids = [\"@me\"]\n", "luna.toml:7:1:", "operator_ids must be"),
        ("[discord]\nchannel_id = \"1\"\napi_base = \"http://discord.com/api/v10\"\n", "luna.toml:7:1:", "must use https"),
        ("[discord]\nchannel_id = \"1\"\npoll_seconds = 0\n", "luna.toml:7:1:", "between 1 and 300"),
        ("[discord]\nchannel_id = \"1\"\ntoken = \"abc\"\n", "luna.toml:7:1:", "unknown key"),
    ])
    func badValuesAreRefusedWithTheirPosition(text: String, position: String, phrase: String) throws {
        do {
            _ = try load(text)
            Issue.record("expected an error for:\n\(text)")
        } catch {
            #expect("\(error)".contains(position), "\(error)")
            #expect("\(error)".contains(phrase), "\(error)")
        }
    }

    @Test func plainHTTPIsAllowedOnlyToLoopback() throws {
        let d = try load("[discord]\nchannel_id = \"1\"\napi_base = \"http://127.0.0.1:9/api/v10\"\n").0.discord
        #expect(d?.apiBase == "http://127.0.0.1:9/api/v10")
    }

    @Test func theTokenComesFromTheCredentialOrTheFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("luna-tok-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir + "/creds", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = FileManager.default.createFile(atPath: dir + "/token", contents: Data("from-file\n".utf8), attributes: [.posixPermissions: 0o600])
        var settings = DiscordSettings(channelID: "1", operatorIDs: [], tokenFile: dir + "/token")
        #expect(try settings.token(environment: [:]) == "from-file")
        _ = FileManager.default.createFile(atPath: dir + "/creds/discord-token", contents: Data("from-cred".utf8), attributes: [.posixPermissions: 0o600])
        #expect(try settings.token(environment: ["CREDENTIALS_DIRECTORY": dir + "/creds"]) == "from-cred")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: dir + "/token")
        #expect(throws: ConfigError.self) { _ = try settings.token(environment: [:]) }
        settings.tokenFile = nil
        #expect(throws: ConfigError.self) { _ = try settings.token(environment: [:]) }
    }

    @Test func channelsDiscordReadsTheSameKeysAsDiscord() throws {
        let keys = "channel_id = \"123\"\noperator_ids = [\"42\"]\ntoken_file = \"secret/token\"\npoll_seconds = 7\n"
        let (legacy, dir1) = try load("[discord]\n" + keys)
        let (nested, dir2) = try load("[channels.discord]\n" + keys)
        let a = try #require(legacy.discord), b = try #require(nested.discord)
        #expect(a.channelID == b.channelID && a.operatorIDs == b.operatorIDs && a.pollSeconds == 7 && b.pollSeconds == 7)
        #expect(a.tokenFile == (dir1 + "/secret/token" as NSString).standardizingPath)
        #expect(b.tokenFile == (dir2 + "/secret/token" as NSString).standardizingPath)
        #expect(nested.channels.kinds == ["discord"] && nested.channels.isConfigured("discord"))
        #expect(try load("[channels]\n").0.channels.kinds.isEmpty)
    }

    @Test func bothSpellingsAtOnceAreRefusedNamingFileAndLine() throws {
        // head is 4 lines: [discord] is line 5, [channels.discord] line 7.
        let text = "[discord]\nchannel_id = \"1\"\n[channels.discord]\nchannel_id = \"2\"\n"
        do {
            _ = try load(text)
            Issue.record("expected an error for both spellings")
        } catch {
            let message = "\(error)"
            #expect(message.contains("luna.toml:7:1:") && message.contains("[channels.discord]"), "\(message)")
            #expect(message.contains("[discord] at line 5") && message.contains("keep one"), "\(message)")
        }
    }

    @Test(arguments: [
        ("[channels.matrix]\nroom = \"x\"\n", "luna.toml:5:11:", "[channels] unknown key 'matrix' (known keys: 'discord')"),
        ("[channels]\ndiscord = \"yes\"\n", "luna.toml:6:1:", "must be a table"),
        ("[channels.discord]\nchannel_id = \"1\"\ntoken = \"abc\"\n", "luna.toml:7:1:", "[channels.discord] unknown key 'token'"),
    ])
    func badChannelTablesAreRefusedWithTheirPosition(text: String, position: String, phrase: String) throws {
        do {
            _ = try load(text)
            Issue.record("expected an error for:\n\(text)")
        } catch {
            #expect("\(error)".contains(position), "\(error)")
            #expect("\(error)".contains(phrase), "\(error)")
        }
    }
}
