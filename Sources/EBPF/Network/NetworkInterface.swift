import BPFObject
import Netlink
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A network interface of the calling thread's network namespace, by index
/// and name, and what is attached to it: XDP programs (rtnetlink
/// IFLA_XDP), qdiscs and tc filters (rtnetlink dumps) and tcx programs
/// (BPF_PROG_QUERY).
public struct NetworkInterface: Hashable, Sendable, CustomStringConvertible {
    /// The interface index.
    public let index: Int32
    /// The interface name ("eth0").
    public let name: String

    /// The interface named `name`.
    ///
    /// - Throws: `BPFError.notFound` when there is no such interface.
    public init(name: String) throws(BPFError) {
        let index = if_nametoindex(name)
        guard index != 0 else { throw BPFError.notFound(what: "network interface '\(name)'") }
        self.index = Int32(bitPattern: index)
        self.name = name
    }

    /// The interface with index `index`.
    ///
    /// - Throws: `BPFError.notFound` when there is no such interface.
    public init(index: Int32) throws(BPFError) {
        var buffer = [CChar](repeating: 0, count: Int(IF_NAMESIZE) + 1)
        guard if_indextoname(UInt32(bitPattern: index), &buffer) != nil else {
            throw BPFError.notFound(what: "network interface with index \(index)")
        }
        self.index = index
        name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// "device NAME": how errors name the interface.
    public var description: String { "device \(name)" }

    // MARK: - Queries

    /// Every interface with its XDP state (one RTM_GETLINK dump).
    public static func all() throws(BPFError) -> [(interface: NetworkInterface, xdp: LinkXDPState?)] {
        let socket = try NetlinkSocket()
        defer { socket.close() }
        let messages = try socket.dump(type: NetlinkMessageType.getLink, payload: LinkMessage().encoded(),
                                       operation: "list", object: "network interfaces")
        var interfaces: [(interface: NetworkInterface, xdp: LinkXDPState?)] = []
        for message in messages where message.type == NetlinkMessageType.newLink {
            let link = try decode("link list") { () throws(NetlinkError) in try LinkMessage(decoding: message.payload) }
            let xdp = try decode("link \(link.index)") { () throws(NetlinkError) in try link.xdp() }
            interfaces.append((NetworkInterface(index: link.index, unchecked: link.name ?? "if\(link.index)"), xdp))
        }
        return interfaces
    }

    /// The XDP programs the interface runs (IFLA_XDP of RTM_GETLINK).
    public func xdpState() throws(BPFError) -> LinkXDPState {
        let socket = try NetlinkSocket()
        defer { socket.close() }
        let reply = try socket.get(type: NetlinkMessageType.getLink, payload: LinkMessage(index: index).encoded(),
                                   operation: "read XDP state of", object: description)
        return try Self.decode(description) { () throws(NetlinkError) in
            if let state = try LinkMessage(decoding: reply.payload).xdp() { return state }
            return try LinkXDPState(attributes: [])
        }
    }

    /// The interface's qdiscs (RTM_GETQDISC dump), such as a clsact.
    public func qdiscs() throws(BPFError) -> [TrafficControlMessage] {
        let socket = try NetlinkSocket()
        defer { socket.close() }
        let messages = try socket.dump(type: NetlinkMessageType.getQdisc,
                                       payload: TrafficControlMessage(interfaceIndex: index).encoded(),
                                       operation: "list qdiscs of", object: description)
        var qdiscs: [TrafficControlMessage] = []
        for message in messages where message.type == NetlinkMessageType.newQdisc {
            let qdisc = try Self.decode(description) { () throws(NetlinkError) in try TrafficControlMessage(decoding: message.payload) }
            if qdisc.interfaceIndex == index { qdiscs.append(qdisc) }
        }
        return qdiscs
    }

    /// The tc filters at `parent` (`TrafficControlHandle.ingress` or `.egress` of a clsact qdisc).
    public func filters(parent: UInt32) throws(BPFError) -> [TrafficControlMessage] {
        let socket = try NetlinkSocket()
        defer { socket.close() }
        return try filters(parent: parent, socket: socket)
    }

    func filters(parent: UInt32, socket: NetlinkSocket) throws(BPFError) -> [TrafficControlMessage] {
        let request = TrafficControlMessage(interfaceIndex: index, parent: parent)
        // Without a qdisc at `parent` the dump is empty.
        let messages = try socket.dump(type: NetlinkMessageType.getFilter, payload: request.encoded(),
                                       operation: "list tc filters of", object: description)
        var filters: [TrafficControlMessage] = []
        for message in messages where message.type == NetlinkMessageType.newFilter {
            filters.append(try Self.decode(description) { () throws(NetlinkError) in try TrafficControlMessage(decoding: message.payload) })
        }
        return filters
    }

    /// The ids of the programs attached through tcx in `direction` (BPF_PROG_QUERY).
    public func tcxProgramIDs(_ direction: TrafficControlDirection) throws(BPFError) -> [UInt32] {
        try Syscall.progQuery(target: index, attachType: direction.tcxAttachType, object: description)
    }

    // MARK: - Helpers

    init(index: Int32, unchecked name: String) {
        self.index = index
        self.name = name
    }

    /// Runs a pure decoder, turning its error into a `BPFError` naming `what`.
    static func decode<T>(_ what: String, _ body: () throws(NetlinkError) -> T) throws(BPFError) -> T {
        do {
            return try body()
        } catch {
            throw .malformed(what: "netlink reply about \(what)", detail: error.description)
        }
    }
}

/// Where a tc program runs: on packets arriving at an interface or leaving it.
public enum TrafficControlDirection: String, Hashable, Sendable, CustomStringConvertible {
    /// Packets the interface receives.
    case ingress
    /// Packets the interface sends.
    case egress

    /// BPF_TCX_INGRESS or BPF_TCX_EGRESS.
    public var tcxAttachType: AttachType { self == .ingress ? .tcxIngress : .tcxEgress }

    /// The clsact hook: `TrafficControlHandle.ingress` or `.egress`.
    public var clsactParent: UInt32 { self == .ingress ? TrafficControlHandle.ingress : TrafficControlHandle.egress }

    /// "ingress" or "egress".
    public var description: String { rawValue }
}
