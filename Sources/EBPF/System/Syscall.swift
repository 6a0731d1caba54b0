import BPFObject
import CBPF
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Thin wrappers over bpf(2), one per command the project uses.
///
/// Every wrapper retries EINTR (and EAGAIN for PROG_LOAD, which the verifier
/// returns when it is interrupted), and every descriptor the kernel returns is
/// handed to an `OwnedFD` at once. The `object` parameters name the map,
/// program or link for error messages.
package enum Syscall {
    // MARK: - Raw

    /// Calls bpf(2) with `attr`, retrying EINTR (and EAGAIN for PROG_LOAD, a
    /// few times). Returns the kernel's non-negative result or throws its errno.
    package static func bpf(_ command: bpf_cmd, _ attr: inout bpf_attr) throws(Errno) -> Int32 {
        var verifierRetries = 0
        while true {
            do {
                return try Errno.retryingInterrupts {
                    cbpf_bpf(Int32(command.rawValue), &attr, UInt32(MemoryLayout<bpf_attr>.size))
                }
            } catch {
                guard error.rawValue == EAGAIN, command == BPF_PROG_LOAD, verifierRetries < maximumVerifierRetries else {
                    throw error
                }
                verifierRetries += 1
            }
        }
    }

    /// How often an interrupted verification (EAGAIN) is retried, as libbpf does.
    static let maximumVerifierRetries = 5

    /// Calls a bpf(2) command that returns a new descriptor and takes ownership of it.
    package static func bpfDescriptor(_ command: bpf_cmd, _ attr: inout bpf_attr) throws(Errno) -> OwnedFD {
        adopt(try bpf(command, &attr))
    }

    /// Takes ownership of a descriptor a system call returned. Descriptor 0
    /// means "no descriptor" in several bpf_attr fields, so a 0 is moved to a
    /// higher number first.
    package static func adopt(_ fd: Int32) -> OwnedFD {
        guard fd == 0 else { return OwnedFD(rawValue: fd) }
        let moved = fcntl(fd, F_DUPFD_CLOEXEC, 1)
        if moved < 0 { return OwnedFD(rawValue: fd) }
        _ = close(fd)
        return OwnedFD(rawValue: moved)
    }

    // MARK: - Maps

    /// BPF_MAP_CREATE.
    package static func mapCreate(_ attr: inout bpf_attr, object: String) throws(BPFError) -> OwnedFD {
        do {
            return try bpfDescriptor(BPF_MAP_CREATE, &attr)
        } catch {
            throw error.error(operation: "create", object: object, invalidDetail:
                "the kernel rejected the map's type, sizes or flags (EINVAL)")
        }
    }

    /// BPF_MAP_LOOKUP_ELEM: copies the value of `key` into `value`; with
    /// `deleting`, BPF_MAP_LOOKUP_AND_DELETE_ELEM, which also removes it (a
    /// NULL key takes a queue's or stack's next value). Returns false when
    /// the key does not exist (or the queue is empty).
    package static func mapLookup(fd: Int32, key: UnsafeRawPointer?, value: UnsafeMutableRawPointer,
                                  flags: UInt64 = 0, deleting: Bool = false, object: String) throws(BPFError) -> Bool {
        var attr = bpf_attr()
        attr.map_fd = UInt32(bitPattern: fd)
        attr.key = address(key)
        attr.value = address(value)
        attr.flags = flags
        return deleting
            ? try elementCall(BPF_MAP_LOOKUP_AND_DELETE_ELEM, &attr, operation: "lookup and delete in", object: object)
            : try elementCall(BPF_MAP_LOOKUP_ELEM, &attr, operation: "lookup in", object: object)
    }

    /// BPF_MAP_UPDATE_ELEM with BPF_ANY, BPF_NOEXIST or BPF_EXIST in `flags`.
    package static func mapUpdate(fd: Int32, key: UnsafeRawPointer?, value: UnsafeRawPointer,
                                 flags: UInt64, object: String) throws(BPFError) {
        var attr = bpf_attr()
        attr.map_fd = UInt32(bitPattern: fd)
        attr.key = address(key)
        attr.value = address(value)
        attr.flags = flags
        do {
            _ = try bpf(BPF_MAP_UPDATE_ELEM, &attr)
        } catch {
            switch error.rawValue {
            case EEXIST: throw BPFError.invalidArgument(operation: "update", object: object,
                                                        detail: "the key already exists (BPF_NOEXIST)")
            case ENOENT: throw BPFError.notFound(what: "key to update (BPF_EXIST) in \(object)")
            case E2BIG: throw BPFError.invalidArgument(operation: "update", object: object,
                                                       detail: "the map is full")
            default: throw error.error(operation: "update", object: object, invalidDetail:
                "the kernel rejected the key, value or flags (EINVAL)")
            }
        }
    }

    /// BPF_MAP_DELETE_ELEM. Returns false when the key does not exist.
    package static func mapDelete(fd: Int32, key: UnsafeRawPointer?, object: String) throws(BPFError) -> Bool {
        var attr = bpf_attr()
        attr.map_fd = UInt32(bitPattern: fd)
        attr.key = address(key)
        return try elementCall(BPF_MAP_DELETE_ELEM, &attr, operation: "delete from", object: object)
    }

    /// BPF_MAP_GET_NEXT_KEY: writes the key after `key` (the first key when
    /// `key` is nil) into `nextKey`. Returns false after the last key.
    package static func mapGetNextKey(fd: Int32, key: UnsafeRawPointer?, nextKey: UnsafeMutableRawPointer,
                                     object: String) throws(BPFError) -> Bool {
        var attr = bpf_attr()
        attr.map_fd = UInt32(bitPattern: fd)
        attr.key = address(key)
        attr.next_key = address(nextKey)
        return try elementCall(BPF_MAP_GET_NEXT_KEY, &attr, operation: "iterate keys of", object: object)
    }

    /// BPF_MAP_FREEZE: no more writes from user space.
    package static func mapFreeze(fd: Int32, object: String) throws(BPFError) {
        var attr = bpf_attr()
        attr.map_fd = UInt32(bitPattern: fd)
        do {
            _ = try bpf(BPF_MAP_FREEZE, &attr)
        } catch {
            throw error.error(operation: "freeze", object: object)
        }
    }

    // MARK: - Pinning

    /// BPF_OBJ_PIN: pins the map, program or link `fd` at `path` in a BPF filesystem.
    package static func objectPin(fd: Int32, path: String, object: String) throws(BPFError) {
        var attr = bpf_attr()
        attr.bpf_fd = UInt32(bitPattern: fd)
        let result = path.withCString { cPath in
            attr.pathname = address(cPath)
            return Result { () throws(Errno) in try bpf(BPF_OBJ_PIN, &attr) }
        }
        guard case let .failure(error) = result else { return }
        switch error.rawValue {
        case EEXIST: throw BPFError.invalidArgument(operation: "pin", object: object, detail: "\(path) already exists")
        case ENOENT: throw BPFError.notFound(what: "directory of pin path \(path)")
        case EPERM where !isInBPFFilesystem(path):
            throw BPFError.invalidArgument(operation: "pin", object: object,
                                           detail: "\(path) is not in a BPF filesystem (mount one: mount -t bpf bpf /sys/fs/bpf)")
        default: throw error.error(operation: "pin at \(path)", object: object)
        }
    }

    /// BPF_OBJ_GET: a descriptor for the object pinned at `path`.
    package static func objectGet(path: String, object: String) throws(BPFError) -> OwnedFD {
        var attr = bpf_attr()
        let result = path.withCString { cPath in
            attr.pathname = address(cPath)
            return Result { () throws(Errno) in try bpfDescriptor(BPF_OBJ_GET, &attr) }
        }
        switch result {
        case let .success(fd): return fd
        case let .failure(error) where error.rawValue == ENOENT: throw BPFError.notFound(what: "\(object) pinned at \(path)")
        case let .failure(error): throw error.error(operation: "open pinned \(path)", object: object)
        }
    }

    /// True when `path` lies under a mounted BPF filesystem (/proc/mounts).
    static func isInBPFFilesystem(_ path: String) -> Bool {
        guard let mounts = try? SysFile.read("/proc/mounts") else { return false }
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 2, fields[2] == "bpf" else { continue }
            let mountPoint = String(fields[1])
            if path == mountPoint || path.hasPrefix(mountPoint.hasSuffix("/") ? mountPoint : mountPoint + "/") { return true }
        }
        return false
    }

    // MARK: - Programs and BTF

    /// BPF_PROG_LOAD. The errno is left raw: `Program` retries with a verifier
    /// log and turns it into an error that carries the log.
    package static func progLoad(_ attr: inout bpf_attr) throws(Errno) -> OwnedFD {
        try bpfDescriptor(BPF_PROG_LOAD, &attr)
    }

    /// BPF_BTF_LOAD: loads raw BTF (header, types, strings). On failure it
    /// loads again with a log, growing the buffer until the log fits, and the
    /// error carries the log.
    package static func btfLoad(_ bytes: [UInt8], object: String = "BTF") throws(BPFError) -> OwnedFD {
        let first: Result<OwnedFD, Errno> = bytes.withUnsafeBytes { buffer in
            var attr = btfAttributes(buffer)
            return Result { () throws(Errno) in try bpfDescriptor(BPF_BTF_LOAD, &attr) }
        }
        switch first {
        case .success(let fd): return fd
        case .failure(let error) where error.rawValue == EPERM:
            throw BPFError.permissionDenied(operation: "load \(object)")
        case .failure: break
        }
        var logSize = 64 * 1024
        while true {
            var log = [CChar](repeating: 0, count: logSize)
            let outcome: Result<OwnedFD, Errno> = bytes.withUnsafeBytes { buffer in
                log.withUnsafeMutableBufferPointer { logBuffer in
                    var attr = btfAttributes(buffer)
                    attr.btf_log_buf = address(logBuffer.baseAddress)
                    attr.btf_log_size = UInt32(logSize)
                    attr.btf_log_level = 1
                    return Result { () throws(Errno) in try bpfDescriptor(BPF_BTF_LOAD, &attr) }
                }
            }
            switch outcome {
            case .success(let fd):
                return fd
            case .failure(let error) where error.rawValue == ENOSPC && logSize < maximumLogSize:
                logSize *= 4
            case .failure(let error):
                let text = logText(log)
                if text.isEmpty { throw error.error(operation: "load", object: object) }
                throw BPFError.malformed(what: object, detail: "the kernel rejected it (\(error)):\n\(text)")
            }
        }
    }

    /// BPF_PROG_TEST_RUN with `attr.test` filled in by the caller.
    package static func progTestRun(_ attr: inout bpf_attr, object: String) throws(BPFError) {
        do {
            _ = try bpf(BPF_PROG_TEST_RUN, &attr)
        } catch {
            if error.rawValue == ENOTSUP || error.rawValue == BPFError.kernelENOTSUPP {
                throw BPFError.notSupported(feature: "BPF_PROG_TEST_RUN for \(object)",
                                            requirement: "a kernel with test runs for this program type")
            }
            throw error.error(operation: "test run", object: object, invalidDetail:
                "the kernel rejected the input data, context or repeat count (EINVAL)")
        }
    }

    /// BPF_OBJ_GET_INFO_BY_FD into `buffer` (a bpf_prog_info, bpf_map_info,
    /// bpf_btf_info or bpf_link_info). Returns the number of bytes the kernel filled.
    package static func objectInfo(fd: Int32, into buffer: UnsafeMutableRawBufferPointer, object: String) throws(BPFError) -> Int {
        var attr = bpf_attr()
        attr.info.bpf_fd = UInt32(bitPattern: fd)
        attr.info.info_len = UInt32(buffer.count)
        attr.info.info = address(buffer.baseAddress)
        do {
            _ = try bpf(BPF_OBJ_GET_INFO_BY_FD, &attr)
        } catch {
            throw error.error(operation: "get info of", object: object)
        }
        return Int(attr.info.info_len)
    }

    // MARK: - Attachment

    /// BPF_RAW_TRACEPOINT_OPEN: attaches `programFD` to the raw tracepoint
    /// `name` (nil for programs whose attach target was fixed at load, such as
    /// fentry and BTF-enabled raw tracepoints). Returns the link.
    package static func rawTracepointOpen(programFD: Int32, name: String?, object: String) throws(BPFError) -> OwnedFD {
        func open(_ namePointer: UnsafePointer<CChar>?) -> Result<OwnedFD, Errno> {
            var attr = bpf_attr()
            attr.raw_tracepoint.name = address(namePointer)
            attr.raw_tracepoint.prog_fd = UInt32(bitPattern: programFD)
            return Result { () throws(Errno) in try bpfDescriptor(BPF_RAW_TRACEPOINT_OPEN, &attr) }
        }
        let outcome = name.map { $0.withCString { open($0) } } ?? open(nil)
        switch outcome {
        case .success(let fd):
            return fd
        case .failure(let error):
            if error.rawValue == ENOENT { throw BPFError.notFound(what: "raw tracepoint '\(name ?? "")' for \(object)") }
            throw error.error(operation: "attach raw tracepoint", object: object)
        }
    }

    /// BPF_LINK_CREATE: links `programFD` to `targetFD` (a perf event, cgroup,
    /// BTF object, ...) for `attachType`. `configure` fills the attach-specific
    /// part of `attr.link_create` (a perf event's bpf_cookie, kprobe-multi
    /// symbols, ...).
    package static func linkCreate(programFD: Int32, targetFD: Int32, attachType: AttachType, flags: UInt32 = 0,
                                  object: String, configure: (inout bpf_attr) -> Void = { _ in }) throws(BPFError) -> OwnedFD {
        var attr = bpf_attr()
        attr.link_create.prog_fd = UInt32(bitPattern: programFD)
        attr.link_create.target_fd = UInt32(bitPattern: targetFD)
        attr.link_create.attach_type = attachType.rawValue
        attr.link_create.flags = flags
        configure(&attr)
        do {
            return try bpfDescriptor(BPF_LINK_CREATE, &attr)
        } catch {
            throw error.error(operation: "create \(attachType) link for", object: object)
        }
    }

    /// Detaches a link from its hook now (BPF_LINK_DETACH), even while other
    /// processes still hold a copy of its descriptor (a child between fork
    /// and exec does). Links of kinds that cannot detach early report EOPNOTSUPP.
    package static func linkDetach(linkFD: Int32, object: String) throws(BPFError) {
        var attr = bpf_attr()
        attr.link_detach.link_fd = UInt32(bitPattern: linkFD)
        do {
            _ = try bpf(BPF_LINK_DETACH, &attr)
        } catch {
            throw error.error(operation: "detach link of", object: object)
        }
    }

    // MARK: - Helpers

    /// A pointer as the __aligned_u64 bpf_attr expects.
    @inline(__always)
    static func address(_ pointer: UnsafeRawPointer?) -> UInt64 {
        UInt64(UInt(bitPattern: pointer))
    }

    /// The largest verifier or BTF log we ask for (the kernel caps log_size at UINT32_MAX >> 2).
    static let maximumLogSize = 1 << 28

    /// The text of a log buffer up to its terminating zero.
    static func logText(_ log: [CChar]) -> String {
        log.withUnsafeBufferPointer { buffer in
            let bytes = UnsafeRawBufferPointer(buffer)
            let end = bytes.firstIndex(of: 0) ?? bytes.count
            return String(decoding: bytes[..<end], as: UTF8.self)
        }
    }

    private static func btfAttributes(_ buffer: UnsafeRawBufferPointer) -> bpf_attr {
        var attr = bpf_attr()
        attr.btf = address(buffer.baseAddress)
        attr.btf_size = UInt32(buffer.count)
        return attr
    }

    /// Runs an element command where ENOENT means "no such key" rather than failure.
    private static func elementCall(_ command: bpf_cmd, _ attr: inout bpf_attr,
                                    operation: String, object: String) throws(BPFError) -> Bool {
        do {
            _ = try bpf(command, &attr)
            return true
        } catch {
            if error.rawValue == ENOENT { return false }
            throw error.error(operation: operation, object: object, invalidDetail:
                "the kernel rejected the key or value (EINVAL)")
        }
    }
}
