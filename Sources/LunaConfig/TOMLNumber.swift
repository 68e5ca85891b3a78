/// Parses the text of a TOML decimal integer (already cut out of the document).
///
/// An optional sign, then digits without leading zeros; underscores only
/// between digits. Floats and other radixes are refused by the parser before
/// the token gets here.
enum TOMLNumber {
    /// Why a token is not a valid integer (the caller adds file and position).
    struct Failure: Error {
        var reason: String
    }

    static func parse(_ token: [UInt8]) throws(Failure) -> Int64 {
        var body = token[...]
        var negative = false
        if let first = body.first, first == Byte.plus || first == Byte.minus {
            negative = first == Byte.minus
            body = body.dropFirst()
        }
        guard let first = body.first else { throw Failure(reason: "expected digits after the sign") }
        guard Byte.isDigit(first) else { throw Failure(reason: "expected a digit, found '\(Character(Unicode.Scalar(first)))'") }
        var cursor = body.startIndex
        while cursor < body.endIndex, Byte.isDigit(body[cursor]) || body[cursor] == Byte.underscore {
            cursor += 1
        }
        guard cursor == body.endIndex else {
            throw Failure(reason: "unexpected '\(String(decoding: body[cursor...], as: UTF8.self))'")
        }
        try checkDigits(body)
        if body.count > 1 && first == UInt8(ascii: "0") {
            throw Failure(reason: "leading zeros are not allowed")
        }
        var magnitude: UInt64 = 0
        for byte in body where byte != Byte.underscore {
            let (shifted, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = shifted.addingReportingOverflow(UInt64(byte - 0x30))
            if overflow1 || overflow2 { throw outOfRange }
            magnitude = sum
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { throw outOfRange }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { throw outOfRange }
        return Int64(magnitude)
    }

    /// Digits with underscores only between digits (not first, last or doubled).
    private static func checkDigits(_ digits: ArraySlice<UInt8>) throws(Failure) {
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

    private static let outOfRange = Failure(
        reason: "out of range for a 64-bit integer (\(Int64.min) to \(Int64.max))")
}
