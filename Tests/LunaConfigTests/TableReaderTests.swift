import Testing

@testable import LunaConfig

@Suite("TableReader: typed reads with file:line and dotted path in errors")
struct TableReaderTests {
    static let document = """
        [discord]
        channel = 123
        tokn_file = "/etc/luna/token"
        poll_seconds = 0
        mode = "loud"

        [[hosts]]
        name = "web1"
        [[hosts]]
        name = "db1"
        [[hosts]]
        port = 22
        tags = ["x", 1]
        [hosts.ssh]
        user = "luna"

        [site."dns zone"]
        ttl = 300
        """

    enum Mode: String, CaseIterable { case quiet, normal }

    func root() throws -> TableReader {
        TableReader(try TOML.parse(Self.document, file: "luna.toml"))
    }

    @Test func missingRequiredKeyNamesTheTableHeaderAndPath() throws {
        let hosts = try root().tables("hosts")
        #expect(hosts.count == 3)
        #expect(hosts.map(\.path) == ["hosts[0]", "hosts[1]", "hosts[2]"])
        #expect(try hosts[0].string("name") == "web1")
        let error = try #require(throws: ConfigError.self) { try hosts[2].string("name") }
        #expect(error.description == "luna.toml:11:1: [hosts[2]] missing required key 'name' (a string)")
        #expect(error.kind == .missingKey)
    }

    @Test func missingKeyInTheRootIsAboutTheWholeFile() throws {
        let error = try #require(throws: ConfigError.self) { try root().int("version") }
        #expect(error.description == "luna.toml: missing required key 'version' (an integer)")
    }

    @Test func wrongTypePointsAtTheKey() throws {
        let discord = try #require(try root().table("discord"))
        let error = try #require(throws: ConfigError.self) { try discord.string("channel") }
        #expect(error.description == "luna.toml:2:1: [discord] 'channel' must be a string, found an integer")
        #expect(error.kind == .wrongType)

        let optional = try #require(throws: ConfigError.self) { try discord.optionalBool("mode") }
        #expect(optional.description == "luna.toml:5:1: [discord] 'mode' must be a boolean (true or false), found a string")

        let notTable = try #require(throws: ConfigError.self) { try root().table("hosts") }
        #expect(notTable.description == "luna.toml:7:3: 'hosts' must be a table, found an array")

        let notArray = try #require(throws: ConfigError.self) { try discord.tables("mode") }
        #expect(notArray.message == "[discord] 'mode' must be an array of tables ([[discord.mode]]), found a string")
    }

    @Test func stringArrayNamesTheBadElement() throws {
        let host = try root().tables("hosts")[2]
        let error = try #require(throws: ConfigError.self) { try host.stringArray("tags") }
        #expect(
            error.description
                == "luna.toml:13:1: [hosts[2]] 'tags' must be an array of strings, but element [1] is an integer")
        #expect(try host.optionalStringArray("missing") == nil)
        let missing = try #require(throws: ConfigError.self) { try host.stringArray("missing") }
        #expect(missing.message == "[hosts[2]] missing required key 'missing' (an array of strings)")
    }

    @Test func unknownKeySuggestsTheClosestKnownKey() throws {
        let discord = try #require(try root().table("discord"))
        let error = try #require(throws: ConfigError.self) {
            try discord.checkKnownKeys(["channel", "token_file", "poll_seconds", "mode"])
        }
        #expect(error.description == "luna.toml:3:1: [discord] unknown key 'tokn_file'; did you mean 'token_file'?")
        #expect(error.kind == .unknownKey)
    }

    @Test func unknownKeyWithoutCloseMatchListsKnownKeys() throws {
        let ssh = try #require(try root().tables("hosts")[2].table("ssh"))
        #expect(ssh.path == "hosts[2].ssh")
        let error = try #require(throws: ConfigError.self) { try ssh.checkKnownKeys(["port", "identity"]) }
        #expect(
            error.description
                == "luna.toml:15:1: [hosts[2].ssh] unknown key 'user' (known keys: 'identity', 'port')")
        try ssh.checkKnownKeys(["user"])
    }

    @Test(arguments: [
        ("chanel", "channel"), ("Channel", "channel"), ("poll-seconds", "poll_seconds"),
        ("pol_seconds", "poll_seconds"), ("tokne_file", "token_file"),
    ])
    func suggestions(typo: String, expected: String) {
        #expect(TableReader.suggestion(for: typo, among: ["channel", "poll_seconds", "token_file"]) == expected)
    }

    @Test func farOffKeysGetNoSuggestion() {
        #expect(TableReader.suggestion(for: "color", among: ["channel", "poll_seconds"]) == nil)
        #expect(TableReader.suggestion(for: "ab", among: ["xy"]) == nil)
    }

    @Test func callerValidationErrorsArePositionedAtTheKey() throws {
        let discord = try #require(try root().table("discord"))
        let poll = try #require(throws: ConfigError.self) { try discord.int("poll_seconds", in: 1...300) }
        #expect(poll.description == "luna.toml:4:1: [discord] 'poll_seconds' must be between 1 and 300, found 0")
        #expect(poll.kind == .invalidValue)

        let custom = discord.error("channel", "must name a text channel")
        #expect(custom.description == "luna.toml:2:1: [discord] 'channel' must name a text channel")
        let whole = discord.error(nil, "needs either token_file or a credential")
        #expect(whole.description == "luna.toml:1:1: [discord] needs either token_file or a credential")

        let mode = try #require(throws: ConfigError.self) { try discord.choice("mode", as: Mode.self) }
        #expect(mode.description == "luna.toml:5:1: [discord] 'mode' must be one of 'quiet', 'normal', found 'loud'")
    }

    @Test func successfulReadsAndOptionals() throws {
        let table = try TOML.parse(
            """
            name = "luna"
            workers = 4
            ratio = 2
            dry_run = true
            hosts = ["a", "b"]
            mode = "quiet"
            [limits]
            max = 10
            """, file: "ok.toml")
        let reader = TableReader(table)
        #expect(try reader.string("name") == "luna")
        #expect(try reader.int("workers") == 4)
        #expect(try reader.int("workers", in: 1...8) == 4)
        #expect(try reader.int("ratio") == 2)
        #expect(try reader.bool("dry_run"))
        #expect(try reader.stringArray("hosts") == ["a", "b"])
        #expect(try reader.choice("mode", as: Mode.self) == .quiet)
        #expect(try reader.optionalChoice("absent", as: Mode.self) == nil)
        #expect(try reader.optionalString("absent") == nil)
        #expect(try reader.optionalInt("absent") == nil)
        #expect(try reader.optionalInt("absent", in: 1...2) == nil)
        #expect(try reader.optionalBool("absent") == nil)
        #expect(try reader.table("absent") == nil)
        #expect(try reader.tables("absent").isEmpty)
        #expect(try reader.requiredTable("limits").int("max") == 10)
        #expect(reader.keys == ["name", "workers", "ratio", "dry_run", "hosts", "mode", "limits"])
        #expect(reader.contains("name") && !reader.contains("absent"))
        let missingTable = try #require(throws: ConfigError.self) { try reader.requiredTable("discord") }
        #expect(missingTable.description == "ok.toml: missing required key 'discord' (a table, [discord])")
    }

    /// No setting is fractional, so there is no double read: a float is refused by the parser, where it is written.
    @Test func aFractionalSettingIsRefusedWhereItIsWritten() {
        let error = #expect(throws: ConfigError.self) { try TOML.parse("name = \"luna\"\nscale = 0.5\n", file: "ok.toml") }
        #expect(error?.description == "ok.toml:2:9: floats are not supported in luna.toml (found '0.5'); every setting is a whole number")
        #expect(error?.kind == .unsupported)
    }

    @Test func pathsQuoteKeysThatAreNotBare() throws {
        let site = try #require(try root().table("site"))
        let zone = try #require(try site.table("dns zone"))
        #expect(zone.path == "site.\"dns zone\"")
        let error = try #require(throws: ConfigError.self) { try zone.string("ttl") }
        #expect(error.description == "luna.toml:18:1: [site.\"dns zone\"] 'ttl' must be a string, found an integer")
    }

    @Test func inlineTablesInAnArrayWorkAsTables() throws {
        let reader = TableReader(try TOML.parse("hosts = [ { name = \"a\" }, { port = 1 } ]", file: "i.toml"))
        let hosts = try reader.tables("hosts")
        #expect(try hosts[0].string("name") == "a")
        let error = try #require(throws: ConfigError.self) { try hosts[1].string("name") }
        #expect(error.description == "i.toml:1:27: [hosts[1]] missing required key 'name' (a string)")

        let mixed = TableReader(try TOML.parse("hosts = [ { name = \"a\" }, 3 ]", file: "i.toml"))
        let bad = try #require(throws: ConfigError.self) { try mixed.tables("hosts") }
        #expect(bad.message == "'hosts' must be an array of tables ([[hosts]]), but element [1] is an integer")
    }
}
