import BPFObject
#if canImport(Glibc)
import Glibc
#endif

/// Whether the running kernel has a program or map type, as a probe found it.
public enum KindSupport: Equatable, Sendable, CustomStringConvertible {
    /// The smallest request of this kind succeeded.
    case supported
    /// The kernel refused it as unknown or invalid (EINVAL, E2BIG, EOPNOTSUPP).
    case unsupported
    /// The probe could not tell: why (the kind needs a BTF target or inner map, or another error came back).
    case unknown(String)

    /// "yes", "no" or "? (reason)".
    public var description: String {
        switch self {
        case .supported: return "yes"
        case .unsupported: return "no"
        case .unknown(let reason): return "? (\(reason))"
        }
    }
}

extension Features {
    /// Loads `return 0` as a program of `type` (with the attach type some
    /// types require), as libbpf's `libbpf_probe_bpf_prog_type` does.
    /// Types that load only against a BTF target (tracing, extension, LSM,
    /// struct_ops) are reported unknown: their support shows in the trampoline probe.
    public static func probe(programType type: ProgramType) -> KindSupport {
        switch type {
        case .unspecified: return .unsupported
        case .tracing, .ext, .lsm, .structOps: return .unknown("loads only against a BTF target")
        default: break
        }
        let expected: AttachType? = switch type {
        case .cgroupSockAddr: .cgroupInet4Connect
        case .cgroupSockopt: .cgroupGetsockopt
        case .skLookup: .skLookup
        case .netfilter: .netfilter
        default: nil
        }
        // Syscall programs are sleepable (BPF_F_SLEEPABLE).
        let flags: UInt32 = type == .syscall ? 1 << 4 : 0
        do {
            let program = try Program(type: type, instructions: [.mov(.r0, 0), .exit()], license: "GPL", name: "probe_type",
                                      expectedAttachType: expected, flags: flags)
            program.close()
            return .supported
        } catch {
            return classify(error)
        }
    }

    /// Creates the smallest map of `type` (sizes as libbpf's
    /// `libbpf_probe_bpf_map_type` uses), or says which kinds need more than that.
    public static func probe(mapType type: MapType) -> KindSupport {
        var keySize = 4, valueSize = 4, maxEntries = 1
        var flags: UInt32 = 0
        switch type {
        case .unspecified: return .unsupported
        case .arrayOfMaps, .hashOfMaps: return probeMapOfMaps(type)
        case .skStorage, .inodeStorage, .taskStorage, .cgrpStorage, .structOps:
            return .unknown("needs BTF for its value type")
        case .lpmTrie:
            keySize = 8; valueSize = 8; flags = 1  // BPF_F_NO_PREALLOC
        case .stackTrace:
            valueSize = 8
        case .cgroupStorage, .perCPUCgroupStorage:
            keySize = 16; maxEntries = 0  // struct bpf_cgroup_storage_key (u64, u32, padded)
        case .queue, .stack:
            keySize = 0
        case .bloomFilter:
            keySize = 0
        case .ringBuffer, .userRingBuffer:
            keySize = 0; valueSize = 0; maxEntries = Int(sysconf(Int32(_SC_PAGESIZE)))
        case .arena:
            keySize = 0; valueSize = 0; flags = 1 << 10  // BPF_F_MMAPABLE
        default:
            break
        }
        do {
            let map = try Map(type: type, name: "probe_map", keySize: keySize, valueSize: valueSize, maxEntries: maxEntries, flags: flags)
            map.close()
            return .supported
        } catch {
            return classify(error)
        }
    }

    private static func probeMapOfMaps(_ type: MapType) -> KindSupport {
        do {
            let inner = try Map(type: .array, name: "probe_inner", keySize: 4, valueSize: 4, maxEntries: 1)
            defer { inner.close() }
            let outer = try Map(type: type, name: "probe_outer", keySize: 4, valueSize: 4, maxEntries: 1, innerMap: inner)
            outer.close()
            return .supported
        } catch {
            return classify(error)
        }
    }

    /// EINVAL (an unknown type), E2BIG and "not supported" mean the kernel lacks the kind.
    private static func classify(_ error: any Error) -> KindSupport {
        guard let error = error as? BPFError else { return .unknown("\(error)") }
        switch error {
        case .invalidArgument, .notSupported, .verifierRejected: return .unsupported
        default: return error.errno == E2BIG ? .unsupported : .unknown("\(error)")
        }
    }
}
