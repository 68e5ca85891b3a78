import Foundation
import LunaCodec
import LunaText
#if canImport(Glibc)
import Glibc
#endif

/// The protocol side of `luna mcp`: version negotiation, the methods, errors with
/// the specification's codes, and the per-client call bound. Dual-era, as the
/// 2026-07-28 revision allows: a request carrying
/// `_meta["io.modelcontextprotocol/protocolVersion"]` is served statelessly at
/// that version; an `initialize` request selects the 2025-11-25 (or 2025-06-18)
/// handshake for the rest of the process.
///
/// The server sends no requests of its own and holds no state beyond the
/// negotiated legacy version and the rate window, so a client that vanishes
/// leaves nothing behind but what the provider already stored.
public final class MCPServer {
    /// The stateless revision.
    public static let modernVersion = "2026-07-28"
    /// The handshake revisions, newest first (what `initialize` may negotiate).
    public static let handshakeVersions = ["2025-11-25", "2025-06-18"]
    /// Every version served, newest first.
    public static var supportedVersions: [String] { [modernVersion] + handshakeVersions }
    /// The largest message read, in bytes.
    public static let messageLimit = 1 << 20

    static let versionKey = "io.modelcontextprotocol/protocolVersion"
    static let capabilitiesKey = "io.modelcontextprotocol/clientCapabilities"
    static let clientInfoKey = "io.modelcontextprotocol/clientInfo"
    static let serverInfoKey = "io.modelcontextprotocol/serverInfo"

    let provider: any MCPProvider
    let log: (String) -> Void
    let now: () -> Date
    /// At most this many tool calls and prompt requests in any 60 s. Counted for the process,
    /// which serves one client over its stdio: a name the client gives itself (per request in
    /// 2026-07-28) cannot open a new allowance.
    public let callsPerMinute: Int
    /// The version the `initialize` handshake settled (nil before one).
    public private(set) var handshakeVersion: String?
    private var handshakeClient = "unknown"
    private var recentCalls: [Date] = []

    public init(provider: any MCPProvider, callsPerMinute: Int = 60, now: @escaping () -> Date = { Date() },
                log: @escaping (String) -> Void) {
        self.provider = provider
        self.callsPerMinute = callsPerMinute
        self.now = now
        self.log = log
    }

    /// Serves newline-delimited messages from `input` until it ends; each response goes to `write`.
    ///
    /// - Parameter write: Writes one line; returns false when the client is gone (the loop ends).
    public func serve(_ input: MCPLineReader, write: (Data) -> Bool) {
        while true {
            let response: JSONValue?
            switch input.next() {
            case .end: return
            case .oversized(let size):
                log("a message of \(size) bytes was refused (the limit is \(Self.messageLimit))")
                response = MCPWire.error(.null, MCPWire.Code.invalidRequest,
                                         "Invalid Request: the message is longer than \(Self.messageLimit) bytes")
            case .message(let data):
                response = handle(MCPWire.parse(data))
            }
            if let response, !write(MCPWire.line(response)) {
                log("the client closed its end; stopping")
                return
            }
        }
    }

    /// The answer to one message (nil for notifications and responses).
    public func handle(_ message: MCPWire.Message) -> JSONValue? {
        switch message {
        case .response: return nil
        case .invalid(let id, let code, let text):
            log("refused a message: \(text)")
            return MCPWire.error(id, code, text)
        case .notification(let method, _):
            if method == "notifications/initialized" { log("the client finished the \(handshakeVersion ?? "?") handshake") }
            return nil   // notifications/cancelled: every call here finishes before the next message is read
        case .request(let id, let method, let params):
            return request(id: id, method: method, params: params)
        }
    }

    static let methods: Set<String> = [
        "initialize", "ping", "server/discover", "tools/list", "tools/call", "resources/list", "resources/read",
        "resources/templates/list", "prompts/list", "prompts/get",
    ]
    static let modernMethods = methods.subtracting(["initialize", "ping"])
    static let legacyMethods = methods.subtracting(["server/discover"])

    func request(id: JSONValue, method: String, params: JSONValue?) -> JSONValue {
        guard Self.methods.contains(method) else {
            return MCPWire.error(id, MCPWire.Code.methodNotFound, "Method not found: \(provider.outbound(String(method.prefix(80))))")
        }
        let meta = params?["_meta"]
        if let requested = meta?[Self.versionKey] {
            // A modern request: everything it needs is in its own _meta.
            guard let version = requested.stringValue, version == Self.modernVersion else {
                let shown = requested.stringValue.map { String($0.prefix(40)) } ?? requested.text.prefix(40).description
                return MCPWire.error(id, MCPWire.Code.unsupportedProtocolVersion, "Unsupported protocol version",
                                     data: .object(["supported": .array(Self.supportedVersions.map(JSONValue.string)),
                                                    "requested": .string(provider.outbound(shown))]))
            }
            guard meta?[Self.capabilitiesKey]?.objectValue != nil else {
                return MCPWire.error(id, MCPWire.Code.invalidParams,
                                     "Invalid params: _meta[\"\(Self.capabilitiesKey)\"] is required on every \(version) request")
            }
            guard Self.modernMethods.contains(method) else {
                return MCPWire.error(id, MCPWire.Code.methodNotFound, "Method not found: \(method) is not part of \(version)")
            }
            let client = MCPClient(name: MCPClient.label(meta?[Self.clientInfoKey]?["name"]?.stringValue), protocolVersion: version)
            return respond(id: id, method: method, params: params, client: client, modern: true)
        }
        if method == "initialize" { return initialize(id: id, params: params) }
        if method == "ping" { return MCPWire.result(id, .object([:])) }
        guard let version = handshakeVersion else {
            return MCPWire.error(id, MCPWire.Code.invalidParams,
                                 "Invalid params: no _meta[\"\(Self.versionKey)\"] (\(Self.modernVersion)) and no initialize handshake (\(Self.handshakeVersions.joined(separator: ", "))) before \(method)",
                                 data: .object(["supported": .array(Self.supportedVersions.map(JSONValue.string))]))
        }
        guard Self.legacyMethods.contains(method) else {
            return MCPWire.error(id, MCPWire.Code.methodNotFound, "Method not found: \(method) is not part of \(version)")
        }
        return respond(id: id, method: method, params: params, client: MCPClient(name: handshakeClient, protocolVersion: version), modern: false)
    }

    func initialize(id: JSONValue, params: JSONValue?) -> JSONValue {
        guard let offered = params?["protocolVersion"]?.stringValue else {
            return MCPWire.error(id, MCPWire.Code.invalidParams, "Invalid params: initialize needs \"protocolVersion\"")
        }
        // The specification's rule: the offered version when supported, else the latest the server supports.
        let chosen = Self.handshakeVersions.contains(offered) ? offered : Self.handshakeVersions[0]
        handshakeVersion = chosen
        handshakeClient = MCPClient.label(params?["clientInfo"]?["name"]?.stringValue)
        log("initialize from \(handshakeClient): offered \(String(offered.prefix(40))), speaking \(chosen)")
        return MCPWire.result(id, .object([
            "protocolVersion": .string(chosen),
            "capabilities": capabilities,
            "serverInfo": provider.implementation.json,
            "instructions": .string(provider.instructions),
        ]))
    }

    var capabilities: JSONValue {
        .object(["tools": .object(["listChanged": .bool(false)]),
                 "resources": .object(["listChanged": .bool(false), "subscribe": .bool(false)]),
                 "prompts": .object(["listChanged": .bool(false)])])
    }

    func respond(id: JSONValue, method: String, params: JSONValue?, client: MCPClient, modern: Bool) -> JSONValue {
        // Results: 2026-07-28 adds resultType, serverInfo in _meta, and caching hints on listings and reads.
        func ok(_ fields: [String: JSONValue], cacheable: Bool = false) -> JSONValue {
            var r = fields
            if modern {
                r["resultType"] = .string("complete")
                r["_meta"] = .object([Self.serverInfoKey: provider.implementation.json])
                if cacheable {
                    r["ttlMs"] = .int(0)
                    r["cacheScope"] = .string("private")
                }
            }
            return MCPWire.result(id, .object(r))
        }
        func failure(_ f: MCPFailure) -> JSONValue {
            switch f {
            case .invalidParams(let m): return MCPWire.error(id, MCPWire.Code.invalidParams, "Invalid params: " + provider.outbound(m))
            case .resourceNotFound(let uri):
                return MCPWire.error(id, modern ? MCPWire.Code.invalidParams : MCPWire.Code.resourceNotFoundLegacy,
                                     "Resource not found", data: .object(["uri": .string(provider.outbound(String(uri.prefix(200))))]))
            }
        }
        func internalError(_ error: any Error) -> JSONValue {
            log("\(method) failed: \(error)")
            return MCPWire.error(id, MCPWire.Code.internalError, "Internal error: " + provider.outbound(Clip.characters("\(error)", 300)))
        }
        do {
            switch method {
            case "server/discover":
                return ok(["supportedVersions": .array(Self.supportedVersions.map(JSONValue.string)),
                           "capabilities": capabilities, "instructions": .string(provider.instructions)], cacheable: true)
            case "tools/list":
                return ok(["tools": .array(provider.tools.map(\.json))], cacheable: true)
            case "resources/list":
                return ok(["resources": .array(try provider.resources().map(\.json))], cacheable: true)
            case "resources/templates/list":
                return ok(["resourceTemplates": .array([])], cacheable: true)
            case "prompts/list":
                return ok(["prompts": .array(provider.prompts.map(\.json))], cacheable: true)
            case "resources/read":
                guard let uri = params?["uri"]?.stringValue else { return failure(.invalidParams("resources/read needs \"uri\"")) }
                let c = try provider.read(resource: uri)
                return ok(["contents": .array([.object(["uri": .string(c.uri), "mimeType": .string(c.mimeType), "text": .string(c.text)])])],
                          cacheable: true)
            case "tools/call":
                guard let name = params?["name"]?.stringValue else { return failure(.invalidParams("tools/call needs \"name\"")) }
                guard provider.tools.contains(where: { $0.name == name }) else {
                    return failure(.invalidParams("unknown tool '\(String(name.prefix(64)))'"))
                }
                if let refusal = throttle(client) {
                    return ok(["content": .array([.object(["type": .string("text"), "text": .string(refusal)])]), "isError": .bool(true)])
                }
                let arguments = params?["arguments"]
                let r = try provider.call(tool: name, arguments: arguments, client: client)
                // A result conforms to the tool's outputSchema, and says so twice, as the specification
                // recommends: the structured content and its JSON text. A refusal or failure is text only.
                var content: [JSONValue] = [.object(["type": .string("text"), "text": .string(r.text)])]
                var fields: [String: JSONValue] = ["isError": .bool(r.isError)]
                if !r.isError {
                    fields["structuredContent"] = r.structured
                    content.append(.object(["type": .string("text"), "text": .string(r.structured.text)]))
                }
                fields["content"] = .array(content)
                return ok(fields)
            case "prompts/get":
                guard let name = params?["name"]?.stringValue else { return failure(.invalidParams("prompts/get needs \"name\"")) }
                var arguments: [String: String] = [:]
                for (k, v) in params?["arguments"]?.objectValue ?? [:] {
                    guard let s = v.stringValue else { return failure(.invalidParams("prompt argument '\(String(k.prefix(40)))' must be a string")) }
                    arguments[k] = s
                }
                if let refusal = throttle(client) { return failure(.invalidParams(refusal)) }
                let p = try provider.prompt(name, arguments: arguments, client: client)
                return ok(["description": .string(p.description),
                           "messages": .array([.object(["role": .string("user"),
                                                        "content": .object(["type": .string("text"), "text": .string(p.text)])])])])
            default:
                return MCPWire.error(id, MCPWire.Code.methodNotFound, "Method not found: \(method)")
            }
        } catch let f as MCPFailure {
            return failure(f)
        } catch {
            return internalError(error)
        }
    }

    /// Counts a call; a sentence when it is over the bound of `callsPerMinute` in 60 s.
    func throttle(_ client: MCPClient) -> String? {
        let t = now()
        recentCalls.removeAll { t.timeIntervalSince($0) >= 60 || $0 > t }
        guard recentCalls.count < callsPerMinute else {
            log("client \(client.name) is over \(callsPerMinute) calls per minute; refused")
            return "refused: at most \(callsPerMinute) calls per minute per client; wait and try again"
        }
        recentCalls.append(t)
        return nil
    }
}

/// Writes all of `data` to `fd`; false when the reader is gone (EPIPE) or the write fails.
public func mcpWriteAll(_ fd: Int32, _ data: Data) -> Bool {
    data.withUnsafeBytes { raw -> Bool in
        var offset = 0
        while offset < raw.count {
            let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }
}
