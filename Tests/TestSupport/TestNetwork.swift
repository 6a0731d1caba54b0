import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A veth pair made for one test: `host` stays in the test's network
/// namespace, `peer` lives in a namespace of its own (`namespace`), each
/// with an address of a /30 unique to the pair. Names and addresses come
/// from a random id, retried on a clash, so tests running in parallel (in
/// this process or another) never share one. `close()` (or deinit) deletes
/// the namespace, which deletes both ends.
///
/// The system's `ip` sets the network up; traffic comes from sockets the
/// test opens inside the namespace (`openSocket`, `ping`, `sendUDP`,
/// `connectTCP`) on a thread that joined it.
public final class TestVethPair: @unchecked Sendable {
    /// The end in the test's namespace ("sb1f2e3ah").
    public let host: String
    /// The end in `namespace` ("sb1f2e3ap").
    public let peer: String
    /// The peer's namespace ("swiftbcc-1f2e3a"), or nil when both ends stay in the test's namespace.
    public let namespace: String?
    /// The host end's IPv4 address.
    public let hostAddress: String
    /// The peer end's IPv4 address.
    public let peerAddress: String
    private let lock = NSLock()
    private var closed = false

    /// Creates the pair, moves the peer into a new namespace (unless
    /// `isolatePeer` is false), addresses both ends and brings them up.
    public init(isolatePeer: Bool = true) throws {
        var attempt = 0
        while true {
            let id = UInt32.random(in: 0..<(1 << 20))
            let tag = String(id, radix: 16)
            let host = "sb\(tag)h", peer = "sb\(tag)p"
            let result = try TestNetwork.ip(["link", "add", host, "type", "veth", "peer", "name", peer])
            if result.status != 0 {
                attempt += 1
                if result.stderr.contains("exists") && attempt < 20 { continue }
                throw FixtureError(message: "ip link add \(host): \(result.stderr)")
            }
            let base = (64 + (id >> 14), (id >> 6) & 0xFF, (id & 0x3F) << 2)
            self.host = host
            self.peer = peer
            hostAddress = "10.\(base.0).\(base.1).\(base.2 + 1)"
            peerAddress = "10.\(base.0).\(base.1).\(base.2 + 2)"
            namespace = isolatePeer ? "swiftbcc-\(tag)" : nil
            break
        }
        do {
            if let namespace {
                try TestNetwork.ipChecked(["netns", "add", namespace])
                try TestNetwork.ipChecked(["link", "set", peer, "netns", namespace])
                try TestNetwork.ipChecked(["-n", namespace, "addr", "add", "\(peerAddress)/30", "dev", peer])
                try TestNetwork.ipChecked(["-n", namespace, "link", "set", peer, "up"])
                try TestNetwork.ipChecked(["-n", namespace, "link", "set", "lo", "up"])
                try TestNetwork.ipChecked(["addr", "add", "\(hostAddress)/30", "dev", host])
            } else {
                try TestNetwork.ipChecked(["link", "set", peer, "up"])
            }
            try TestNetwork.ipChecked(["link", "set", host, "up"])
            try waitUntilUp()
        } catch {
            close()
            throw error
        }
    }

    /// Waits (up to 5 s) for the host end to report carrier: the kernel's link
    /// watch marks a new veth up a moment after both ends are set up.
    private func waitUntilUp() throws {
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            let state = try? String(contentsOfFile: "/sys/class/net/\(host)/operstate", encoding: .utf8)
            if state?.hasPrefix("up") == true { return }
            usleep(10_000)
        }
        throw FixtureError(message: "\(host) did not come up within 5 s")
    }

    /// Deletes the pair and its namespace. Calling it again does nothing.
    public func close() {
        lock.lock()
        let wasClosed = closed
        closed = true
        lock.unlock()
        guard !wasClosed else { return }
        _ = try? TestNetwork.ip(["link", "del", host])
        if let namespace { _ = try? TestNetwork.ip(["netns", "del", namespace]) }
    }

    deinit { close() }

    /// The peer end's interface index inside its namespace.
    public var peerIndexInNamespace: Int32? {
        guard let namespace,
              let text = try? TestNetwork.ip(["-n", namespace, "-o", "link", "show", peer]).stdout else { return nil }
        return Int32(text.prefix { $0 != ":" })
    }

    // MARK: - Traffic from the peer's namespace

    /// A socket(2) created inside the peer's namespace (the test's own when it has none).
    public func openSocket(domain: Int32, type: Int32, protocol: Int32) throws -> Int32 {
        try TestNetwork.openSocket(namespace: namespace, domain: domain, type: type, protocol: `protocol`)
    }

    /// Sends `count` ICMP echo requests from the peer to the host end and
    /// returns how many replies came back (each waited for up to `timeout` ms).
    public func ping(count: Int, timeout: Int = 500) throws -> Int {
        let fd = try openSocket(domain: AF_INET, type: Int32(SOCK_RAW.rawValue), protocol: Int32(IPPROTO_ICMP))
        defer { Glibc.close(fd) }
        TestNetwork.setReceiveTimeout(fd, milliseconds: timeout)
        let identifier = UInt16.random(in: 1...UInt16.max)
        var replies = 0
        for sequence in 0..<count {
            var packet: [UInt8] = [8, 0, 0, 0, UInt8(identifier >> 8), UInt8(identifier & 0xFF),
                                   UInt8(sequence >> 8), UInt8(sequence & 0xFF)] + Array("swift-bcc ping".utf8)
            let checksum = TestNetwork.internetChecksum(packet)
            packet[2] = UInt8(checksum >> 8)
            packet[3] = UInt8(checksum & 0xFF)
            try TestNetwork.send(fd, packet, to: hostAddress, port: 0)
            let deadline = Date().addingTimeInterval(Double(timeout) / 1000)
            var buffer = [UInt8](repeating: 0, count: 2048)
            while Date() < deadline {
                let received = recv(fd, &buffer, buffer.count, 0)
                guard received > 0 else { break }
                // IPv4 header, then ICMP: type 0 (echo reply) with our identifier and sequence.
                let headerLength = Int(buffer[0] & 0x0F) * 4
                guard received >= headerLength + 8 else { continue }
                let icmp = buffer[headerLength..<received]
                let start = icmp.startIndex
                if icmp[start] == 0, UInt16(icmp[start + 4]) << 8 | UInt16(icmp[start + 5]) == identifier,
                   Int(UInt16(icmp[start + 6]) << 8 | UInt16(icmp[start + 7])) == sequence {
                    replies += 1
                    break
                }
            }
        }
        return replies
    }

    /// Sends `count` UDP datagrams with `payload` from the peer to the host end's `port`.
    public func sendUDP(_ payload: [UInt8], port: UInt16, count: Int = 1) throws {
        let fd = try openSocket(domain: AF_INET, type: Int32(SOCK_DGRAM.rawValue), protocol: 0)
        defer { Glibc.close(fd) }
        for _ in 0..<count { try TestNetwork.send(fd, payload, to: hostAddress, port: port) }
    }

    /// Connects from the peer to the host end's `port` over TCP (the host
    /// side must listen; it need not accept), sends `payload` and closes.
    public func sendTCP(_ payload: [UInt8], port: UInt16) throws {
        let fd = try openSocket(domain: AF_INET, type: Int32(SOCK_STREAM.rawValue), protocol: 0)
        defer { Glibc.close(fd) }
        var address = TestNetwork.socketAddress(hostAddress, port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw FixtureError(message: "connect to \(hostAddress):\(port): errno \(errno)") }
        let sent = payload.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
        guard sent == payload.count else { throw FixtureError(message: "send to \(hostAddress):\(port): errno \(errno)") }
    }
}

/// Network helpers for tests: running `ip`, sockets inside a namespace, checksums.
public enum TestNetwork {
    /// A TCP socket listening on `address`, port chosen by the kernel; returns it and the port.
    public static func listenTCP(on address: String) throws -> (descriptor: Int32, port: UInt16) {
        let fd = try openSocket(namespace: nil, domain: AF_INET, type: Int32(SOCK_STREAM.rawValue), protocol: 0)
        var bound = socketAddress(address, port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &bound) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else {
            Glibc.close(fd)
            throw FixtureError(message: "listen on \(address): errno \(errno)")
        }
        return (fd, UInt16(bigEndian: bound.sin_port))
    }

    /// Runs the system's `ip` with `arguments`.
    @discardableResult
    public static func ip(_ arguments: [String]) throws -> TestSupport.ProcessResult {
        let path = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let path else { throw FixtureError(message: "the ip command (iproute2) is not installed") }
        return try TestSupport.run(path, arguments)
    }

    /// Runs `ip`, throwing with its error output when it fails.
    public static func ipChecked(_ arguments: [String]) throws {
        let result = try ip(arguments)
        guard result.status == 0 else {
            throw FixtureError(message: "ip \(arguments.joined(separator: " ")): \(result.stderr)")
        }
    }

    /// A socket(2) created inside namespace `namespace` (a name under
    /// /run/netns; nil for the test's own), on a thread that joins the
    /// namespace and ends: the socket keeps the namespace it was made in.
    public static func openSocket(namespace: String?, domain: Int32, type: Int32, protocol: Int32) throws -> Int32 {
        guard let namespace else {
            let fd = socket(domain, type | Int32(SOCK_CLOEXEC.rawValue), `protocol`)
            guard fd >= 0 else { throw FixtureError(message: "socket: errno \(errno)") }
            return fd
        }
        let result = ThreadResult()
        let thread = Thread {
            let namespaceFD = open("/run/netns/\(namespace)", O_RDONLY | O_CLOEXEC)
            guard namespaceFD >= 0 else { return result.finish(.failure(FixtureError(message: "open /run/netns/\(namespace): errno \(errno)"))) }
            defer { Glibc.close(namespaceFD) }
            guard let setns = setnsFunction, setns(namespaceFD, 0x4000_0000 /* CLONE_NEWNET */) == 0 else {
                return result.finish(.failure(FixtureError(message: "setns into \(namespace): errno \(errno)")))
            }
            let fd = socket(domain, type | Int32(SOCK_CLOEXEC.rawValue), `protocol`)
            result.finish(fd >= 0 ? .success(fd) : .failure(FixtureError(message: "socket in \(namespace): errno \(errno)")))
        }
        thread.start()
        return try result.wait().get()
    }

    /// Sends `bytes` to `address`:`port` on socket `fd`.
    public static func send(_ fd: Int32, _ bytes: [UInt8], to address: String, port: UInt16) throws {
        var destination = socketAddress(address, port: port)
        let sent = bytes.withUnsafeBytes { buffer in
            withUnsafePointer(to: &destination) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, buffer.baseAddress, buffer.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        guard sent == bytes.count else { throw FixtureError(message: "sendto \(address):\(port): errno \(errno)") }
    }

    /// An IPv4 socket address.
    public static func socketAddress(_ address: String, port: UInt16) -> sockaddr_in {
        var result = sockaddr_in()
        result.sin_family = sa_family_t(AF_INET)
        result.sin_port = port.bigEndian
        inet_pton(AF_INET, address, &result.sin_addr)
        return result
    }

    /// Makes blocking receives on `fd` give up after `milliseconds`.
    public static func setReceiveTimeout(_ fd: Int32, milliseconds: Int) {
        var timeout = timeval(tv_sec: milliseconds / 1000, tv_usec: (milliseconds % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// The 16-bit ones' complement checksum of IP and ICMP headers.
    public static func internetChecksum(_ bytes: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var index = 0
        while index + 1 < bytes.count {
            sum += UInt32(bytes[index]) << 8 | UInt32(bytes[index + 1])
            index += 2
        }
        if index < bytes.count { sum += UInt32(bytes[index]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
        return ~UInt16(sum)
    }

    /// setns(2), which Swift's Glibc module does not declare.
    private static let setnsFunction: (@convention(c) (Int32, Int32) -> Int32)? = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "setns") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
    }()

    /// The outcome of work on another thread, waited for.
    private final class ThreadResult: @unchecked Sendable {
        private let condition = NSCondition()
        private var outcome: Result<Int32, Error>?

        func finish(_ result: Result<Int32, Error>) {
            condition.lock()
            outcome = result
            condition.signal()
            condition.unlock()
        }

        func wait() -> Result<Int32, Error> {
            condition.lock()
            defer { condition.unlock() }
            while outcome == nil { condition.wait() }
            return outcome!
        }
    }
}
