import BPFObject
import CBPF
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Probes of what the running kernel supports, each run once and cached.
///
/// A probe makes the smallest request that needs the feature. Only
/// conclusive answers are cached: a probe that fails for lack of privilege
/// throws `.permissionDenied` and runs again next time.
public enum Features {
    /// Throws `BPFError.notSupported` naming the feature and the kernel
    /// version or configuration that brings it, when the kernel lacks `feature`.
    public static func require(_ feature: Feature) throws(BPFError) {
        if let cached = cache.withLock({ $0[feature] }) {
            return try cached.get()
        }
        // A probe throws only when it lacked privileges: that answer is not cached.
        let outcome: Result<Void, BPFError> = try probe(feature)
            ? .success(()) : .failure(.notSupported(feature: feature.description, requirement: feature.requirement))
        cache.withLock { $0[feature] = outcome }
        try outcome.get()
    }

    /// True when the kernel supports `feature` (false also when the probe lacked privileges).
    public static func isSupported(_ feature: Feature) -> Bool {
        (try? require(feature)) != nil
    }

    /// The perf event type of the kprobe or uprobe PMU, for perf_event_attr.type.
    public static func pmuType(_ feature: Feature) throws(BPFError) -> UInt32 {
        let device = try pmuDevice(feature)
        try require(feature)
        let path = "/sys/bus/event_source/devices/\(device)/type"
        guard let text = try? SysFile.read(path), let type = UInt32(text.trimmingWhitespace()) else {
            throw BPFError.malformed(what: path, detail: "expected a perf event type number")
        }
        return type
    }

    /// The bit of perf_event_attr.config that makes a kprobe or uprobe a return probe
    /// (from the PMU's format/retprobe file, "config:0").
    public static func retprobeBit(_ feature: Feature) throws(BPFError) -> Int {
        let device = try pmuDevice(feature)
        try require(feature)
        let path = "/sys/bus/event_source/devices/\(device)/format/retprobe"
        guard let text = (try? SysFile.read(path))?.trimmingWhitespace(), text.hasPrefix("config:"),
              let bit = Int(text.dropFirst("config:".count)), (0..<64).contains(bit) else {
            throw BPFError.malformed(what: path, detail: "expected 'config:N'")
        }
        return bit
    }

    // MARK: - Probes

    private static let cache = Mutex<[Feature: Result<Void, BPFError>]>([:])

    private static func pmuDevice(_ feature: Feature) throws(BPFError) -> String {
        switch feature {
        case .kprobePMU: return "kprobe"
        case .uprobePMU: return "uprobe"
        default:
            throw BPFError.invalidArgument(operation: "read PMU of", object: "\(feature)", detail: "not a PMU feature")
        }
    }

    /// True if supported, false if conclusively not; throws when privileges are missing.
    private static func probe(_ feature: Feature) throws(BPFError) -> Bool {
        switch feature {
        case .ringBuffer:
            let page = Int(sysconf(Int32(_SC_PAGESIZE)))
            return try conclusive {
                _ = try Map(type: .ringBuffer, name: "probe_ringbuf", keySize: 0, valueSize: 0, maxEntries: page)
            }
        case .btfLoad:
            return try conclusive { _ = try Syscall.btfLoad(minimalBTF, object: "probe BTF") }
        case .rawTracepoints:
            return try conclusive {
                _ = try Program(type: .rawTracepoint, instructions: [.mov(.r0, 0), .exit()], license: "GPL",
                                name: "probe_raw_tp")
            }
        case .kprobePMU, .uprobePMU:
            return access("/sys/bus/event_source/devices/\(try pmuDevice(feature))/type", R_OK) == 0
        case .perfEventLinks:
            var loaded: Program?
            // Without tracepoint programs (CONFIG_BPF_EVENTS) there is nothing to link.
            guard try conclusive({
                loaded = try Program(type: .tracepoint, instructions: [.mov(.r0, 0), .exit()], license: "GPL",
                                     name: "probe_link")
            }), let program = loaded else { return false }
            // A link to descriptor -1: EBADF means the kernel understood the
            // request and looked for the perf event; EINVAL means it did not.
            do {
                _ = try Syscall.linkCreate(programFD: program.fd.rawValue, targetFD: -1, attachType: .perfEvent,
                                           object: "probe")
                return true
            } catch {
                if error.errno == EPERM { throw error }
                return error.errno == EBADF
            }
        case .xdpLinks:
            // Every refusal of an XDP link is EINVAL, whether the kernel lacks
            // them or the device is wrong; the kernel's own type for the link says it has them.
            guard let btf = try? KernelBTF.shared() else { return KernelVersion.current >= KernelVersion(5, 9) }
            return btf.firstType(named: "bpf_xdp_link", kind: .struct) != nil
        case .tcxLinks:
            var loaded: Program?
            guard try conclusive({
                loaded = try Program(type: .schedCLS, instructions: [.mov(.r0, 0), .exit()], license: "GPL", name: "probe_tcx")
            }), let program = loaded else { return false }
            // A link to interface 0: ENODEV means the kernel looked for the
            // device; EINVAL means it does not know the attach type.
            do {
                let link = try Syscall.linkCreate(programFD: program.fd.rawValue, targetFD: 0, attachType: .tcxIngress,
                                                  object: "probe")
                link.close()
                return true
            } catch {
                if error.errno == EPERM { throw error }
                return error.errno == ENODEV
            }
        }
    }

    /// Runs `body`; false when the kernel refused the request (other than for privileges).
    private static func conclusive(_ body: () throws -> Void) throws(BPFError) -> Bool {
        do {
            try body()
            return true
        } catch let error as BPFError where error.errno == EPERM {
            throw error
        } catch {
            return false
        }
    }

    /// The smallest valid BTF: a header and one 4-byte signed int named "int".
    static let minimalBTF: [UInt8] = {
        var bytes: [UInt8] = []
        func append32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
        let types: UInt32 = 16, strings: UInt32 = 5
        bytes += [0x9f, 0xeb, 1, 0]           // magic 0xeB9F, version 1, flags 0
        append32(24)                          // header length
        append32(0); append32(types)          // type section offset and length
        append32(types); append32(strings)    // string section offset and length
        append32(1)                           // name_off: "int"
        append32(1 << 24)                     // info: kind BTF_KIND_INT
        append32(4)                           // size
        append32(1 << 24 | 32)                // encoding: signed, 32 bits
        bytes += Array("\0int\0".utf8)
        return bytes
    }()
}
