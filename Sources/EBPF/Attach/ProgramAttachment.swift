import BPFObject
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A program attached with BPF_PROG_ATTACH to a kernel object that holds
/// it: a sockmap or sockhash (sk_skb stream parser and verdict, sk_msg
/// verdict) or the network namespace (flow dissector). `close()` detaches
/// it with BPF_PROG_DETACH.
public final class ProgramAttachment: Link {
    /// "sk_msg_verdict on sock hash map 'socks'".
    public let target: String
    /// The attach type.
    public let attachType: AttachType
    let resources: LinkResources

    /// Attaches `program` to map `map` at `attachType` (`.skSKBStreamParser`,
    /// `.skSKBStreamVerdict`, `.skSKBVerdict`, `.skMsgVerdict`).
    public convenience init(program: Program, map: Map, attachType: AttachType) throws {
        guard map.type == .sockMap || map.type == .sockHash else {
            throw BPFError.invalidArgument(operation: "attach \(attachType) program '\(program.name)' to", object: map.objectName,
                                           detail: "programs attach to sock map and sock hash maps only")
        }
        try self.init(program: program, targetFD: map.fd.rawValue, keepAlive: map, target: map.objectName, attachType: attachType)
    }

    /// Attaches flow dissector `program` to the calling thread's network namespace.
    public convenience init(flowDissector program: Program) throws {
        let namespace = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        guard namespace >= 0 else {
            throw BPFError.system(operation: "open", object: "/proc/thread-self/ns/net", errno: errno)
        }
        let owned = OwnedFD(rawValue: namespace)
        try self.init(program: program, targetFD: namespace, keepAlive: owned, target: "network namespace",
                      attachType: .flowDissector)
    }

    /// Attaches `program` to `targetFD` at `attachType`; `keepAlive` holds the target's descriptor.
    public init(program: Program, targetFD: Int32, keepAlive: AnyObject & Sendable, target: String,
                attachType: AttachType) throws {
        let expected = Self.programType(for: attachType)
        if let expected { try program.requireType([expected], for: "\(attachType) of \(target)") }
        let object = "'\(program.name)' to \(target)"
        try Syscall.progAttach(programFD: program.fd.rawValue, targetFD: targetFD, attachType: attachType, object: object)
        self.target = "\(attachType) of \(target)"
        self.attachType = attachType
        resources = LinkResources(descriptors: [])
        resources.addCleanup {
            _ = try? Syscall.progDetach(programFD: program.fd.rawValue, targetFD: targetFD, attachType: attachType, object: object)
            withExtendedLifetime(keepAlive) {}
        }
    }

    /// The program type an attach type takes, where it is one.
    public static func programType(for attachType: AttachType) -> ProgramType? {
        switch attachType {
        case .skSKBStreamParser, .skSKBStreamVerdict, .skSKBVerdict: return .skSKB
        case .skMsgVerdict: return .skMsg
        case .flowDissector: return .flowDissector
        case .cgroupSockOps: return .sockOps
        default: return nil
        }
    }

    /// True once the program has been detached.
    public var isClosed: Bool { resources.isClosed }

    /// Detaches the program. Calling it again does nothing.
    public func close() { resources.close() }

    deinit { resources.close() }
}
