// What the running kernel offers BPF programs, for `swift-bcc info`: its
// version, its BTF, and the program, map and attach kinds its probes found.
import BPFObject
import BTF
import EBPF
import Glibc

/// A report of the running kernel's BPF support, from feature probes
/// (each loads or creates the smallest object of its kind; needs root).
public struct KernelReport: Sendable {
    /// One probed kind and what the probe found ("yes", "no", "? (why)").
    public struct Entry: Sendable, Equatable {
        /// The kind's UAPI name (BPF_PROG_TYPE_XDP) or a description.
        public var name: String
        /// True when the probe found it supported.
        public var isSupported: Bool
        /// "yes", "no" or "? (reason)", and for attach kinds what they need.
        public var detail: String
    }

    /// `uname -r`.
    public var release: String
    /// The kernel's version, as LINUX_VERSION_CODE parts.
    public var version: String
    /// Where the kernel's BTF is and how many types it has.
    public var btfPath: String
    public var btfTypeCount: Int
    /// Program types (BPF_PROG_TYPE_*).
    public var programTypes: [Entry]
    /// Map types (BPF_MAP_TYPE_*).
    public var mapTypes: [Entry]
    /// Ways to attach: tracepoints, raw tracepoints, kprobes, uprobes, BPF links, XDP and tc links, trampolines.
    public var attachKinds: [Entry]
    /// The helpers the kernel's `enum bpf_func_id` names (without bpf_), sorted.
    public var helpers: [String]

    /// Probes the running kernel.
    public static func probe() throws(BCCError) -> KernelReport {
        var system = utsname()
        uname(&system)
        let release = withUnsafeBytes(of: &system.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let btf: BTF
        do {
            btf = try KernelBTF.shared()
        } catch {
            throw .file(path: KernelBTF.path, detail: "\(error)")
        }
        let programs = ProgramType.allKnown.map { type in entry(type.cName, Features.probe(programType: type)) }
        let maps = MapType.allKnown.map { type in entry(type.cName, Features.probe(mapType: type)) }
        var attach: [Entry] = Feature.allCases.map { feature in
            let supported = Features.isSupported(feature)
            return Entry(name: feature.description, isSupported: supported, detail: supported ? "yes" : "no (needs \(feature.requirement))")
        }
        do {
            try TracingLink.requireTrampolines()
            attach.append(Entry(name: "BPF trampolines (fentry, fexit, LSM, iterators)", isSupported: true, detail: "yes"))
        } catch {
            attach.append(Entry(name: "BPF trampolines (fentry, fexit, LSM, iterators)", isSupported: false, detail: "no: \(error)"))
        }
        let helpers = (try? KernelCompileEnvironment.kernelHelperNames())?.sorted() ?? []
        return KernelReport(release: release, version: "\(KernelVersion.current)", btfPath: KernelBTF.path, btfTypeCount: btf.typeCount,
                            programTypes: programs, mapTypes: maps, attachKinds: attach, helpers: helpers)
    }

    private static func entry(_ name: String, _ support: KindSupport) -> Entry {
        Entry(name: name, isSupported: support == .supported, detail: support.description)
    }
}
