extension SSHExecutor {
    /// Characters allowed in paths handed to ssh (which expands %, ${} and ~ in some).
    private static let pathCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+@,=")
    /// Characters allowed in addresses and user names.
    private static let nameCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-:")

    /// Returns `path` when it is absolute and made only of safe characters.
    static func safePath(_ path: String, what: String) throws(FleetError) -> String {
        guard path.hasPrefix("/"), path.allSatisfy({ pathCharacters.contains($0) }) else {
            throw FleetError(
                .invalidArgument,
                "\(what) \(path.debugDescription) must be an absolute path of letters, digits and / . _ - + @ , =")
        }
        return path
    }

    /// Refuses addresses, users and ports that ssh could read as options or tokens.
    static func validate(_ hop: SSHTarget) throws(FleetError) {
        guard !hop.address.isEmpty, !hop.address.hasPrefix("-"),
            hop.address.allSatisfy({ nameCharacters.contains($0) })
        else {
            throw FleetError(
                .invalidArgument,
                "address \(hop.address.debugDescription) of \(hop.host) is not a plain IP address or DNS name",
                host: hop.host)
        }
        guard !hop.user.isEmpty, !hop.user.hasPrefix("-"), !hop.user.contains(":"),
            hop.user.allSatisfy({ nameCharacters.contains($0) })
        else {
            throw FleetError(
                .invalidArgument, "user \(hop.user.debugDescription) of \(hop.host) is not a plain user name",
                host: hop.host)
        }
        guard (1...65535).contains(hop.port) else {
            throw FleetError(.invalidArgument, "port \(hop.port) of \(hop.host) is outside 1...65535", host: hop.host)
        }
    }
}
