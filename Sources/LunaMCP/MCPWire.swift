import Foundation
import LunaCodec

/// JSON-RPC 2.0 as MCP uses it: one message per line, requests with a string or
/// integer id (never null), notifications without one, no batches.
public enum MCPWire {
    /// The standard JSON-RPC codes and the MCP ones this server sends.
    public enum Code {
        public static let parseError = -32700
        public static let invalidRequest = -32600
        public static let methodNotFound = -32601
        public static let invalidParams = -32602
        public static let internalError = -32603
        /// 2025-11-25 and earlier: a resource URI that names nothing.
        public static let resourceNotFoundLegacy = -32002
        /// 2026-07-28: the request's protocol version is not served here.
        public static let unsupportedProtocolVersion = -32022
    }

    /// A message read from the client.
    public enum Message: Equatable {
        case request(id: JSONValue, method: String, params: JSONValue?)
        case notification(method: String, params: JSONValue?)
        /// A response: this server sends no requests, so there is nothing to match it with.
        case response
        /// Not a JSON-RPC message this server can act on; answered with `error` (and the id when one could be read).
        case invalid(id: JSONValue, code: Int, message: String)
    }

    /// Reads one line.
    public static func parse(_ line: Data) -> Message {
        let value: JSONValue
        do { value = try JSONValue.parse(line) } catch {
            return .invalid(id: .null, code: Code.parseError, message: "Parse error: the message is not valid JSON")
        }
        if case .array = value {
            return .invalid(id: .null, code: Code.invalidRequest, message: "Invalid Request: JSON-RPC batches are not part of MCP; send one message per line")
        }
        guard let object = value.objectValue else {
            return .invalid(id: .null, code: Code.invalidRequest, message: "Invalid Request: a message must be a JSON object")
        }
        let rawID = object["id"]
        let id: JSONValue
        switch rawID {
        case .string?, .int?: id = rawID!
        default: id = .null
        }
        guard object["jsonrpc"] == .string("2.0") else {
            return .invalid(id: id, code: Code.invalidRequest, message: "Invalid Request: \"jsonrpc\" must be \"2.0\"")
        }
        guard let methodValue = object["method"] else {
            if object["result"] != nil || object["error"] != nil { return .response }
            return .invalid(id: id, code: Code.invalidRequest, message: "Invalid Request: no \"method\"")
        }
        guard let method = methodValue.stringValue else {
            return .invalid(id: id, code: Code.invalidRequest, message: "Invalid Request: \"method\" must be a string")
        }
        let params = object["params"]
        if let params, params.objectValue == nil {
            return .invalid(id: id, code: Code.invalidRequest, message: "Invalid Request: \"params\" must be an object")
        }
        switch rawID {
        case nil: return .notification(method: method, params: params)
        case .string?, .int?: return .request(id: id, method: method, params: params)
        default:
            return .invalid(id: .null, code: Code.invalidRequest, message: "Invalid Request: \"id\" must be a string or an integer (never null)")
        }
    }

    /// A result response.
    public static func result(_ id: JSONValue, _ result: JSONValue) -> JSONValue {
        .object(["jsonrpc": .string("2.0"), "id": id, "result": result])
    }

    /// An error response (`id` null when it could not be read).
    public static func error(_ id: JSONValue, _ code: Int, _ message: String, data: JSONValue? = nil) -> JSONValue {
        var e: [String: JSONValue] = ["code": .int(code), "message": .string(message)]
        if let data { e["data"] = data }
        return .object(["jsonrpc": .string("2.0"), "id": id, "error": .object(e)])
    }

    /// One line of output: compact JSON (JSON escapes every line break inside strings) and a newline.
    public static func line(_ message: JSONValue) -> Data {
        var data = message.data
        data.append(0x0A)
        return data
    }
}
