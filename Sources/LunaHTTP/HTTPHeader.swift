/// One HTTP header field as it travels on the wire.
///
/// Names compare case-insensitively where it matters (``HTTPResponse/header(_:)``);
/// the value stored here keeps the spelling that was sent or received.
public struct HTTPHeader: Sendable, Equatable, Hashable {
    /// The field name, e.g. `Content-Type`.
    public var name: String
    /// The field value, without surrounding whitespace.
    public var value: String

    /// Creates a header field.
    ///
    /// - Parameters:
    ///   - name: The field name (an HTTP token: no spaces, colons or control characters).
    ///   - value: The field value (no CR, LF or NUL).
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    /// Creates a header field from a name and a value.
    ///
    /// - Parameters:
    ///   - name: The field name.
    ///   - value: The field value.
    public init(_ name: String, _ value: String) {
        self.init(name: name, value: value)
    }
}

extension [HTTPHeader] {
    /// The last value of the field named `name`, compared case-insensitively.
    func lastValue(named name: String) -> String? {
        last { $0.name.caseInsensitiveEquals(name) }?.value
    }

    /// Every value of the field named `name`, in order, compared case-insensitively.
    func values(named name: String) -> [String] {
        filter { $0.name.caseInsensitiveEquals(name) }.map(\.value)
    }
}

extension String {
    /// ASCII case-insensitive equality, as HTTP field names use.
    func caseInsensitiveEquals(_ other: String) -> Bool {
        utf8.count == other.utf8.count && lowercased() == other.lowercased()
    }
}
