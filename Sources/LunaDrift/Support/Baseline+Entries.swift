import Foundation

extension Baseline.Line {
    /// The line without an inline comment (` # …`), and the comment's text.
    var withoutComment: (text: String, comment: String?) {
        var previous: Character = " "
        for index in text.indices {
            if text[index] == "#" && (previous == " " || previous == "\t") {
                let value = text[..<index].trimmingCharacters(in: .whitespaces)
                let comment = text[text.index(after: index)...].trimmingCharacters(in: .whitespaces)
                return (value, comment)
            }
            previous = text[index]
        }
        return (text, nil)
    }
}

extension Baseline {
    /// The lines whose first field is `keyword` (case-insensitive), with the remaining fields.
    func entries(_ keyword: String) -> [(line: Line, args: [String])] {
        lines.compactMap { line in
            let f = line.fields
            guard let first = f.first, first.lowercased() == keyword else { return nil }
            return (line, Array(f.dropFirst()))
        }
    }

    /// An error naming this reference and one of its lines.
    func error(_ line: Line, _ message: String) -> BaselineError {
        BaselineError(file: file, line: line.number, message: message)
    }

    /// Refuses keywords other than `known`, naming the line.
    func requireKeywords(_ known: [String]) throws(BaselineError) {
        for line in lines {
            let keyword = line.fields.first?.lowercased() ?? ""
            if !known.contains(keyword) {
                throw error(line, "unknown keyword '\(keyword)'; expected one of: \(known.joined(separator: ", "))")
            }
        }
    }

    /// The one line with `keyword`, or nil when there is none; a keyword that
    /// may appear once but is written twice is an error naming both lines
    /// (silently keeping one would ignore the other).
    func single(_ keyword: String) throws(BaselineError) -> (line: Line, args: [String])? {
        let found = entries(keyword)
        if found.count > 1 {
            throw error(found[1].line, "'\(keyword)' is set twice (first at line \(found[0].line.number)); keep one")
        }
        return found.first
    }

    /// The single argument of every `keyword` line, refusing a line without one
    /// or with more (a dropped line would silently expect less).
    ///
    /// - Parameters:
    ///   - form: What a line should look like, for the message, e.g. `node NAME`.
    ///   - valid: Extra checks on the argument.
    func arguments(_ keyword: String, form: String, valid: (String) -> Bool = { _ in true }) throws(BaselineError) -> [String] {
        var out: [String] = []
        for entry in entries(keyword) {
            guard entry.args.count == 1, !entry.args[0].hasPrefix("-"), valid(entry.args[0]) else {
                throw error(entry.line, "expected '\(form)', found '\(entry.line.text)'")
            }
            out.append(entry.args[0])
        }
        return out
    }

    /// The single integer after `keyword`, or `fallback` when the keyword is absent.
    func integer(_ keyword: String, default fallback: Int, range: ClosedRange<Int> = 0...Int.max) throws(BaselineError) -> Int {
        guard let entry = try single(keyword) else { return fallback }
        guard entry.args.count == 1, let value = Int(entry.args[0]), range.contains(value) else {
            throw error(entry.line, "\(keyword) takes one whole number in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }
}

extension DriftCheck {
    /// The reference parsed by `parse`, or the finished result when it is missing or bad.
    func reference<T>(host: String, references: References,
                      _ parse: (Baseline) throws(BaselineError) -> T) -> Result<(Baseline, T), CheckResultBox> {
        switch requireReference(host: host, references: references) {
        case .failure(let box):
            return .failure(box)
        case .success(let baseline):
            do {
                return .success((baseline, try parse(baseline)))
            } catch {
                return .failure(CheckResultBox(failed(host, "bad reference: \(error)")))
            }
        }
    }
}

/// Splits on runs of blanks.
func fields(_ line: some StringProtocol) -> [String] {
    String(line).split(whereSeparator: { (c: Character) in c == " " || c == "\t" }).map { String($0) }
}
