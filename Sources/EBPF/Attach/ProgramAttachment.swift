import BPFObject
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A program attached to a kernel object that holds it: with BPF_PROG_ATTACH
/// to a sockmap or sockhash (sk_skb stream parser and verdict, sk_msg
/// verdict) or another descriptor, detached by `close()` with
/// BPF_PROG_DETACH; or a flow dissector on a network namespace, held by a
/// BPF link that `close()` closes.
public final class ProgramAttachment: Link {
    /// "sk_msg_verdict on sock hash map 'socks'".
    public let target: String
    /// The attach type.
    public let attachType: AttachType
    let resources: LinkResources

    /// Attaches `program` to map `map` at `attachType` (`.skSKBStreamParser`,
    /// `.skSKBStreamVerdict`, `.skSKBVerdict`, `.skMsgVerdict`).
    public convenience init(program: Program, map: Map, attachType: AttachType) throws(BPFError) {
        guard map.type == .sockMap || map.type == .sockHash else {
            throw .invalidArgument(operation: "attach \(attachType) program '\(program.name)' to", object: map.objectName,
                                           detail: "programs attach to sock map and sock hash maps only")
        }
        try self.init(program: program, targetFD: map.fd.rawValue, keepAlive: map, target: map.objectName, attachType: attachType)
    }

    /// Attaches flow dissector `program` to a network namespace: the one at
    /// `namespacePath` (a /proc/PID/ns/net or /run/netns/NAME file), by
    /// default the calling thread's. A BPF link on the namespace (Linux 5.8+):
    /// it holds while this attachment is open.
    public convenience init(flowDissector program: Program, namespacePath: String = "/proc/thread-self/ns/net") throws(BPFError) {
        try program.requireType([.flowDissector], for: "the flow dissector of \(namespacePath)")
        let namespace = open(namespacePath, O_RDONLY | O_CLOEXEC)
        guard namespace >= 0 else {
            if errno == ENOENT { throw .notFound(what: "network namespace \(namespacePath)") }
            throw .system(operation: "open", object: "network namespace \(namespacePath)", errno: errno)
        }
        let namespaceFD = OwnedFD(rawValue: namespace)
        defer { namespaceFD.close() }
        let link = try Syscall.linkCreate(programFD: program.fd.rawValue, targetFD: namespace, attachType: .flowDissector,
                                          object: "program '\(program.name)'")
        self.init(target: "flow_dissector of network namespace \(namespacePath)", attachType: .flowDissector,
                  resources: LinkResources(descriptors: [link]))
    }

    private init(target: String, attachType: AttachType, resources: LinkResources) {
        self.target = target
        self.attachType = attachType
        self.resources = resources
    }

    /// Attaches `program` to `targetFD` at `attachType` (BPF_PROG_ATTACH);
    /// `keepAlive` holds the target's descriptor open until the detach, where
    /// this attachment owns it. `target` names it in errors.
    public init(program: Program, targetFD: Int32, keepAlive: (AnyObject & Sendable)? = nil, target: String,
                attachType: AttachType) throws(BPFError) {
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
