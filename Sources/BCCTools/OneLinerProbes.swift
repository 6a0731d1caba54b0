// Expanding one-liner probe points over what exists (tracefs, ELF symbols,
// kallsyms) and attaching generated probes with bcc's attach calls.
import ArgumentParser
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
            let binary = try BPF.findBinary(point.library, pid: pid)
            let probes = try USDT(path: binary).probes
            let matcher = pattern.matcher()
            let provider = point.usdtProbe?.provider
            points = probes.filter { probe in
                (provider.map { isConcrete ? $0 == probe.provider : Glob($0).matches(probe.provider) } ?? true)
                    && (isConcrete ? probe.name == point.usdtProbe?.name : matcher.matches(probe.name))
            }.map { ProbePoint(kind: .usdt, library: binary, target: $0.qualifiedName) }
        }
        guard !points.isEmpty else {
            throw .invalidUse(object: "pattern '\(point)'", detail: "no \(what(point.kind)) matched")
        }
        return points
    }

    /// Compiles and loads `source` with a USDT context per binary for the
    /// USDT probes among `probes` (bcc's `USDT(path=)` and `enable_probe`),
    /// then attaches the others with ``attach(_:to:pid:)``.
    public static func load(_ source: String, probes: [GeneratedProbe], pid: Int32? = nil) throws -> BPF {
        var contexts: [String: USDT] = [:]
        for probe in probes where probe.point.kind == .usdt {
            let binary = probe.point.library
            let context = try contexts[binary] ?? USDT(path: binary)
            contexts[binary] = context
            try context.enableProbe(probe: probe.point.target, fnName: probe.functionName)
        }
        let b = contexts.isEmpty ? try BPF(text: source) : try BPF(text: source, usdtContexts: contexts.keys.sorted().compactMap { contexts[$0] })
        do {
            try attach(probes.filter { $0.point.kind != .usdt }, to: b, pid: pid)
        } catch {
            b.close()
            throw error
        }
        return b
    }

    /// Attaches each generated probe to its point with bcc's attach calls;
    /// user probes are limited to `pid` when given. USDT probes attach when
    /// the program loads: see ``load(_:probes:pid:)``.
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
                throw BCCError.invalidUse(object: "probe '\(point)'", detail: "a USDT probe attaches when the program loads (OneLinerProbes.load)")
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

/// The options funccount, funclatency and stackcount share, with bcc's
/// letters, and the pattern expansion they all start with.
public struct PatternOptions: ParsableArguments {
    @Option(name: [.customShort("p"), .long], help: "trace this PID only")
    public var pid: Int32?

    @Option(name: [.customShort("i"), .long], help: "summary interval, seconds")
    public var interval: Int?

    @Flag(name: [.customShort("T"), .long], help: "include timestamp on output")
    public var timestamp = false

    @Flag(name: [.customShort("r"), .long], help: "use regular expressions. Default is \"*\" wildcards only.")
    public var regexp = false

    public init() {}

    public func validate() throws {
        if let interval, interval <= 0 { throw ValidationError("interval must be positive, got \(interval)") }
    }

    /// `pattern` parsed (a bad one is a usage error naming its column) and
    /// expanded to the probe points it matches.
    public func expand(_ pattern: String) throws -> (pattern: FunctionPattern, points: [ProbePoint]) {
        let parsed: FunctionPattern
        do {
            parsed = try FunctionPattern(parsing: pattern, regularExpression: regexp)
        } catch {
            throw ValidationError("\(error)")
        }
        return (parsed, try OneLinerProbes.expand(parsed, pid: pid))
    }

    /// The interval loop: every `interval` seconds, else once at the end of
    /// `duration` or Ctrl-C.
    public func summaries(duration: Int?) -> SummaryIntervals {
        SummaryIntervals(interval: Double(interval ?? duration ?? 99_999_999), stop: StopSignal(duration: duration.map(Double.init)))
    }

    /// The timestamp line bcc prints above a summary with -T, or nothing.
    public var timestampLine: String { timestamp ? CText.left(ToolClock.hhmmss(), 8) + "\n" : "" }
}
