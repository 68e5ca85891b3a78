/// Turns an argv into one command line for the remote login shell.
///
/// `ssh` hands its command to the remote user's shell as a single string, so every
/// element must be quoted for that shell. POSIX single quotes are the only quoting
/// with no special characters inside: each element becomes `'…'`, and an embedded
/// `'` becomes `'\''`. Newlines, carriage returns and NUL bytes are refused: they
/// are never needed in an operations argv and are where quoting bugs hide.
public enum RemoteCommand {
    /// Quotes every element of `argv` for a POSIX shell and joins them with spaces.
    ///
    /// - Parameter argv: The program and its arguments, exactly as they must arrive.
    /// - Returns: A command line that a POSIX shell splits back into exactly `argv`.
    /// - Throws: ``FleetError`` `.invalidArgument` when `argv` is empty or an element
    ///   contains a newline, carriage return or NUL byte.
    public static func quote(_ argv: [String]) throws(FleetError) -> String {
        guard let first = argv.first, !first.isEmpty else {
            throw FleetError(.invalidArgument, "argv is empty; give at least the program to run", argv: argv)
        }
        for (index, element) in argv.enumerated() {
            if element.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D || $0 == 0x00 }) {
                throw FleetError(
                    .invalidArgument,
                    "argv[\(index)] contains a newline, carriage return or NUL byte;"
                        + " these are refused for remote commands",
                    argv: argv)
            }
        }
        return argv.map(quote(element:)).joined(separator: " ")
    }

    /// One element in POSIX single quotes.
    static func quote(element: String) -> String {
        "'" + element.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
