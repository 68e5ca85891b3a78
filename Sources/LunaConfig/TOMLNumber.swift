/// Parses the text of a TOML number (already cut out of the document).
///
/// Integers: optional sign, decimal without leading zeros, or unsigned
/// `0x`/`0o`/`0b`; underscores only between digits. Floats: integer part, then
/// a fraction and/or an exponent, or `inf`/`nan` with an optional sign.
enum TOMLNumber {
    /// Why a token is not a valid number (the caller adds file and position).
    struct Failure: Error {
        var reason: String
    }

    static func parse(_ token: [UInt8]) throws(Failure) -> TOMLValue {
        var body = token[...]
        var negative = false
        var signed = false
        if let first = body.first, first == Byte.plus || first == Byte.minus {
            negative = first == Byte.minus
            signed = true
            body = body.dropFirst()
        }
        if body.elementsEqual("inf".utf8) { return .float(negative ? -.infinity : .infinity) }
        if body.elementsEqual("nan".utf8) { return .float(.nan) }
        guard let first = body.first else { throw Failure(reason: "expected digits after the sign") }
        guard Byte.isDigit(first) else { throw Failure(reason: "expected a digit, found '\(Character(Unicode.Scalar(first)))'") }

        if first == UInt8(ascii: "0"), body.count > 1,
            let radix = radix(of: body[body.index(after: body.startIndex)])
        {
            guard !signed else { throw Failure(reason: "hexadecimal, octal and binary integers cannot have a sign") }
            return .integer(try parseRadix(body.dropFirst(2), radix: radix))
        }

        // Decimal: integer part, optional fraction, optional exponent.
        var cursor = body.startIndex
        while cursor < body.endIndex, Byte.isDigit(body[cursor]) || body[cursor] == Byte.underscore {
            cursor += 1
        }
        let integerPart = body[body.startIndex..<cursor]
        try checkDigits(integerPart, what: "the integer part")
        if integerPart.count > 1 && integerPart.first == UInt8(ascii: "0") {
            throw Failure(reason: "leading zeros are not allowed")
        }
        if cursor == body.endIndex {
            return .integer(try decimalInteger(integerPart, negative: negative))
        }
        var isFloat = false
        if body[cursor] == Byte.dot {
            cursor += 1
            let fractionStart = cursor
            while cursor < body.endIndex, Byte.isDigit(body[cursor]) || body[cursor] == Byte.underscore {
                cursor += 1
            }
            guard cursor > fractionStart else { throw Failure(reason: "a decimal point must be followed by digits") }
            try checkDigits(body[fractionStart..<cursor], what: "the fraction")
            isFloat = true
        }
        if cursor < body.endIndex, body[cursor] == UInt8(ascii: "e") || body[cursor] == UInt8(ascii: "E") {
            cursor += 1
            if cursor < body.endIndex, body[cursor] == Byte.plus || body[cursor] == Byte.minus { cursor += 1 }
            let exponentStart = cursor
            while cursor < body.endIndex, Byte.isDigit(body[cursor]) || body[cursor] == Byte.underscore {
                cursor += 1
            }
            guard cursor > exponentStart else { throw Failure(reason: "an exponent must have digits") }
            try checkDigits(body[exponentStart..<cursor], what: "the exponent")
            isFloat = true
        }
        guard isFloat, cursor == body.endIndex else {
            let rest = String(decoding: body[cursor...], as: UTF8.self)
            throw Failure(reason: "unexpected '\(rest)'")
        }
        let cleaned = String(decoding: token.filter { $0 != Byte.underscore }, as: UTF8.self)
        guard let value = Double(cleaned) else { throw Failure(reason: "not a valid float") }
        guard value.isFinite else { throw Failure(reason: "out of range for a 64-bit float") }
        return .float(value)
    }

    private static func radix(of byte: UInt8) -> UInt64? {
        switch byte {
        case UInt8(ascii: "x"): 16
        case UInt8(ascii: "o"): 8
        case UInt8(ascii: "b"): 2
        default: nil
        }
    }

    /// Digits with underscores only between digits (not first, last or doubled).
    private static func checkDigits(_ digits: ArraySlice<UInt8>, what: String) throws(Failure) {
        guard !digits.isEmpty else { throw Failure(reason: "\(what) has no digits") }
        var previousWasUnderscore = true  // forbids a leading underscore
        for byte in digits {
            if byte == Byte.underscore {
                if previousWasUnderscore { throw Failure(reason: "underscores must be between digits") }
                previousWasUnderscore = true
            } else {
                previousWasUnderscore = false
            }
        }
        if previousWasUnderscore { throw Failure(reason: "underscores must be between digits") }
    }

    private static func digitValue(_ byte: UInt8, radix: UInt64) -> UInt64? {
        let value: UInt64
        switch byte {
        case 0x30...0x39: value = UInt64(byte - 0x30)
        case 0x41...0x46: value = UInt64(byte - 0x41 + 10)
        case 0x61...0x66: value = UInt64(byte - 0x61 + 10)
        default: return nil
        }
        return value < radix ? value : nil
    }

    private static func accumulate(_ digits: ArraySlice<UInt8>, radix: UInt64, name: String) throws(Failure) -> UInt64 {
        try checkDigits(digits, what: "the number")
        var magnitude: UInt64 = 0
        for byte in digits where byte != Byte.underscore {
            guard let digit = digitValue(byte, radix: radix) else {
                throw Failure(reason: "'\(Character(Unicode.Scalar(byte)))' is not a \(name) digit")
            }
            let (shifted, overflow1) = magnitude.multipliedReportingOverflow(by: radix)
            let (sum, overflow2) = shifted.addingReportingOverflow(digit)
            if overflow1 || overflow2 { throw outOfRange }
            magnitude = sum
        }
        return magnitude
    }

    private static let outOfRange = Failure(
        reason: "out of range for a 64-bit integer (\(Int64.min) to \(Int64.max))")

    private static func parseRadix(_ digits: ArraySlice<UInt8>, radix: UInt64) throws(Failure) -> Int64 {
        let name = radix == 16 ? "hexadecimal" : radix == 8 ? "octal" : "binary"
        let magnitude = try accumulate(digits, radix: radix, name: name)
        guard magnitude <= UInt64(Int64.max) else { throw outOfRange }
        return Int64(magnitude)
    }

    private static func decimalInteger(_ digits: ArraySlice<UInt8>, negative: Bool) throws(Failure) -> Int64 {
        let magnitude = try accumulate(digits, radix: 10, name: "decimal")
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { throw outOfRange }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { throw outOfRange }
        return Int64(magnitude)
    }
}
