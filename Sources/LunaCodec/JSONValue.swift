import Foundation

/// Luna's one JSON value: wire bodies, tool inputs, JSON columns and files whose
/// shape is checked by hand.
///
/// Encoding is deterministic — compact, keys sorted, slashes unescaped — so the
/// same value always gives the same bytes (request bodies, digests, stored
/// columns). ``prettyText`` is the same value indented, as `--json` prints it.
public enum JSONValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// An array of strings.
    public init(_ strings: [String]) { self = .array(strings.map(JSONValue.string)) }

    /// An object of string members.
    public init(_ members: [String: String]) { self = .object(members.mapValues(JSONValue.string)) }

    /// Decodes any JSON value (booleans before numbers, so `true` never reads as 1).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int.self) { self = .int(i) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    /// Encodes the value as it is.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .int(let i): try c.encode(i)
        case .double(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}

/// JSON text that could not be read, with the decoder's reason.
public struct JSONParseError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Why the text is not JSON (or not the JSON expected).
    public let reason: String

    public init(_ reason: String) { self.reason = reason }

    public var description: String { "not valid JSON: \(reason)" }
}

// MARK: - Reading and writing text

extension JSONValue {
    /// Parses JSON text.
    ///
    /// - Parameter data: UTF-8 JSON (any value at the top, not only objects and arrays).
    /// - Returns: The value.
    /// - Throws: ``JSONParseError`` naming what is wrong and where the decoder saw it.
    public static func parse(_ data: Data) throws(JSONParseError) -> JSONValue {
        do { return try JSONDecoder().decode(JSONValue.self, from: data) } catch {
            throw JSONParseError(Self.reason(error))
        }
    }

    /// Parses JSON text.
    ///
    /// - Parameter text: The JSON.
    /// - Returns: The value.
    /// - Throws: ``JSONParseError``.
    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try parse(Data(text.utf8))
    }

    /// The value as compact JSON bytes with sorted keys and unescaped slashes.
    public var data: Data {
        Self.encoded(self, pretty: false)
    }

    /// The value as compact JSON text with sorted keys and unescaped slashes.
    public var text: String { String(decoding: data, as: UTF8.self) }

    /// The value as indented JSON text with sorted keys (two spaces, `"key" : value`), without a final line feed.
    public var prettyText: String { String(decoding: Self.encoded(self, pretty: true), as: UTF8.self) }

    /// Any `Encodable` (a typed `--json` record) as ``prettyText`` prints a value: indented, keys sorted, slashes unescaped.
    ///
    /// - Throws: `EncodingError` when the value cannot be encoded (a non-finite double).
    public static func prettyText<T: Encodable>(of value: T) throws -> String {
        String(decoding: try encoder(pretty: true).encode(value), as: UTF8.self)
    }

    static func encoder(pretty: Bool) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    static func encoded(_ value: JSONValue, pretty: Bool) -> Data {
        // Infinite or NaN doubles are the only values JSON cannot hold; the value then encodes as null.
        (try? encoder(pretty: pretty).encode(value)) ?? Data("null".utf8)
    }

    static func reason(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return String(describing: error) }
        switch error {
        case .dataCorrupted(let c), .typeMismatch(_, let c), .valueNotFound(_, let c), .keyNotFound(_, let c):
            let underlying = (c.underlyingError as? NSError)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return underlying ?? c.debugDescription
        @unknown default:
            return String(describing: error)
        }
    }
}

// MARK: - String arrays and string objects (JSON columns, argv)

extension JSONValue {
    /// An array of strings as compact JSON text (`["/usr/bin/chmod","0640"]`).
    public static func encode(_ strings: [String]) -> String { JSONValue(strings).text }

    /// An object of string members as compact JSON text with sorted keys.
    public static func encode(_ members: [String: String]) -> String { JSONValue(members).text }

    /// The strings of a JSON array of strings; nil for nil, text that is not JSON, or any element that is not a string.
    public static func decodeStrings(_ text: String?) -> [String]? {
        guard let text else { return nil }
        return (try? parse(text))?.stringArrayValue
    }

    /// The members of a JSON object of strings; empty for nil, text that is not JSON, or any member that is not a string.
    public static func decodeStringMembers(_ text: String?) -> [String: String] {
        guard let text else { return [:] }
        return (try? parse(text))?.stringObjectValue ?? [:]
    }
}

// MARK: - Typed reads

extension JSONValue {
    /// The member `key` of an object; nil for other values or a missing key.
    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    /// The string, when this is one.
    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    /// The boolean, when this is one.
    public var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }
    /// The integer, when this is an integer (or a whole double).
    public var intValue: Int? {
        switch self {
        case .int(let i): i
        case .double(let d) where d.isFinite && d.rounded() == d && abs(d) < 1e15: Int(d)
        default: nil
        }
    }
    /// The number, when this is an integer or a double.
    public var doubleValue: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }
    /// The elements, when this is an array.
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    /// The members, when this is an object.
    public var objectValue: [String: JSONValue]? { if case .object(let o) = self { o } else { nil } }
    /// The strings, when this is an array whose every element is a string.
    public var stringArrayValue: [String]? {
        guard let a = arrayValue else { return nil }
        let strings = a.compactMap(\.stringValue)
        return strings.count == a.count ? strings : nil
    }
    /// The members, when this is an object whose every member is a string.
    public var stringObjectValue: [String: String]? {
        guard let o = objectValue else { return nil }
        let strings = o.compactMapValues(\.stringValue)
        return strings.count == o.count ? strings : nil
    }
}

// MARK: - Literals, so bodies read like the JSON they send

extension JSONValue: ExpressibleByStringInterpolation, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral, ExpressibleByFloatLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(nilLiteral: ()) { self = .null }
}
