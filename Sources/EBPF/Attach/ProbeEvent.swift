import CBPF
import Glibc
import Synchronization

/// What kprobes and uprobes share: the kernel creates them either through a
/// dynamic perf PMU (/sys/bus/event_source/devices/{kprobe,uprobe}, Linux
/// 4.17+), which ties the probe's life to the perf event, or by a definition
/// written to tracefs {kprobe,uprobe}_events, which must be removed again.
enum ProbeEvent {
    /// The kind of dynamic probe.
    enum Kind: String {
        case kprobe, uprobe

        /// The tracefs file probes of this kind are defined in.
        var definitionsFile: String { rawValue + "_events" }
    }

    /// How a probe is created.
    enum Mechanism {
        /// The kernel's kprobe or uprobe PMU.
        case pmu
        /// A definition in tracefs kprobe_events or uprobe_events.
        case tracefs
    }

    /// The tracefs group our probe definitions live in.
    static let tracefsGroup = "swift_bcc"

    private static let definitionCounter = Atomic<Int>(0)

    // MARK: - PMU

    /// A dynamic probe PMU: its perf type and the config bit that makes a return probe.
    struct PMU {
        var type: UInt32
        var returnProbeBit: UInt64

        /// The PMU for `kind`, or nil when the kernel has none.
        static func find(_ kind: Kind) throws(BPFError) -> PMU? {
            let feature = kind == .kprobe ? Feature.kprobePMU : .uprobePMU
            guard Features.isSupported(feature) else { return nil }
            return PMU(type: try Features.pmuType(feature), returnProbeBit: UInt64(try Features.retprobeBit(feature)))
        }

        /// Opens a probe event: `location` (a kernel symbol or a binary's path)
        /// goes in config1, `offset` in config2.
        /// A uprobe's reference counter offset goes in the config bits the PMU's format/ref_ctr_offset names.
        func open(location: String, offset: UInt64, isReturn: Bool, pid: Int32, what: String,
                  referenceCounterOffset: UInt64? = nil) throws(BPFError) -> OwnedFD {
            var config: UInt64 = isReturn ? 1 << returnProbeBit : 0
            if let referenceCounterOffset {
                config |= try UprobeReferenceCounter.configBits(offset: referenceCounterOffset, what: what)
            }
            return try location.withCPointer { (pointer) throws(BPFError) in
                var attr = perf_event_attr()
                attr.type = type
                attr.config = config
                attr.config1 = UInt64(UInt(bitPattern: pointer))
                attr.config2 = offset
                attr.sample_period = 1
                attr.wakeup_events = 1
                // Like tracepoints, a probe runs its programs on every CPU.
                return try PerfEvent.open(attr, pid: pid, cpu: pid == -1 ? 0 : -1, what: what)
            }
        }

        /// Opens the probe and runs `program` on it.
        func attach(
            _ program: Program, location: String, offset: UInt64, isReturn: Bool, pid: Int32, what: String,
            referenceCounterOffset: UInt64? = nil, cookie: UInt64 = 0
        ) throws(BPFError) -> LinkResources {
            let event = try open(location: location, offset: offset, isReturn: isReturn, pid: pid, what: what,
                                 referenceCounterOffset: referenceCounterOffset)
            let link = try PerfEvent.attach(program, to: event, what: what, cookie: cookie)
            return LinkResources(descriptors: [link, event].compactMap { $0 })
        }
    }

    // MARK: - tracefs

    /// Defines a probe in tracefs and returns its event id and the name to
    /// remove it by. `location` is "SYMBOL+OFFSET" for a kprobe and
    /// "PATH:0xOFFSET" for a uprobe; `label` becomes part of the event name.
    static func define(_ kind: Kind, location: String, label: String, isReturn: Bool) throws(BPFError)
        -> (id: UInt64, name: String)
    {
        let number = definitionCounter.add(1, ordering: .relaxed).newValue
        // Event names are at most 64 characters of [A-Za-z0-9_]; the pid and a
        // counter make them unique among concurrent users.
        let sanitized = String(label.map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" }.prefix(32))
        let name = "\(isReturn ? "r" : "p")_\(sanitized)_\(getpid())_\(number)"
        let definition = "\(isReturn ? "r" : "p"):\(tracefsGroup)/\(name) \(location)"
        try Tracefs.defineProbe(file: kind.definitionsFile, definition: definition)
        do {
            return (try Tracefs.eventID(category: tracefsGroup, name: name), name)
        } catch {
            try? Tracefs.removeProbe(file: kind.definitionsFile, group: tracefsGroup, name: name)
            throw error
        }
    }

    /// Attaches `program` to a probe it defines in tracefs; closing the
    /// result also removes the definition.
    static func attachDefined(
        _ kind: Kind, program: Program, location: String, label: String, isReturn: Bool, pid: Int32, what: String,
        cookie: UInt64 = 0
    ) throws(BPFError) -> LinkResources {
        let (id, name) = try define(kind, location: location, label: label, isReturn: isReturn)
        let removeDefinition: @Sendable () -> Void = {
            _ = try? Tracefs.removeProbe(file: kind.definitionsFile, group: tracefsGroup, name: name)
        }
        do {
            let attached = try TracepointLink.attach(program, eventID: id, pid: pid, what: what, cookie: cookie)
            attached.addCleanup(removeDefinition)
            return attached
        } catch {
            removeDefinition()
            throw error
        }
    }
}
