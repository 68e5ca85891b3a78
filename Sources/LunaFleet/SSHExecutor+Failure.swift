extension SSHExecutor {
    /// An ssh-level failure recognised in a result.
    struct Failure: Equatable {
        var kind: FleetError.Kind
        var message: String
    }

    /// stderr fragments by which ssh reports an unverifiable host.
    static let hostKeyMarkers = [
        "Host key verification failed",
        "REMOTE HOST IDENTIFICATION HAS CHANGED",
    ]

    /// stderr fragments by which ssh (or the bastion's inner ssh) reports a failed connection.
    static let unreachableMarkers = [
        "Connection refused", "timed out", "Could not resolve", "No route to host", "Network is unreachable",
        "Connection closed by", "Connection reset", "kex_exchange_identification", "stdio forwarding failed",
        "connect to host", "Permission denied (", "open failed", "Connection timed out during banner exchange",
    ]

    /// The ssh-level failure in `result`, or nil when it is the remote command's own result.
    ///
    /// Only exit status 255 (ssh's own failure code) is examined, and only stderr
    /// that names a connection or host-key problem counts: a remote command that
    /// exits 255 with other output stays a normal result.
    static func classify(_ result: CommandResult) -> Failure? {
        guard result.exitStatus == 255, result.signal == nil, !result.timedOut else { return nil }
        let stderr = result.stderrText
        let summary = stderr.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("@") }.suffix(3).joined(separator: " / ")
        if hostKeyMarkers.contains(where: stderr.contains) {
            return Failure(
                kind: .hostKeyMismatch,
                message: "host key not verified against the pinned known_hosts"
                    + " (check the entry; never disable checking): \(summary)")
        }
        if unreachableMarkers.contains(where: stderr.contains) {
            return Failure(kind: .unreachable, message: "ssh could not connect: \(summary)")
        }
        return nil
    }
}
