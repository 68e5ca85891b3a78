import Foundation
import LunaCodec
import LunaText

/// A tool offered to the model, with a strict, length-bounded input schema.
///
/// The same spec produces the wire schema (`additionalProperties: false`, every
/// string with `maxLength`) and validates what the model sends back: unknown
/// fields, missing fields, wrong types and over-long strings are refused, so a
/// model can never smuggle in a field the schema does not name (an identity,
/// an approver, a channel).
public struct ToolSpec: Sendable, Equatable {
    /// One field of the input object.
    public struct Field: Sendable, Equatable {
        /// What the field holds.
        public enum Kind: Sendable, Equatable {
            /// A string of at most `maxLength` characters.
            case string(maxLength: Int)
            /// One of a fixed set of strings.
            case choice([String])
            /// An array of at most `maxItems` strings, each at most `maxLength`.
            case strings(maxItems: Int, maxLength: Int)
            /// An integer from `min` to `max`.
            case integer(min: Int, max: Int)
        }

        /// The JSON member name.
        public var name: String
        /// What it holds, with its bounds.
        public var kind: Kind
        /// What the model is told about it.
        public var description: String
        /// Whether it must be present.
        public var required: Bool

        /// Creates a field (required by default).
        public init(_ name: String, _ kind: Kind, _ description: String, required: Bool = true) {
            self.name = name
            self.kind = kind
            self.description = description
            self.required = required
        }
    }

    /// The tool name the model calls.
    public var name: String
    /// What the model is told the tool does.
    public var description: String
    /// The input object's fields, in order.
    public var fields: [Field]

    /// Creates a tool.
    public init(name: String, description: String, fields: [Field]) {
        self.name = name
        self.description = description
        self.fields = fields
    }

    /// The JSON Schema sent to the model.
    public var inputSchema: JSONValue {
        var properties: [String: JSONValue] = [:]
        for f in fields {
            switch f.kind {
            case .string(let max):
                properties[f.name] = .object(["type": .string("string"), "maxLength": .int(max), "description": .string(f.description)])
            case .choice(let values):
                properties[f.name] = .object(["type": .string("string"), "enum": .array(values.map(JSONValue.string)),
                                              "description": .string(f.description)])
            case .strings(let maxItems, let maxLength):
                properties[f.name] = .object(["type": .string("array"), "maxItems": .int(maxItems),
                                              "items": .object(["type": .string("string"), "maxLength": .int(maxLength)]),
                                              "description": .string(f.description)])
            case .integer(let min, let max):
                properties[f.name] = .object(["type": .string("integer"), "minimum": .int(min), "maximum": .int(max),
                                              "description": .string(f.description)])
            }
        }
        return .object([
            "type": .string("object"),
            "properties": .object(properties),
            "required": .array(fields.filter(\.required).map { .string($0.name) }),
            "additionalProperties": .bool(false),
        ])
    }

    /// Checks a tool input against the schema.
    ///
    /// - Parameter input: The arguments the model sent (nil when they were not JSON).
    /// - Returns: The validated input.
    /// - Throws: `ToolInputError` listing every problem found.
    public func validate(_ input: JSONValue?) throws(ToolInputError) -> ToolInput {
        guard let object = input?.objectValue else {
            throw ToolInputError(tool: name, problems: ["the arguments are not a JSON object"])
        }
        var problems: [String] = []
        let known = Set(fields.map(\.name))
        for key in object.keys.sorted() where !known.contains(key) {
            problems.append("unknown field '\(Clip.characters(key, 40))' (only \(fields.map(\.name).joined(separator: ", ")) may be given)")
        }
        var strings: [String: String] = [:]
        var arrays: [String: [String]] = [:]
        var integers: [String: Int] = [:]
        for f in fields {
            guard let value = object[f.name], value != .null else {
                if f.required { problems.append("missing field '\(f.name)'") }
                continue
            }
            switch f.kind {
            case .string(let max):
                guard let s = value.stringValue else { problems.append("'\(f.name)' must be a string"); continue }
                if s.count > max { problems.append("'\(f.name)' is longer than \(max) characters") }
                strings[f.name] = s
            case .choice(let values):
                guard let s = value.stringValue, values.contains(s) else {
                    problems.append("'\(f.name)' must be one of \(values.joined(separator: ", "))"); continue
                }
                strings[f.name] = s
            case .strings(let maxItems, let maxLength):
                guard let items = value.arrayValue else { problems.append("'\(f.name)' must be an array of strings"); continue }
                if items.count > maxItems { problems.append("'\(f.name)' has more than \(maxItems) items") }
                var list: [String] = []
                for (i, item) in items.enumerated() {
                    guard let s = item.stringValue else { problems.append("'\(f.name)'[\(i)] must be a string"); continue }
                    if s.count > maxLength { problems.append("'\(f.name)'[\(i)] is longer than \(maxLength) characters") }
                    list.append(s)
                }
                arrays[f.name] = list
            case .integer(let min, let max):
                guard case .int(let i) = value else { problems.append("'\(f.name)' must be an integer"); continue }
                if i < min || i > max { problems.append("'\(f.name)' must be from \(min) to \(max)") }
                integers[f.name] = i
            }
        }
        guard problems.isEmpty else { throw ToolInputError(tool: name, problems: problems) }
        return ToolInput(tool: name, strings: strings, arrays: arrays, integers: integers)
    }

}

/// A tool input that passed its schema.
public struct ToolInput: Sendable, Equatable {
    public var tool: String
    public var strings: [String: String]
    public var arrays: [String: [String]]
    public var integers: [String: Int]

    public init(tool: String, strings: [String: String], arrays: [String: [String]], integers: [String: Int] = [:]) {
        self.tool = tool
        self.strings = strings
        self.arrays = arrays
        self.integers = integers
    }

    /// The integer field `name` (nil when absent).
    public func integer(_ name: String) -> Int? { integers[name] }
    /// The string field `name` ("" when absent).
    public func string(_ name: String) -> String { strings[name] ?? "" }
    /// The array field `name` (empty when absent).
    public func array(_ name: String) -> [String] { arrays[name] ?? [] }
}

/// Why a tool input was refused.
public struct ToolInputError: Error, CustomStringConvertible, Sendable, Equatable {
    public var tool: String
    public var problems: [String]

    public init(tool: String, problems: [String]) {
        self.tool = tool
        self.problems = problems
    }

    public var description: String { "\(tool): " + problems.joined(separator: "; ") }
}
