import Foundation

/// Several read-only commands in one argv, run in order by GNU `find` (no shell).
///
/// `find / -maxdepth 0` visits one path and evaluates its expression once: each
/// step prints a marker line, runs its argv with `-exec … ;` and prints whether
/// it exited 0. A check that needs several commands (one per endpoint, resolver
/// or repo) still hands the transport a single argv, so it stays one round trip.
public enum CommandSequence {
    /// One command of a sequence and its label.
    public struct Step: Sendable, Equatable {
        public var label: String
        public var argv: [String]

        public init(label: String, argv: [String]) {
            self.label = label
            self.argv = argv
        }
    }

    /// What one step printed.
    public struct StepOutput: Sendable, Equatable {
        public var label: String
        /// The step's stdout (stderr of all steps is shared).
        public var output: String
        /// Whether it exited 0; nil when the output was cut before its status.
        public var succeeded: Bool?
    }

    static let stepMarker = "==luna-step"
    static let statusMarker = "==luna-status"

    /// The single argv that runs `steps` in order.
    ///
    /// The markers carry a random token chosen here, so a command's output
    /// (a DNS TXT answer, a certificate subject) cannot forge a step boundary.
    ///
    /// - Returns: nil when an element would be misread by `find`: a lone `;`,
    ///   `{}` anywhere, or a newline.
    public static func argv(_ steps: [Step]) -> [String]? {
        let token = "-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        var out = ["find", "/", "-maxdepth", "0"]
        for (index, step) in steps.enumerated() {
            guard !step.argv.isEmpty else { return nil }
            for element in step.argv + [step.label] where element == ";" || element.contains("{}") || element.contains("\n") {
                return nil
            }
            if index > 0 { out.append(",") }
            out += ["(", "-exec", "printf", "\\n" + stepMarker + token + " %s\\n", step.label, ";", "-exec"] + step.argv
            out += [";", "-exec", "printf", "\\n" + statusMarker + token + " ok\\n", ";",
                    "-o", "-exec", "printf", "\\n" + statusMarker + token + " failed\\n", ";", ")"]
        }
        return out
    }

    /// Splits the sequence's output per step.
    ///
    /// The first marker line (nothing a command prints can come before it)
    /// gives the token; only markers with that token count.
    public static func split(_ text: String) -> [StepOutput] {
        var steps: [StepOutput] = []
        guard let first = text.split(separator: "\n").first(where: { $0.hasPrefix(Self.stepMarker) }),
              let space = first.firstIndex(of: " ") else { return [] }
        let token = String(first[first.index(first.startIndex, offsetBy: Self.stepMarker.count)..<space])
        let stepPrefix = Self.stepMarker + token + " "
        let statusPrefix = Self.statusMarker + token + " "
        var current: (label: String, lines: [String])?
        func close(_ status: Bool?) {
            guard var c = current else { return }
            if c.lines.last == "" { c.lines.removeLast() }
            steps.append(StepOutput(label: c.label, output: c.lines.joined(separator: "\n"), succeeded: status))
            current = nil
        }
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw)
            if line.hasPrefix(stepPrefix) {
                close(nil)
                current = (String(line.dropFirst(stepPrefix.count)), [])
            } else if line.hasPrefix(statusPrefix), current != nil {
                close(line.dropFirst(statusPrefix.count) == "ok")
            } else if current != nil {
                current!.lines.append(line)
            }
        }
        close(nil)
        return steps
    }

    /// Whether `find` reported that it could not start `program` (not installed).
    static func missing(_ program: String, stderr: String) -> Bool {
        stderr.split(separator: "\n").contains { $0.contains(program) && $0.contains("No such file or directory") && $0.hasPrefix("find:") }
    }
}
