import Foundation
import LunaConfig
import LunaModel
import Testing

/// The optional `[llm]` section of the model planner.
@Suite("[llm] configuration")
struct LLMConfigurationTests {
    func load(_ llm: String) throws -> LunaConfiguration {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("luna-llm-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir + "/ops", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/luna.toml"
        try "[luna]\nops_repo = \"ops\"\n[[hosts]]\nname = \"web1\"\n\(llm)".write(toFile: file, atomically: true, encoding: .utf8)
        return try LunaConfiguration.load(path: file, knownChecks: ["files"], knownProviders: Self.providers)
    }

    static let providers = ModelProviders.all.map { KnownLLMProvider(name: $0.name, defaultAPIBase: $0.defaultAPIBase) }

    @Test func absentMeansSkillsOnly() throws {
        #expect(try load("").llm == nil)
    }

    @Test func parsedWithDefaultsAndARelativeKeyFile() throws {
        let config = try load("[llm]\nprovider = \"anthropic\"\nmodel = \"m\"\nkey_file = \"secrets/llm-key\"\n")
        let llm = try #require(config.llm)
        #expect(llm.apiBase == "https://api.anthropic.com")
        #expect(try load("[llm]\nprovider = \"openai\"\nmodel = \"m\"\n").llm?.apiBase == "https://api.openai.com")
        #expect(llm.maxTokens == 2048 && llm.dailyTokenBudget == 200_000 && llm.timeoutSeconds == 120)
        #expect(llm.keyFile?.hasSuffix("/secrets/llm-key") == true && llm.keyFile?.hasPrefix("/") == true)
        let openai = try #require(try load("[llm]\nprovider = \"openai\"\napi_base = \"http://127.0.0.1:11434\"\nmodel = \"llama\"\nmax_tokens = 512\ndaily_token_budget = 1000\n").llm)
        #expect(openai.provider == "openai" && openai.maxTokens == 512 && openai.dailyTokenBudget == 1000 && openai.keyFile == nil)
        for base in ["http://localhost:8080", "http://[::1]:8080", "http://127.1.2.3:99", "https://llm.lan"] {
            #expect(try load("[llm]\nprovider = \"openai\"\nmodel = \"m\"\napi_base = \"\(base)\"\n").llm?.apiBase == base)
        }
    }

    @Test(arguments: [
        ("[llm]\nprovider = \"anthropic\"\nmodel = \"m\"\napi_key = \"sk-inline\"\n", "api_key"),
        ("[llm]\nprovider = \"gemini\"\nmodel = \"m\"\n", "provider"),
        ("[llm]\nprovider = \"openai\"\nmodel = \"m\"\napi_base = \"ftp://x\"\n", "api_base"),
        ("[llm]\nprovider = \"openai\"\nmodel = \"m\"\nmax_tokens = 0\n", "max_tokens"),
        ("[llm]\nprovider = \"openai\"\n", "model"),
        // The key travels with every request: plain http only to this machine.
        ("[llm]\nprovider = \"openai\"\nmodel = \"m\"\napi_base = \"http://10.9.9.9\"\n", "api_base"),
        ("[llm]\nprovider = \"openai\"\nmodel = \"m\"\napi_base = \"http://127.attacker.example:8080\"\n", "api_base"),
        ("[llm]\nprovider = \"openai\"\nmodel = \"m\"\napi_base = \"http://llm.lan\"\n", "api_base"),
        ("[llm]\nprovider = \"openai\"\nmodel = \"m\"\napi_base = \"https://\"\n", "api_base"),
    ])
    func invalidSectionsNameTheKeyAndPlace(text: String, key: String) throws {
        do {
            _ = try load(text)
            Issue.record("expected an error for \(key)")
        } catch {
            let message = "\(error)"
            #expect(message.contains(key), "\(message)")
            #expect(message.contains("luna.toml:"), "\(message)")
        }
    }

    /// An unknown provider is refused where it is written, with the names this build knows.
    @Test func anUnknownProviderNamesItsPlaceAndTheKnownProviders() throws {
        do {
            _ = try load("[llm]\nmodel = \"m\"\nprovider = \"gemini\"\n")
            Issue.record("gemini was accepted")
        } catch {
            let message = "\(error)"
            #expect(message.hasSuffix("luna.toml:7:1: [llm] 'provider' unknown provider \"gemini\"; known: \"anthropic\", \"openai\""), "\(message)")
        }
        // Without a registry (a caller that passed none) every provider is refused, never guessed.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("luna-llm-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir + "/ops", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "[luna]\nops_repo = \"ops\"\n[llm]\nprovider = \"anthropic\"\nmodel = \"m\"\n".write(toFile: dir + "/luna.toml", atomically: true, encoding: .utf8)
        #expect(throws: ConfigError.self) { try LunaConfiguration.load(path: dir + "/luna.toml", knownChecks: ["files"]) }
    }

    @Test func theRegistryNamesEachProviderOnce() {
        #expect(ModelProviders.names == ["anthropic", "openai"])
        #expect(Set(ModelProviders.names).count == ModelProviders.all.count)
        #expect(WireFormat(rawValue: "openai") == .openai && WireFormat(rawValue: "gemini") == nil)
    }
}
