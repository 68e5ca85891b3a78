import Foundation

/// The overall exposure score from `systemd-analyze security`.
///
/// Parses the line `→ Overall exposure level for luna.service: 1.1 OK 🙂`.
enum ExposureReport {
    /// The score for `unit` in `output`, or nil when the line is missing.
    ///
    /// - Parameters:
    ///   - output: Standard output of `systemd-analyze security`.
    ///   - unit: The unit name, e.g. `luna.service`.
    /// - Returns: The score (0.0 best, 10.0 worst).
    static func score(in output: String, unit: String) -> Double? {
        let prefix = "Overall exposure level for \(unit): "
        for line in output.split(separator: "\n") {
            guard let range = line.range(of: prefix) else { continue }
            let number = line[range.upperBound...].prefix { $0.isNumber || $0 == "." }
            return Double(number)
        }
        return nil
    }

    /// The first score written as `<phrase> X.Y` in a unit's comments, or nil.
    ///
    /// - Parameters:
    ///   - commentText: `UnitFile.commentText`.
    ///   - phrase: The words right before the number, e.g. `rates this unit`.
    /// - Returns: The documented score.
    static func documentedScore(in commentText: String, after phrase: String) -> Double? {
        guard let range = commentText.range(of: phrase + " ") else { return nil }
        let number = commentText[range.upperBound...].prefix { $0.isNumber || $0 == "." }
        return Double(number.hasSuffix(".") ? number.dropLast() : number)
    }

    /// A score rounded to one decimal, the precision `systemd-analyze` prints.
    static func rounded(_ score: Double) -> Double { (score * 10).rounded() / 10 }
}
