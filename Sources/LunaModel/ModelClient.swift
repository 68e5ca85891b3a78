import LunaSystem
import Foundation
import LunaCodec
import LunaHTTP

/// Where and how to reach the model.
public struct ModelSettings: Sendable, Equatable {
    public var format: WireFormat
    /// e.g. `https://api.anthropic.com` (no trailing `/v1`).
    public var apiBase: String
    public var model: String
    /// The API key; nil for a local server that needs none (when the provider allows that).
    public var apiKey: String?
    public var maxTokens: Int
    public var connectTimeout: Duration
    public var timeout: Duration

    public init(format: WireFormat, apiBase: String, model: String, apiKey: String?, maxTokens: Int = 2048,
                connectTimeout: Duration = .seconds(10), timeout: Duration = .seconds(120)) {
        self.format = format
        self.apiBase = apiBase
        self.model = model
        self.apiKey = apiKey
        self.maxTokens = maxTokens
        self.connectTimeout = connectTimeout
        self.timeout = timeout
    }
}

/// Calls a model over the project's libcurl client, in the wire format of any ``ModelProvider``.
public final class ModelClient: Sendable {
    public let settings: ModelSettings
    public let http: HTTPClient
    public let retry: ModelRetryPolicy
    let sleep: @Sendable (Duration) -> Void

    /// Creates a client.
    ///
    /// - Parameters:
    ///   - settings: Format, base URL, model, key, limits.
    ///   - http: The HTTP client (a 16 MiB response cap by default).
    ///   - retry: The retry policy (the vendors' SDK behaviour by default).
    ///   - sleep: Waits between attempts; injectable so tests need not wait.
    public init(settings: ModelSettings, http: HTTPClient = HTTPClient(maxResponseBytes: 16 << 20),
                retry: ModelRetryPolicy = ModelRetryPolicy(),
                sleep: @escaping @Sendable (Duration) -> Void = SystemClock.sleep) {
        self.settings = settings
        self.http = http
        self.retry = retry
        self.sleep = sleep
    }

    /// The exact request body that ``send(_:)`` would post (what `luna plan --dry-run` shows).
    public func body(_ conversation: ModelConversation) -> Data {
        settings.format.body(conversation, model: settings.model, maxTokens: settings.maxTokens).data
    }

    /// The exact request (headers included) for a conversation.
    ///
    /// - Throws: `ModelError` (`.configuration`) when the provider needs a key and there is none.
    public func request(_ conversation: ModelConversation) throws(ModelError) -> HTTPRequest {
        var base = settings.apiBase
        while base.hasSuffix("/") { base.removeLast() }
        let headers = [HTTPHeader("Content-Type", "application/json"), HTTPHeader("Accept", "application/json")]
            + (try settings.format.provider.authHeaders(apiKey: settings.apiKey))
        return HTTPRequest(method: "POST", url: base + settings.format.path, headers: headers, body: body(conversation),
                           connectTimeout: settings.connectTimeout, timeout: settings.timeout)
    }

    /// Sends a conversation and reads the reply, retrying as ``retry`` allows.
    ///
    /// - Returns: The reply, with the number of attempts.
    /// - Throws: `ModelError`: `.spendLimit` (never retried), `.status` after the
    ///   last retryable status or at once for other statuses, `.transport`, `.decode`.
    public func send(_ conversation: ModelConversation) throws(ModelError) -> ModelReply {
        let request = try request(conversation)
        var attempt = 0
        while true {
            attempt += 1
            let response: HTTPResponse
            do {
                response = try http.send(request)
            } catch {
                guard error.kind == .connect || error.kind == .timeout,
                      let wait = retry.delay(afterAttempt: attempt, response: nil) else {
                    throw ModelError(.transport, error.description, attempts: attempt)
                }
                sleep(wait)
                continue
            }
            if response.isSuccess {
                var reply = try settings.format.reply(response.body)
                reply.attempts = attempt
                return reply
            }
            let text = String(decoding: response.body.prefix(2000), as: UTF8.self)
            if ModelRetryPolicy.isSpendLimit(text) {
                throw ModelError(.spendLimit, Self.errorMessage(text), status: response.status, attempts: attempt)
            }
            guard ModelRetryPolicy.isRetryable(status: response.status),
                  let wait = retry.delay(afterAttempt: attempt, response: response) else {
                throw ModelError(.status, Self.errorMessage(text), status: response.status, attempts: attempt)
            }
            sleep(wait)
        }
    }

    /// The provider's error message from an error body, else the body's start.
    static func errorMessage(_ body: String) -> String {
        if let v = try? JSONValue.parse(Data(body.utf8)), let m = v["error"]?["message"]?.stringValue { return m }
        return String(body.prefix(300))
    }
}
