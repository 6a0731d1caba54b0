import BPFObject
import Netlink
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// XDP_FLAGS_* (linux/if_link.h): how an XDP program is attached.
public struct XDPFlags: OptionSet, Hashable, Sendable, CustomStringConvertible {
    /// The flag bits.
    public let rawValue: UInt32

    /// Wraps flag bits.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// XDP_FLAGS_UPDATE_IF_NOEXIST: fail if the interface already runs an XDP program.
    public static let updateIfNoExist = XDPFlags(rawValue: 1 << 0)
    /// XDP_FLAGS_SKB_MODE: generic XDP, run by the kernel after the driver built the skb.
    public static let generic = XDPFlags(rawValue: 1 << 1)
    /// XDP_FLAGS_DRV_MODE: native XDP, run by the driver.
    public static let driver = XDPFlags(rawValue: 1 << 2)
    /// XDP_FLAGS_HW_MODE: offloaded to the NIC.
    public static let offload = XDPFlags(rawValue: 1 << 3)
    /// XDP_FLAGS_REPLACE: replace only the program given as expected.
    public static let replace = XDPFlags(rawValue: 1 << 4)
    /// The mode bits: generic, driver and offload.
    public static let modes: XDPFlags = [.generic, .driver, .offload]

    /// "generic", "driver", "offload" or "default mode", plus the other flags.
    public var description: String {
        var words: [String] = []
        if contains(.generic) { words.append("generic") }
        if contains(.driver) { words.append("driver") }
        if contains(.offload) { words.append("offload") }
        if words.isEmpty { words.append("default mode") }
        if contains(.updateIfNoExist) { words.append("if none attached") }
        if contains(.replace) { words.append("replace") }
        return words.joined(separator: ", ")
    }
}

/// An XDP program attached to a network interface.
///
/// Where the kernel has them (Linux 5.9+), the attachment is a BPF link:
/// it ends when the link's descriptor closes, even if the process dies.
/// Otherwise, or when asked to, it is set over rtnetlink (IFLA_XDP), as
/// `ip link set dev X xdp` does, and `close()` detaches it over netlink
/// again, but only while this program is still the one attached.
public final class XDPLink: Link {
    /// How the program is attached.
    public enum Mechanism: String, Sendable {
        /// A BPF link where the kernel has them, else netlink; netlink also
        /// when the interface already runs a netlink-attached program that
        /// the attach replaces (no `.updateIfNoExist`), as bcc does.
        case automatic
        /// BPF_LINK_CREATE with BPF_XDP.
        case bpfLink
        /// RTM_SETLINK with IFLA_XDP.
        case netlink
    }

    /// "XDP on device NAME (mode)".
    public let target: String
    /// The interface.
    public let interface: NetworkInterface
    /// The mechanism used: `.bpfLink` or `.netlink`.
    public let mechanism: Mechanism
    /// The mode the program runs in: `.generic`, `.driver` or `.offload`.
    public let mode: XDPFlags
    let resources: LinkResources

    /// Attaches XDP `program` to `interface` with `flags` (the mode bits and
    /// `.updateIfNoExist`; `.replace` is not accepted: attach replaces unless
    /// `.updateIfNoExist` is given).
    ///
    /// - Throws: `BPFError.invalidArgument` for a non-XDP program or
    ///   `.replace`; the kernel's refusal, with its explanation (e.g. the
    ///   driver lacks native XDP, or another program is attached).
    public init(program: Program, interface: NetworkInterface, flags: XDPFlags = [], mechanism: Mechanism = .automatic) throws(BPFError) {
        let requested = flags.intersection(.modes)
        let object = "program '\(program.name)'"
        var target = "XDP on \(interface) (\(requested))"
        try program.requireType([.xdp], for: target)
        guard !flags.contains(.replace) else {
            throw .invalidArgument(operation: "attach", object: "\(object) to \(target)",
                                   detail: "XDP_FLAGS_REPLACE is not supported: attaching replaces unless updateIfNoExist is given")
        }
        guard requested.rawValue.nonzeroBitCount <= 1 else {
            throw .invalidArgument(operation: "attach", object: "\(object) to \(target)",
                                   detail: "give at most one mode of generic, driver and offload")
        }
        var chosen = mechanism
        if chosen == .automatic {
            chosen = Features.isSupported(.xdpLinks) ? .bpfLink : .netlink
            // bcc replaces a program attached before; a BPF link cannot, netlink can.
            if chosen == .bpfLink, !flags.contains(.updateIfNoExist), !(try interface.xdpState().programIDs.isEmpty) {
                chosen = .netlink
            }
        }
        let operation = "attach XDP \(object) to"
        switch chosen {
        case .bpfLink:
            let link: OwnedFD
            do throws(BPFError) {
                link = try Syscall.linkCreate(programFD: program.fd.rawValue, targetFD: interface.index, attachType: .xdp,
                                              flags: requested.rawValue, object: object)
            } catch {
                if error.errno == EBUSY {
                    throw .system(operation: operation, object: "\(interface) (it already runs an XDP program)", errno: EBUSY)
                }
                if case .invalidArgument = error {
                    throw .invalidArgument(operation: operation, object: interface.description, detail:
                        "the kernel refused the XDP link (the device may not support \(requested), or another mode is in use)")
                }
                throw error
            }
            resources = LinkResources(descriptors: [])
            // Detached explicitly: a forked child that still holds the descriptor must not keep the program attached.
            resources.addCleanup { [target] in
                try? Syscall.linkDetach(linkFD: link.rawValue, object: target)
                link.close()
            }
        default:
            let socket = try NetlinkSocket()
            defer { socket.close() }
            var netlinkFlags = requested
            if flags.contains(.updateIfNoExist) { netlinkFlags.insert(.updateIfNoExist) }
            try socket.change(type: NetlinkMessageType.setLink,
                              payload: LinkMessage.settingXDP(index: interface.index, programFD: program.fd.rawValue,
                                                              flags: netlinkFlags.rawValue).encoded(),
                              operation: operation, object: interface.description)
            resources = LinkResources(descriptors: [])
            resources.addCleanup { XDPLink.detachOverNetlink(program: program, interface: interface, mode: requested) }
        }
        // Where no mode was asked for, the kernel chose: driver if the driver has XDP, else generic.
        var mode = requested
        if mode.isEmpty, let state = try? interface.xdpState() {
            mode = state.genericProgramID == program.id ? .generic : .driver
        }
        if requested.isEmpty { target = "XDP on \(interface) (\(mode))" }
        self.target = target
        self.interface = interface
        self.mechanism = chosen
        self.mode = mode
    }

    /// True once the program has been detached.
    public var isClosed: Bool { resources.isClosed }

    /// Detaches the program. Calling it again does nothing.
    public func close() { resources.close() }

    deinit { resources.close() }

    /// Removes whatever XDP program runs on `interface` in the mode of
    /// `flags` (bcc's `remove_xdp`): RTM_SETLINK with no program.
    ///
    /// A program held by a BPF link is not removed this way (the kernel
    /// refuses); close its link instead.
    public static func detach(interface: NetworkInterface, flags: XDPFlags = []) throws(BPFError) {
        let socket = try NetlinkSocket()
        defer { socket.close() }
        try socket.change(type: NetlinkMessageType.setLink,
                          payload: LinkMessage.settingXDP(index: interface.index, programFD: -1,
                                                          flags: flags.intersection(.modes).rawValue).encoded(),
                          operation: "remove the XDP program of", object: interface.description)
    }

    /// Detaches `program` from `interface` only if it is still the one
    /// attached (XDP_FLAGS_REPLACE with the expected program, Linux 5.7+).
    /// Nothing to do when the interface is gone or runs another program now.
    private static func detachOverNetlink(program: Program, interface: NetworkInterface, mode: XDPFlags) {
        guard let socket = try? NetlinkSocket() else { return }
        defer { socket.close() }
        // Without a mode in the request the kernel means driver mode; find where the program runs.
        var flags = mode
        if flags.isEmpty, let state = try? interface.xdpState() {
            flags = state.genericProgramID == program.id ? .generic : state.hardwareProgramID == program.id ? .offload : .driver
        }
        let guarded = LinkMessage.settingXDP(index: interface.index, programFD: -1, flags: flags.union(.replace).rawValue,
                                             expectedProgramFD: program.fd.rawValue)
        do {
            try socket.change(type: NetlinkMessageType.setLink, payload: guarded.encoded(),
                              operation: "detach XDP program '\(program.name)' from", object: interface.description)
        } catch BPFError.invalidArgument {
            // EINVAL: a kernel without XDP_FLAGS_REPLACE; detach if the program is still ours.
            guard (try? interface.xdpState().programIDs.contains(program.id)) == true else { return }
            _ = try? socket.change(type: NetlinkMessageType.setLink,
                                   payload: LinkMessage.settingXDP(index: interface.index, programFD: -1, flags: flags.rawValue).encoded(),
                                   operation: "detach XDP program '\(program.name)' from", object: interface.description)
        } catch {
            // ENODEV (the interface is gone) or EEXIST (another program replaced ours): nothing of ours to detach.
        }
    }
}
