import BPFObject
import CBPF
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A socket filter program (BPF_PROG_TYPE_SOCKET_FILTER) on a raw packet
/// socket bound to a network interface: every frame the interface sends or
/// receives runs the program, and the socket queues the frames it passes
/// (the first N bytes when it returns N, none when it returns 0), as
/// tcpdump's socket does with a classic filter.
///
/// The filter is attached before the socket is bound, so no unfiltered
/// frame ever reaches its queue. The link owns the socket: `close()` closes it.
public final class RawSocketLink: Link {
    /// "raw socket on device NAME".
    public let target: String
    /// The interface.
    public let interface: NetworkInterface
    let socket: OwnedFD
    let resources: LinkResources

    /// ETH_P_ALL in network byte order: frames of every protocol.
    private static let allProtocols = UInt16(0x0003).bigEndian

    /// Opens a non-blocking AF_PACKET socket, attaches `program` to it
    /// (SO_ATTACH_BPF) and binds it to `interface`.
    ///
    /// - Throws: `BPFError.invalidArgument` for a program of another type;
    ///   `.permissionDenied` without CAP_NET_RAW.
    public init(program: Program, interface: NetworkInterface) throws(BPFError) {
        let target = "raw socket on \(interface)"
        try program.requireType([.socketFilter], for: target)
        // Protocol 0: the socket receives nothing until it is bound with a protocol below.
        let raw = Glibc.socket(AF_PACKET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard raw >= 0 else {
            if errno == EPERM || errno == EACCES { throw .permissionDenied(operation: "open a raw packet socket (CAP_NET_RAW)") }
            throw .system(operation: "open", object: "raw packet socket for \(interface)", errno: errno)
        }
        let socket = OwnedFD(rawValue: raw)
        var programFD = program.fd.rawValue
        guard setsockopt(raw, SOL_SOCKET, SO_ATTACH_BPF, &programFD, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw .system(operation: "attach socket filter '\(program.name)' to", object: target, errno: errno)
        }
        guard cbpf_bind_packet_socket(raw, interface.index, Self.allProtocols) == 0 else {
            if errno == ENODEV { throw .notFound(what: "\(interface)") }
            throw .system(operation: "bind", object: target, errno: errno)
        }
        self.target = target
        self.interface = interface
        self.socket = socket
        resources = LinkResources(descriptors: [socket])
    }

    /// The socket's descriptor (bcc's `fn.sock`): read the frames the program
    /// passes with recv(2). -1 once closed.
    public var socketDescriptor: Int32 { socket.rawValue }

    /// True once the socket has been closed.
    public var isClosed: Bool { resources.isClosed }

    /// Closes the socket, which detaches the program. Calling it again does nothing.
    public func close() { resources.close() }

    deinit { resources.close() }
}
