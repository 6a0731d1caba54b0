import BPFObject
import EBPF

// bcc's attach_func and detach_func: programs held by a sockmap or sockhash
// (sk_skb, sk_msg), by a network namespace (flow dissector) or by another
// descriptor (cgroups).
extension BPF {
    /// Attaches function `fnName` to sockmap or sockhash table `table` at
    /// `attachType` (`.skMsgVerdict`, `.skSKBStreamVerdict`,
    /// `.skSKBStreamParser`, `.skSKBVerdict`), loading it with the program
    /// type that attach type takes (bcc's `attach_func(fn, map_fd, type)`).
    /// Sockets added to the table afterwards run it.
    public func attachFunc(fnName: String, table: String, attachType: AttachType) throws(BCCError) {
        let map = try self.table(table).map
        let program = try functionProgram(fnName, attachType: attachType, target: "table '\(table)'")
        let key = AttachmentKey(network: "\(attachType)", target: "table \(table)", function: fnName)
        try adopt(key) { () throws(BCCError) -> any Link in
            try BCCError.wrapping("attach \(fnName) to", key.target) {
                try ProgramAttachment(program: program, map: map, attachType: attachType)
            }
        }
    }

    /// Attaches function `fnName` to descriptor `attachableFD` at
    /// `attachType` (bcc's `attach_func(fn, fd, type)`): for `.flowDissector`,
    /// `attachableFD` 0 means the calling thread's network namespace (as in
    /// bcc) and otherwise is a network namespace descriptor; for other attach
    /// types (cgroup hooks) it is the target's descriptor, which the caller keeps open.
    public func attachFunc(fnName: String, attachableFD: Int32, attachType: AttachType) throws(BCCError) {
        let program = try functionProgram(fnName, attachType: attachType, target: "descriptor \(attachableFD)")
        let key = AttachmentKey(network: "\(attachType)", target: "descriptor \(attachableFD)", function: fnName)
        try adopt(key) { () throws(BCCError) -> any Link in
            try BCCError.wrapping("attach \(fnName) to", key.target) {
                if attachType == .flowDissector {
                    return try ProgramAttachment(flowDissector: program, namespacePath: attachableFD == 0
                        ? "/proc/thread-self/ns/net" : "/proc/self/fd/\(attachableFD)")
                }
                return try ProgramAttachment(program: program, targetFD: attachableFD, target: "descriptor \(attachableFD)",
                                             attachType: attachType)
            }
        }
    }

    /// Detaches function `fnName` from table `table` at `attachType` (bcc's `detach_func`).
    public func detachFunc(fnName: String, table: String, attachType: AttachType) throws(BCCError) {
        try detach(AttachmentKey(network: "\(attachType)", target: "table \(table)", function: fnName))
    }

    /// Detaches function `fnName` from descriptor `attachableFD` at `attachType`.
    public func detachFunc(fnName: String, attachableFD: Int32, attachType: AttachType) throws(BCCError) {
        try detach(AttachmentKey(network: "\(attachType)", target: "descriptor \(attachableFD)", function: fnName))
    }

    /// The program of `fnName` with the type `attachType` takes.
    private func functionProgram(_ fnName: String, attachType: AttachType, target: String) throws(BCCError) -> Program {
        guard let type = ProgramAttachment.programType(for: attachType) else {
            throw .invalidUse(object: "attachFunc(\(fnName))", detail: "attach type \(attachType) is not one attachFunc knows (sk_skb, sk_msg, flow dissector, sock_ops)")
        }
        return try program(fnName, as: type, expectedAttachType: attachType, for: "\(attachType) of \(target)")
    }
}
