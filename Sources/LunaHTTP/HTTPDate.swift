import Foundation

/// Parsing of HTTP dates (RFC 9110 §5.6.7) as used by `Retry-After`.
enum HTTPDate {
    /// The three formats a recipient must accept: IMF-fixdate, RFC 850, asctime.
    private static let formats = [
        "EEE, dd MMM yyyy HH:mm:ss zzz",
        "EEEE, dd-MMM-yy HH:mm:ss zzz",
        "EEE MMM d HH:mm:ss yyyy",
    ]

    /// The date `text` denotes, or nil when it is not an HTTP date.
    static func parse(_ text: String) -> Date? {
        for format in formats {
            // DateFormatter is not thread-safe to share; one per call is cheap enough here.
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }
}
