import BPFObject
import Netlink
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A tc program (BPF_PROG_TYPE_SCHED_CLS) attached to the ingress or egress
/// of a network interface, its return value the action (TC_ACT_OK,
/// TC_ACT_SHOT, TC_ACT_REDIRECT, ...).
///
/// Where the kernel has tcx (Linux 6.6+) the attachment is a BPF link and no
/// qdisc is involved. Otherwise, or when asked to, it is a direct-action
/// "bpf" filter on the interface's clsact qdisc, set over rtnetlink as
/// `tc filter add dev X ingress bpf da` does; the qdisc is added when the
/// interface has none and removed again when the last filter this process
/// put on it is gone (a qdisc someone else added, or one that still holds
/// other filters, stays).
public final class TCLink: Link {
    /// How the program is attached.
    public enum Mechanism: String, Sendable {
        /// tcx where the kernel has it, else a clsact filter.
        case automatic
        /// BPF_LINK_CREATE with BPF_TCX_INGRESS / BPF_TCX_EGRESS.
        case tcx
        /// A "bpf" filter on a clsact qdisc, over rtnetlink.
        case netlink
    }

    /// "tc ingress of device NAME".
    public let target: String
    /// The interface.
    public let interface: NetworkInterface
    /// Ingress or egress.
    public let direction: TrafficControlDirection
    /// The mechanism used: `.tcx` or `.netlink`.
    public let mechanism: Mechanism
    /// For a clsact filter: its priority and handle, which the kernel chose.
    public let filter: (priority: UInt16, handle: UInt32)?
    let resources: LinkResources

    /// Attaches sched_cls `program` to `direction` of `interface`.
    ///
    /// - Throws: `BPFError.invalidArgument` for a program of another type;
    ///   the kernel's refusal with its explanation.
    public init(program: Program, interface: NetworkInterface, direction: TrafficControlDirection,
                mechanism: Mechanism = .automatic) throws(BPFError) {
        let target = "tc \(direction) of \(interface)"
        try program.requireType([.schedCLS], for: target)
        var chosen = mechanism
        if chosen == .automatic { chosen = Features.isSupported(.tcxLinks) ? .tcx : .netlink }
        if chosen == .tcx {
            let link = try Syscall.linkCreate(programFD: program.fd.rawValue, targetFD: interface.index,
                                              attachType: direction.tcxAttachType, object: "program '\(program.name)'")
            resources = LinkResources(descriptors: [])
            // Detached explicitly: a forked child that still holds the descriptor must not keep the program attached.
            resources.addCleanup {
                try? Syscall.linkDetach(linkFD: link.rawValue, object: target)
                link.close()
            }
            filter = nil
        } else {
            let added = try ClsactQdiscs.shared.attachFilter(program: program, interface: interface, direction: direction)
            resources = LinkResources(descriptors: [])
            resources.addCleanup {
                ClsactQdiscs.shared.detachFilter(interface: interface, direction: direction,
                                                 priority: added.priority, handle: added.handle)
            }
            filter = added
        }
        self.target = target
        self.interface = interface
        self.direction = direction
        self.mechanism = chosen
    }

    /// True once the program has been detached.
    public var isClosed: Bool { resources.isClosed }

    /// Detaches the program (and removes a clsact qdisc this process added, once unused). Calling it again does nothing.
    public func close() { resources.close() }

    deinit { resources.close() }
}

/// The clsact qdiscs this process added, with how many of its filters each
/// holds, so that the last filter to go removes the qdisc (and only a qdisc
/// this process added).
final class ClsactQdiscs: Sendable {
    static let shared = ClsactQdiscs()

    private struct Entry {
        var addedHere: Bool
        var filters: Int
    }

    private let entries = Mutex<[Int32: Entry]>([:])

    /// Adds the clsact qdisc if `interface` has none, then a direct-action
    /// filter running `program` at `direction`; the kernel picks the
    /// filter's priority and handle, which its echo reports.
    func attachFilter(program: Program, interface: NetworkInterface,
                      direction: TrafficControlDirection) throws(BPFError) -> (priority: UInt16, handle: UInt32) {
        try entries.withLock { (entries) throws(BPFError) -> (priority: UInt16, handle: UInt32) in
            let socket = try NetlinkSocket()
            defer { socket.close() }
            var entry = entries[interface.index] ?? Entry(addedHere: false, filters: 0)
            if entries[interface.index] == nil {
                do throws(BPFError) {
                    try socket.change(type: NetlinkMessageType.newQdisc, flags: [.create, .exclusive],
                                      payload: TrafficControlMessage.clsactQdisc(interfaceIndex: interface.index).encoded(),
                                      operation: "add clsact qdisc to", object: interface.description)
                    entry.addedHere = true
                } catch {
                    guard error.errno == EEXIST else { throw error }
                    entry.addedHere = false  // someone else's: it stays
                }
            }
            let request = TrafficControlMessage.bpfFilter(interfaceIndex: interface.index, parent: direction.clsactParent,
                                                          priority: 0, handle: 0, programFD: program.fd.rawValue,
                                                          programName: program.name)
            let echoed: [NetlinkMessage]
            do throws(BPFError) {
                echoed = try socket.change(type: NetlinkMessageType.newFilter, flags: [.create, .exclusive, .echo],
                                           payload: request.encoded(),
                                           operation: "attach tc program '\(program.name)' to", object: "\(direction) of \(interface)")
            } catch {
                if entry.filters == 0 && entry.addedHere { Self.removeQdisc(interface: interface, socket: socket) }
                throw error
            }
            guard let reply = echoed.first(where: { $0.type == NetlinkMessageType.newFilter }),
                  let added = try? TrafficControlMessage(decoding: reply.payload) else {
                throw .malformed(what: "netlink reply to adding a tc filter on \(interface)",
                                 detail: "the kernel did not echo the filter, so its handle is unknown")
            }
            entry.filters += 1
            entries[interface.index] = entry
            return (added.priority, added.handle)
        }
    }

    /// Deletes the filter; the last filter of this process on a qdisc it
    /// added removes the qdisc, unless other filters remain on it.
    func detachFilter(interface: NetworkInterface, direction: TrafficControlDirection, priority: UInt16, handle: UInt32) {
        entries.withLock { entries in
            guard let socket = try? NetlinkSocket() else { return }
            defer { socket.close() }
            let filter = TrafficControlMessage.filter(interfaceIndex: interface.index, parent: direction.clsactParent,
                                                      priority: priority, handle: handle)
            // ENOENT or ENODEV: the filter or the whole interface is gone already.
            _ = try? socket.change(type: NetlinkMessageType.deleteFilter, payload: filter.encoded(),
                                   operation: "detach tc filter from", object: "\(direction) of \(interface)")
            guard var entry = entries[interface.index] else { return }
            entry.filters -= 1
            if entry.filters > 0 {
                entries[interface.index] = entry
                return
            }
            entries[interface.index] = nil
            guard entry.addedHere else { return }
            let remaining = ((try? interface.filters(parent: TrafficControlHandle.ingress, socket: socket)) ?? [])
                + ((try? interface.filters(parent: TrafficControlHandle.egress, socket: socket)) ?? [])
            if remaining.isEmpty { Self.removeQdisc(interface: interface, socket: socket) }
        }
    }

    private static func removeQdisc(interface: NetworkInterface, socket: NetlinkSocket) {
        _ = try? socket.change(type: NetlinkMessageType.deleteQdisc,
                               payload: TrafficControlMessage.clsactQdisc(interfaceIndex: interface.index).encoded(),
                               operation: "remove clsact qdisc of", object: interface.description)
    }
}
