import Foundation

/// The optional `[llm]` section: which model plans findings no skill covers.
///
/// ```
/// [llm]
/// provider = "anthropic"            # a name in LunaModel's ModelProviders.all: "anthropic", "openai" (any OpenAI-compatible server)
/// api_base = "https://api.anthropic.com"
/// model = "…"
/// key_file = "/etc/luna/llm-key"    # or the systemd credential `llm-key`
/// max_tokens = 2048
/// daily_token_budget = 200000
/// timeout_seconds = 120
/// ```
public struct LLMConfiguration: Sendable, Equatable {
    /// A provider name from the known providers the configuration was loaded with.
    public var provider: String
    public var apiBase: String
    public var model: String
    /// The key file (absolute); the credential `llm-key` wins when present.
    public var keyFile: String?
    public var maxTokens: Int
    /// Tokens (input, output and cache) allowed per UTC day.
    public var dailyTokenBudget: Int
    /// Total time allowed for one HTTP call.
    public var timeoutSeconds: Int

    /// Creates a section (for tests and tools; `parse` is the normal way).
    public init(provider: String, apiBase: String, model: String, keyFile: String?, maxTokens: Int = 2048,
                dailyTokenBudget: Int = 200_000, timeoutSeconds: Int = 120) {
        self.provider = provider
        self.apiBase = apiBase
        self.model = model
        self.keyFile = keyFile
        self.maxTokens = maxTokens
        self.dailyTokenBudget = dailyTokenBudget
        self.timeoutSeconds = timeoutSeconds
    }

    /// Parses the section; nil when it is absent.
    ///
    /// - Parameters:
    ///   - table: The `[llm]` table, if any.
    ///   - folder: The config file's folder, for a relative `key_file`.
    ///   - providers: The providers this build has; `provider` must name one of them.
    /// - Throws: `ConfigError` naming file:line:column.
    public static func parse(_ table: TableReader?, folder: String, providers: [KnownLLMProvider]) throws(ConfigError) -> LLMConfiguration? {
        guard let t = table else { return nil }
        try t.checkKnownKeys(["provider", "api_base", "model", "key_file", "max_tokens", "daily_token_budget", "timeout_seconds"])
        let provider = try t.string("provider")
        guard let known = providers.first(where: { $0.name == provider }) else {
            let names = providers.map { "\"\($0.name)\"" }
            throw t.error("provider", names.isEmpty ? "provider \"\(provider)\" is unknown: this build knows no model provider"
                          : "unknown provider \"\(provider)\"; known: \(names.joined(separator: ", "))")
        }
        let base = try t.optionalString("api_base") ?? known.defaultAPIBase
        // The key travels with every request: plain http only to a server on this machine.
        guard let url = URL(string: base), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty else {
            throw t.error("api_base", "api_base must be an absolute URL like https://api.anthropic.com")
        }
        guard scheme == "https" || (scheme == "http" && LunaConfiguration.isLoopbackHost(host)) else {
            throw t.error("api_base", "api_base must use https (plain http only to a loopback address such as http://127.0.0.1:11434, "
                          + "so the key never crosses a network in cleartext)")
        }
        let model = try t.string("model")
        guard !model.isEmpty, model.count <= 200 else { throw t.error("model", "model must be a model name") }
        let keyFile = try t.optionalString("key_file").map { LunaConfiguration.absolute($0, relativeTo: folder) }
        let maxTokens = try t.optionalInt("max_tokens", in: 1...200_000) ?? 2048
        let budget = try t.optionalInt("daily_token_budget", in: 1...1_000_000_000) ?? 200_000
        let timeout = try t.optionalInt("timeout_seconds", in: 1...600) ?? 120
        return LLMConfiguration(provider: provider, apiBase: base, model: model, keyFile: keyFile, maxTokens: maxTokens,
                                dailyTokenBudget: budget, timeoutSeconds: timeout)
    }
}

/// What the configuration needs of a model provider: its name and default `api_base`.
///
/// The providers themselves (wire formats, headers) live in LunaModel, which
/// configuration does not import; the caller passes
/// `ModelProviders.all.map { KnownLLMProvider(name: $0.name, defaultAPIBase: $0.defaultAPIBase) }`.
public struct KnownLLMProvider: Sendable, Equatable {
    public var name: String
    /// The `api_base` used when `[llm]` names none.
    public var defaultAPIBase: String

    public init(name: String, defaultAPIBase: String) {
        self.name = name
        self.defaultAPIBase = defaultAPIBase
    }
}
