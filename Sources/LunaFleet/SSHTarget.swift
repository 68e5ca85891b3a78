/// One host reachable over SSH: its inventory name and where to connect.
public struct SSHTarget: Sendable, Equatable {
    /// The inventory name (used in results, errors and logs).
    public var host: String
    /// The address to connect to: an IP address or a DNS name.
    public var address: String
    /// The SSH port.
    public var port: Int
    /// The remote login user.
    public var user: String

    /// Creates a target.
    ///
    /// - Parameters:
    ///   - host: The inventory name.
    ///   - address: The IP address or DNS name to connect to.
    ///   - port: The SSH port (default 22).
    ///   - user: The remote login user (default `luna`).
    public init(host: String, address: String, port: Int = 22, user: String = "luna") {
        self.host = host
        self.address = address
        self.port = port
        self.user = user
    }
}
