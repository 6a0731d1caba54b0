/// Where the HTTP server listens, from Prometheus exporters' usual
/// `--listen` forms: ":9435" (every IPv4 address), "127.0.0.1:9435",
/// "localhost:9435", "[::1]:9435".
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// The host to bind ("0.0.0.0" for all).
    public var host: String
    /// The TCP port.
    public var port: Int

    /// An address.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `text`.
    ///
    /// - Throws: `ListenAddress.Invalid` saying what form is expected.
    public init(parsing text: String) throws(Invalid) {
        guard let colon = text.lastIndex(of: ":") else {
            throw Invalid(text: text, problem: "expected HOST:PORT or :PORT")
        }
        var host = String(text[..<colon])
        let portText = text[text.index(after: colon)...]
        guard let port = Int(portText), (1...65535).contains(port) else {
            throw Invalid(text: text, problem: "the port must be a number from 1 to 65535")
        }
        if host.hasPrefix("[") {
            guard host.hasSuffix("]"), host.count > 2 else { throw Invalid(text: text, problem: "an IPv6 host is written [ADDRESS]") }
            host = String(host.dropFirst().dropLast())
        } else if host.contains(":") {
            throw Invalid(text: text, problem: "write an IPv6 host in brackets: [::1]:\(port)")
        }
        self.host = host.isEmpty ? "0.0.0.0" : host
        self.port = port
    }

    /// "host:port", brackets around IPv6.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// A `--listen` value that cannot be used.
    public struct Invalid: Error, CustomStringConvertible {
        /// What was given.
        public var text: String
        /// What is wrong with it.
        public var problem: String
        /// "--listen 'x': problem".
        public var description: String { "--listen '\(text)': \(problem)" }
    }
}
