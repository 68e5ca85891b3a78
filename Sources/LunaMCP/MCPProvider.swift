import Foundation
import LunaCodec

/// What an MCP server offers, independent of the wire: its tools, resources and
/// prompts. `MCPServer` speaks the protocol; a provider does the work and never
/// sees JSON-RPC.
public protocol MCPProvider: Sendable {
    /// The server's name and version (`serverInfo`).
    var implementation: MCPImplementation { get }
    /// Guidance for the client's model (`instructions`).
    var instructions: String { get }
    /// Every tool, in a fixed order.
    var tools: [MCPTool] { get }
    /// Every prompt, in a fixed order.
    var prompts: [MCPPrompt] { get }

    /// Runs a tool that `tools` lists. A refusal is a result with `isError`, never a throw.
    ///
    /// - Throws: `MCPFailure` for a request the protocol itself rejects; any other error is an internal error.
    func call(tool: String, arguments: JSONValue?, client: MCPClient) throws -> MCPToolResult
    /// Every resource, in a fixed order.
    func resources() throws -> [MCPResource]
    /// The contents of one resource.
    ///
    /// - Throws: `MCPFailure.resourceNotFound` for a URI that is not one of `resources()`.
    func read(resource uri: String) throws -> MCPResourceContents
    /// A prompt filled with its arguments.
    ///
    /// - Throws: `MCPFailure.invalidParams` for an unknown prompt or bad arguments.
    func prompt(_ name: String, arguments: [String: String], client: MCPClient) throws -> MCPPromptResult
    /// What an error message may show of a text that left the process (the redactor).
    func outbound(_ text: String) -> String
}

/// `name` and `version` of an implementation.
public struct MCPImplementation: Sendable, Equatable {
    public var name: String
    public var title: String?
    public var version: String

    public init(name: String, title: String? = nil, version: String) {
        self.name = name
        self.title = title
        self.version = version
    }

    var json: JSONValue {
        var o: [String: JSONValue] = ["name": .string(name), "version": .string(version)]
        if let title { o["title"] = .string(title) }
        return .object(o)
    }
}

/// Who is calling: the name the client gave itself (self-reported, never trusted
/// for a decision; it only labels its proposals and keys its bounds) and the
/// protocol version of the request.
public struct MCPClient: Sendable, Equatable {
    /// The client's name reduced to `[A-Za-z0-9._-]`, at most 40 characters ("unknown" when none was given).
    public var name: String
    public var protocolVersion: String

    public init(name: String, protocolVersion: String) {
        self.name = name
        self.protocolVersion = protocolVersion
    }

    /// A self-reported client name as a safe label.
    public static func label(_ raw: String?) -> String {
        let kept = String(String.UnicodeScalarView((raw ?? "").unicodeScalars.filter {
            $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "." || $0 == "_" || $0 == "-")
        }).prefix(40))
        return kept.isEmpty ? "unknown" : kept
    }
}

/// A tool as listed: its schemas and its annotations.
public struct MCPTool: Sendable, Equatable {
    /// The MCP tool annotations; each says what the tool really does.
    public struct Annotations: Sendable, Equatable {
        public var readOnly: Bool
        public var destructive: Bool
        public var idempotent: Bool
        public var openWorld: Bool

        public init(readOnly: Bool, destructive: Bool, idempotent: Bool, openWorld: Bool) {
            self.readOnly = readOnly
            self.destructive = destructive
            self.idempotent = idempotent
            self.openWorld = openWorld
        }
    }

    public var name: String
    public var title: String
    public var description: String
    public var inputSchema: JSONValue
    public var outputSchema: JSONValue
    public var annotations: Annotations

    public init(name: String, title: String, description: String, inputSchema: JSONValue, outputSchema: JSONValue, annotations: Annotations) {
        self.name = name
        self.title = title
        self.description = description
        self.inputSchema = inputSchema
        self.outputSchema = outputSchema
        self.annotations = annotations
    }

    var json: JSONValue {
        .object([
            "name": .string(name), "title": .string(title), "description": .string(description),
            "inputSchema": inputSchema, "outputSchema": outputSchema,
            "annotations": .object([
                "title": .string(title),
                "readOnlyHint": .bool(annotations.readOnly), "destructiveHint": .bool(annotations.destructive),
                "idempotentHint": .bool(annotations.idempotent), "openWorldHint": .bool(annotations.openWorld),
            ]),
        ])
    }
}

/// What a tool call returns: text for the model, the same as structured content, and whether it failed or was refused.
public struct MCPToolResult: Sendable, Equatable {
    public var text: String
    public var structured: JSONValue
    public var isError: Bool

    public init(text: String, structured: JSONValue, isError: Bool = false) {
        self.text = text
        self.structured = structured
        self.isError = isError
    }
}

/// A resource as listed.
public struct MCPResource: Sendable, Equatable {
    public var uri: String
    public var name: String
    public var description: String
    public var mimeType: String

    public init(uri: String, name: String, description: String, mimeType: String = "text/plain") {
        self.uri = uri
        self.name = name
        self.description = description
        self.mimeType = mimeType
    }

    var json: JSONValue {
        .object(["uri": .string(uri), "name": .string(name), "description": .string(description), "mimeType": .string(mimeType)])
    }
}

/// One resource's text.
public struct MCPResourceContents: Sendable, Equatable {
    public var uri: String
    public var mimeType: String
    public var text: String

    public init(uri: String, mimeType: String = "text/plain", text: String) {
        self.uri = uri
        self.mimeType = mimeType
        self.text = text
    }
}

/// A prompt as listed, with its arguments.
public struct MCPPrompt: Sendable, Equatable {
    public struct Argument: Sendable, Equatable {
        public var name: String
        public var description: String
        public var required: Bool

        public init(name: String, description: String, required: Bool) {
            self.name = name
            self.description = description
            self.required = required
        }
    }

    public var name: String
    public var title: String
    public var description: String
    public var arguments: [Argument]

    public init(name: String, title: String, description: String, arguments: [Argument]) {
        self.name = name
        self.title = title
        self.description = description
        self.arguments = arguments
    }

    var json: JSONValue {
        .object([
            "name": .string(name), "title": .string(title), "description": .string(description),
            "arguments": .array(arguments.map {
                .object(["name": .string($0.name), "description": .string($0.description), "required": .bool($0.required)])
            }),
        ])
    }
}

/// A filled prompt: one user message.
public struct MCPPromptResult: Sendable, Equatable {
    public var description: String
    public var text: String

    public init(description: String, text: String) {
        self.description = description
        self.text = text
    }
}

/// A request the protocol rejects, with the specification's error.
public enum MCPFailure: Error, Equatable, CustomStringConvertible {
    /// Bad arguments, an unknown tool or prompt (`-32602`).
    case invalidParams(String)
    /// A resource URI that names nothing (`-32002` in 2025-11-25, `-32602` from 2026-07-28).
    case resourceNotFound(String)

    public var description: String {
        switch self {
        case .invalidParams(let m): m
        case .resourceNotFound(let uri): "resource not found: \(uri)"
        }
    }
}
