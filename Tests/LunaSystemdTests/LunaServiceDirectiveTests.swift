import Foundation
import Testing

/// The directives Luna's runtime relies on are present in the committed unit.
///
/// Plain file checks, no tools needed: Luna sends sd_notify messages and
/// watchdog pings, reads its secrets from $CREDENTIALS_DIRECTORY, and writes
/// only to the ops repo and its state directory.
struct LunaServiceDirectiveTests {
    let unit: UnitFile

    init() throws {
        unit = try UnitFile(contentsOf: RepoFiles.systemd("luna.service"))
    }

    @Test(arguments: [
        ("Type", "notify"),
        ("NotifyAccess", "main"),
        ("Restart", "on-failure"),
        ("User", "luna"),
        ("Group", "luna"),
        ("StateDirectory", "luna"),
        ("ConfigurationDirectory", "luna"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("NoNewPrivileges", "yes"),
        ("UMask", "0077"),
        ("ExecStart", "/usr/local/bin/luna run --config /etc/luna/luna.toml --state-dir /var/lib/luna"),
        // SIGHUP: Luna re-reads luna.toml between steps (ReloadTests).
        ("ExecReload", "/bin/kill -HUP $MAINPID"),
        ("MemoryMax", "1G"),
        ("TasksMax", "512"),
        ("OOMPolicy", "stop"),
    ])
    func directiveHasValue(key: String, expected: String) {
        #expect(unit.values(key) == [expected], "\(key)= in [Service]")
    }

    @Test func watchdogIsSetAndPositive() throws {
        let value = try #require(unit.values("WatchdogSec").last)
        // Luna pings every WatchdogSec/2; below 10 s a slow git commit could trip it.
        let seconds = try #require(Self.seconds(value), "WatchdogSec=\(value) is not a time span")
        #expect(seconds >= 10)
    }

    /// A systemd time span such as `120`, `120s` or `2min 30s` in seconds, or nil.
    static func seconds(_ span: String) -> Int? {
        let units = ["": 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600]
        var total = 0
        var rest = Substring(span.replacingOccurrences(of: " ", with: ""))
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isNumber }
            let unit = rest.dropFirst(digits.count).prefix { $0.isLetter }
            guard let n = Int(digits), let factor = units[String(unit)] else { return nil }
            total += n * factor
            rest = rest.dropFirst(digits.count + unit.count)
        }
        return total
    }

    @Test(arguments: [("120s", 120), ("120", 120), ("2min", 120), ("1min 30s", 90), ("2x", nil), ("", nil)] as [(String, Int?)])
    func timeSpanParsing(span: String, expected: Int?) {
        #expect(Self.seconds(span) == expected)
    }

    @Test(arguments: ["discord-token:/etc/luna/discord-token", "llm-key:/etc/luna/llm-key"])
    func credentialIsLoaded(_ credential: String) {
        #expect(unit.values("LoadCredential").contains(credential))
    }

    /// A credential whose file is not there must not stop the start: the blank
    /// `SetCredential=` is its default (and Luna reads a blank one as absent).
    @Test(arguments: ["discord-token", "llm-key"])
    func credentialIsOptional(_ name: String) {
        #expect(unit.values("SetCredential").contains(name + ":\\n"), "SetCredential=\(name):\\n in [Service]")
    }

    @Test func documentationPointsAtLunasDocs() {
        let docs = unit.values("Documentation", in: "Unit")
        #expect(!docs.isEmpty && docs.allSatisfy { $0.contains("/doc/luna/") }, "\(docs)")
    }

    @Test(arguments: ["/srv/luna/ops", "/var/lib/luna"])
    func pathIsWritable(_ path: String) {
        #expect(unit.words("ReadWritePaths").contains(path))
    }

    @Test func noDynamicUserAndNoCapabilities() {
        #expect(unit.values("DynamicUser").isEmpty)
        #expect(unit.values("CapabilityBoundingSet") == [""])
        #expect(unit.values("AmbientCapabilities") == [""])
    }

    @Test func enabledForBoot() {
        #expect(unit.values("WantedBy", in: "Install") == ["multi-user.target"])
    }
}
