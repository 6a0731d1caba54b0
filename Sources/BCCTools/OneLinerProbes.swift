// Expanding one-liner probe points over what exists (tracefs, ELF symbols,
// kallsyms) and attaching generated probes with bcc's attach calls.
import BCC
import ProbeSpec

/// The one-liner tools' link between parsed specifiers and a loaded BPF program.
public enum OneLinerProbes {
    /// The concrete probe points `point` stands for: itself when it has no
    /// wildcards, otherwise every match (tracepoints from tracefs, functions
    /// of the binary, kernel functions from kallsyms), in a stable order.
    ///
    /// - Throws: ``BCCError/invalidUse(object:detail:)`` when nothing matches.
    public static func expand(_ pattern: FunctionPattern, pid: Int32? = nil) throws(BCCError) -> [ProbePoint] {
        let point = pattern.point
        let isConcrete = !pattern.isRegularExpression && !point.isPattern
        var points: [ProbePoint] = []
        switch point.kind {
        case .tracepoint:
            if isConcrete { return [point] }
            let matcher = pattern.matcher()
            points = try BPF.tracepoints(matching: matcher.matches).map { ProbePoint(kind: .tracepoint, target: $0) }
        case .userEntry, .userReturn:
            let binary = try BPF.findBinary(point.library, pid: pid)
            if isConcrete { return [ProbePoint(kind: point.kind, library: binary, target: point.target, offset: point.offset)] }
            let matcher = pattern.matcher()
            points = try BPF.userFunctions(in: binary, matching: matcher.matches)
                .map { ProbePoint(kind: point.kind, library: binary, target: $0.name) }
        case .kernelEntry, .kernelReturn:
            if isConcrete { return [point] }
            let matcher = pattern.matcher()
            points = try BPF.kernelFunctions(matching: matcher.matches).map { ProbePoint(kind: point.kind, target: $0) }
        case .usdt:
            return [point]
        }
        guard !points.isEmpty else {
            throw .invalidUse(object: "pattern '\(point)'", detail: "no \(what(point.kind)) matched")
        }
        return points
    }

    /// Attaches each generated probe to its point with bcc's attach calls;
    /// user probes are limited to `pid` when given.
    public static func attach(_ probes: [GeneratedProbe], to b: BPF, pid: Int32? = nil) throws {
        for probe in probes {
            let point = probe.point
            switch point.kind {
            case .kernelEntry:
                try b.attachKprobe(event: point.target, fnName: probe.functionName, eventOffset: point.offset)
            case .kernelReturn:
                try b.attachKretprobe(event: point.target, fnName: probe.functionName)
            case .userEntry:
                try b.attachUprobe(name: point.library, sym: point.target, fnName: probe.functionName, pid: pid ?? -1, symOffset: point.offset)
            case .userReturn:
                try b.attachUretprobe(name: point.library, sym: point.target, fnName: probe.functionName, pid: pid ?? -1)
            case .tracepoint:
                try b.attachTracepoint(tp: point.target, fnName: probe.functionName)
            case .usdt:
                throw BCCError.invalidUse(object: "probe '\(point)'", detail: "USDT probes are not supported by this tool yet")
            }
        }
    }

    private static func what(_ kind: ProbePoint.Kind) -> String {
        switch kind {
        case .tracepoint: return "tracepoint"
        case .kernelEntry, .kernelReturn: return "kernel function"
        case .userEntry, .userReturn: return "function of the binary"
        case .usdt: return "USDT probe"
        }
    }
}
