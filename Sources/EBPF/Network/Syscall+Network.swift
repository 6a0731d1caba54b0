import BPFObject
import CBPF
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// bpf(2) commands for the attach points that are not links: a program
// attached to a sockmap or a network namespace with BPF_PROG_ATTACH, and
// the query of what is attached to a hook.
extension Syscall {
    /// BPF_PROG_ATTACH: attaches `programFD` to `targetFD` (a sockmap, a
    /// network namespace, a cgroup) at `attachType`.
    package static func progAttach(programFD: Int32, targetFD: Int32, attachType: AttachType, flags: UInt32 = 0,
                                  object: String) throws(BPFError) {
        var attr = bpf_attr()
        attr.target_fd = UInt32(bitPattern: targetFD)
        attr.attach_bpf_fd = UInt32(bitPattern: programFD)
        attr.attach_type = attachType.rawValue
        attr.attach_flags = flags
        do {
            _ = try bpf(BPF_PROG_ATTACH, &attr)
        } catch {
            if error.rawValue == EEXIST || error.rawValue == EBUSY {
                throw BPFError.invalidArgument(operation: "attach \(attachType) program", object: object,
                                               detail: "another program is attached there already (\(error))")
            }
            throw error.error(operation: "attach \(attachType) program", object: object, invalidDetail:
                "the kernel refused the program type, target or attach type (EINVAL)")
        }
    }

    /// BPF_PROG_DETACH: detaches `programFD` from `targetFD` at `attachType`.
    package static func progDetach(programFD: Int32, targetFD: Int32, attachType: AttachType, object: String) throws(BPFError) {
        var attr = bpf_attr()
        attr.target_fd = UInt32(bitPattern: targetFD)
        attr.attach_bpf_fd = UInt32(bitPattern: programFD)
        attr.attach_type = attachType.rawValue
        do {
            _ = try bpf(BPF_PROG_DETACH, &attr)
        } catch {
            if error.rawValue == ENOENT { throw BPFError.notFound(what: "\(attachType) program attached to \(object)") }
            throw error.error(operation: "detach \(attachType) program", object: object)
        }
    }

    /// BPF_PROG_QUERY: the ids of the programs attached to `target` (a
    /// descriptor, or for tcx an interface index) at `attachType`.
    package static func progQuery(target: Int32, attachType: AttachType, object: String) throws(BPFError) -> [UInt32] {
        var capacity = 16
        while true {
            var ids = [UInt32](repeating: 0, count: capacity)
            var attr = bpf_attr()
            let outcome: Result<Void, Errno> = ids.withUnsafeMutableBufferPointer { buffer in
                attr.query.target_fd = UInt32(bitPattern: target)
                attr.query.attach_type = attachType.rawValue
                attr.query.prog_ids = address(buffer.baseAddress)
                attr.query.prog_cnt = UInt32(buffer.count)
                return Result { () throws(Errno) in _ = try bpf(BPF_PROG_QUERY, &attr) }
            }
            switch outcome {
            case .success:
                return Array(ids.prefix(Int(attr.query.prog_cnt)))
            case .failure(let error) where error.rawValue == ENOSPC && capacity < 65536:
                capacity *= 16
            case .failure(let error):
                throw error.error(operation: "query \(attachType) programs of", object: object)
            }
        }
    }
}
