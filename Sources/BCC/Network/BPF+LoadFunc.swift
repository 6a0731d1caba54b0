import BPFObject
import EBPF

// bcc's load_func, and the program a network attach needs: a function's
// context decides its program type where it can (`struct xdp_md *` is XDP,
// `struct sk_msg_md *` sk_msg); a `struct __sk_buff *` function is a socket
// filter, tc classifier, sk_skb or flow dissector program by how it is
// attached, so it is loaded by the attach (or loadFunc) with that type.
extension BPF {
    /// Function `name` loaded as a program of `type` (bcc's
    /// `load_func(name, type)`), with `expectedAttachType` where the type
    /// needs one (sk_skb stream parser or verdict, cgroup hooks). Loaded once
    /// per type and closed with the object; a function already loaded with
    /// this type is returned as it is.
    ///
    /// - Throws: ``BCCError/functionNotFound(name:available:)``; the
    ///   verifier's rejection for this type, showing the user's lines.
    @discardableResult
    public func loadFunc(_ name: String, _ type: ProgramType, expectedAttachType: AttachType? = nil) throws(BCCError) -> Program {
        guard functions.contains(where: { $0.name == name }) else {
            throw .functionNotFound(name: name, available: functions.map(\.name))
        }
        do {
            return try object.loadProgram(named: name, type: type, expectedAttachType: expectedAttachType)
        } catch BPFError.verifierRejected(let program, let log) {
            throw .kernel(operation: "load", object: "function '\(name)' as a \(type) program",
                          cause: .verifierRejected(program: program, log: verifierLogSource.mapped(log)))
        } catch {
            throw .kernel("load function '\(name)' as a \(type) program of", fileName, error)
        }
    }

    /// The program of `fnName` for an attach to `target` that needs `type`:
    /// the one loaded with the object when its context already made it one,
    /// else loaded now (`loadFunc`).
    func program(_ fnName: String, as type: ProgramType, expectedAttachType: AttachType? = nil,
                 for target: String) throws(BCCError) -> Program {
        guard let function = functions.first(where: { $0.name == fnName }) else {
            throw .functionNotFound(name: fnName, available: functions.map(\.name))
        }
        if !function.loadsOnAttach, let own = object.spec.program(named: fnName)?.section.programType, own != type {
            throw .invalidUse(object: "function '\(fnName)'",
                              detail: "is a \(own) program (its context parameter makes it one); \(target) needs a \(type) program")
        }
        return try loadFunc(fnName, type, expectedAttachType: expectedAttachType)
    }

    /// For ``function(named:)``: a `struct __sk_buff *` function's program
    /// when an attach loaded it with exactly one type; nil for other functions.
    func loadedOnAttach(_ name: String) throws(BCCError) -> Program? {
        guard let function = functions.first(where: { $0.name == name }), function.loadsOnAttach else { return nil }
        let loaded = object.laterPrograms.filter { $0.name == name }.map(\.program)
        if loaded.count == 1 { return loaded[0] }
        throw .invalidUse(object: "function '\(name)'", detail: loaded.isEmpty
            ? "takes a struct __sk_buff *, so its program type depends on how it is attached: attach it, or load it with loadFunc(\"\(name)\", type)"
            : "is loaded as \(loaded.map { "a \($0.type)" }.joined(separator: " and ")) program; loadFunc(\"\(name)\", type) picks one")
    }

    /// The network interface `dev` of the calling thread's namespace.
    func networkInterface(_ dev: String) throws(BCCError) -> NetworkInterface {
        try BCCError.wrapping("find", "network device '\(dev)'") { try NetworkInterface(name: dev) }
    }
}

extension AttachmentKey {
    /// A network attach point: `kind` ("xdp", "tc ingress", "raw socket", ...) at `target` (a device, a table).
    init(network kind: String, target: String, function: String) {
        point = .network(kind: kind, target: target)
        self.function = function
    }

    /// The network kind and target, for keys of network attachments.
    var network: (kind: String, target: String)? {
        guard case let .network(kind, target) = point else { return nil }
        return (kind, target)
    }
}
