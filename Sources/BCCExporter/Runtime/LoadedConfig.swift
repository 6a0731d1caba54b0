import BCC
import BCCDialect
import EBPF
import Foundation
import Synchronization

/// How tables are read at scrape time.
public enum TableReading: String, Sendable, CaseIterable {
    /// BPF_MAP_LOOKUP_BATCH where the kernel has it for the map, else key by key.
    case batch
    /// Key by key (BPF_MAP_GET_NEXT_KEY and BPF_MAP_LOOKUP_ELEM), as bcc's Python does.
    case perKey = "per-key"
}

/// A config whose program is loaded (not yet attached) and whose metrics
/// are bound to its tables, with their shapes checked.
///
/// The `BPF` object (not Sendable) sits behind a mutex: the ring poller
/// thread holds it while it polls, attach and close take it in turn; scrapes
/// read only the maps (`Map` is Sendable).
public final class LoadedConfig: Sendable {
    /// The config.
    public let config: ExporterConfig
    /// The loaded program.
    private let program: Mutex<BPF>
    /// Counters and histograms read from tables at scrape time.
    let tableMetrics: [TableMetric]
    /// Counters fed by ring buffer records.
    let ringCounters: [RingCounter]
    /// Every BPF_RINGBUF_OUTPUT table of the program with its hidden
    /// per-CPU count of dropped records.
    let lostCounters: [(table: String, counter: Map)]

    /// Compiles and loads `config`'s program without attaching it, and binds
    /// each metric to its table.
    ///
    /// - Throws: `ExporterError.program` when it does not compile or load,
    ///   `.table` when a metric's table is missing or does not fit its labels.
    public static func load(_ config: ExporterConfig, system: DecoderSystem) throws(ExporterError) -> LoadedConfig {
        let bpf: BPF
        do {
            switch config.program {
            case .file(let path):
                bpf = try BPF(srcFile: path, cflags: config.cflags, autoAttach: false)
            case .inline(let code, _):
                bpf = try BPF(text: code, cflags: config.cflags, autoAttach: false)
            }
        } catch {
            throw .program(config: config.name, file: config.file, cause: Self.locatedInConfig(error, config))
        }
        let bindings: Bindings
        do {
            bindings = try Bindings(config: config, bpf: bpf, system: system)
        } catch {
            bpf.close()
            throw error
        }
        return LoadedConfig(config: config, program: bpf, bindings: bindings)
    }

    /// A compile error in inline code, moved to the config file's lines (the
    /// code starts on `line` of the YAML).
    private static func locatedInConfig(_ error: BCCError, _ config: ExporterConfig) -> BCCError {
        guard case .inline(_, let line) = config.program, case .compileFailed(_, let diagnostics) = error else { return error }
        let located = diagnostics.map { diagnostic in
            var moved = diagnostic
            if moved.file == "<text>" {
                moved.file = config.file
                moved.line += line - 1
            }
            return moved
        }
        return .compileFailed(file: config.file, diagnostics: located)
    }

    private init(config: ExporterConfig, program: sending BPF, bindings: Bindings) {
        self.config = config
        tableMetrics = bindings.tableMetrics
        ringCounters = bindings.ringCounters
        lostCounters = bindings.lostCounters
        self.program = Mutex(program)
    }
}

/// A config's metrics bound to the tables of its loaded program, with their shapes checked.
private struct Bindings {
    var tableMetrics: [TableMetric]
    var ringCounters: [RingCounter]
    var lostCounters: [(table: String, counter: Map)]

    init(config: ExporterConfig, bpf: BPF, system: DecoderSystem) throws(ExporterError) {
        var lostCounters: [(table: String, counter: Map)] = []
        for ring in bpf.declarations where ring.kind == .ringBuffer {
            do {
                lostCounters.append((ring.name, try bpf.lostCounter(forRing: ring.name)))
            } catch {
                throw .table(config: config.name, file: config.file, metric: "-", table: ring.name, problem: "no lost-record counter: \(error)")
            }
        }
        self.lostCounters = lostCounters
        var tableMetrics: [TableMetric] = []
        var ringCounters: [RingCounter] = []
        func fail(_ metric: String, _ table: String, _ problem: String) -> ExporterError {
            .table(config: config.name, file: config.file, metric: metric, table: table, problem: problem)
        }
        func definition(_ metric: String, _ table: String) throws(ExporterError) -> TableDefinition {
            guard let definition = bpf.declarations.first(where: { $0.name == table }) else {
                let names = bpf.declarations.map(\.name)
                throw fail(metric, table, "the program has no such table (tables: \(names.isEmpty ? "none" : names.joined(separator: ", ")))")
            }
            return definition
        }
        for counter in config.counters {
            let layout = KeyLayout(labels: counter.labels, system: system)
            let table = try definition(counter.name, counter.table)
            if counter.ringBuffer {
                guard table.kind == .ringBuffer else {
                    throw fail(counter.name, counter.table, "ring_buffer: true needs a BPF_RINGBUF_OUTPUT table")
                }
                if let other = ringCounters.first(where: { $0.metric.table == counter.table }) {
                    throw fail(counter.name, counter.table, "the ring is already read by metric '\(other.metric.name)'; one counter a ring")
                }
                ringCounters.append(RingCounter(metric: counter, layout: layout))
                continue
            }
            let map = try Self.checkedMap(table, layout: layout, bpf: bpf, fail: { problem in fail(counter.name, counter.table, problem) })
            tableMetrics.append(TableMetric(kind: .counter, name: counter.name, help: counter.help, table: counter.table,
                                            map: map, layout: layout, assembler: nil))
        }
        for histogram in config.histograms {
            let layout = KeyLayout(labels: histogram.labels, system: system)
            let table = try definition(histogram.name, histogram.table)
            let map = try Self.checkedMap(table, layout: layout, bpf: bpf, fail: { problem in fail(histogram.name, histogram.table, problem) })
            tableMetrics.append(TableMetric(kind: .histogram, name: histogram.name, help: histogram.help, table: histogram.table,
                                            map: map, layout: layout, assembler: HistogramAssembler(layout: histogram.buckets)))
        }
        self.tableMetrics = tableMetrics
        self.ringCounters = ringCounters
    }

    /// The table's map, after checking it holds u64 values under keys the labels cover.
    private static func checkedMap(_ table: TableDefinition, layout: KeyLayout, bpf: BPF,
                                   fail: (String) -> ExporterError) throws(ExporterError) -> Map {
        let readable: [TableDefinition.Kind] = [.hash, .array, .histogram, .perCPUHash, .perCPUArray, .lruHash, .lruPerCPUHash]
        guard readable.contains(table.kind) else {
            throw fail("a \(table.kind) table cannot be read as a metric (use a hash, array or histogram table"
                + (table.kind == .ringBuffer ? ", or ring_buffer: true for a counter)" : ")"))
        }
        let map: Map
        do { map = try bpf.map(named: table.name) } catch { throw fail("\(error)") }
        guard map.valueSize == 8 else {
            throw fail("values are \(map.valueSize) bytes; a metric's table holds u64 counts (8 bytes)")
        }
        let expected = TableMetric.keyBytes(layout: layout, map: map)
        if !layout.labels.isEmpty && expected != map.keySize {
            let perCPU = TableMetric.splitsByCPU(layout: layout, map: map) ? " (the last label, cpu, is the CPU number: 2 more bytes)" : ""
            throw fail("the labels cover \(expected) bytes\(perCPU) but the table's keys (\(table.keyType)) are \(map.keySize) bytes;"
                + " make the sizes and paddings add up to the key's size")
        }
        return map
    }

}

extension LoadedConfig {
    /// What is attached, e.g. "tracepoint syscalls:sys_enter_openat -> tracepoint__syscalls__sys_enter_openat".
    public var probes: [String] { program.withLock { $0.attachedProbes } }

    /// Runs `body` with the program, while no other thread uses it.
    func withProgram<Result: Sendable>(_ body: @Sendable (BPF) throws -> Result) rethrows -> Result {
        try program.withLock { try body($0) }
    }

    /// Attaches the program's probes (auto-attach by name, as `BPF(text:)` does).
    public func attach() throws(ExporterError) {
        do {
            try program.withLock { (bpf) throws(BCCError) in try bpf.autoAttach() }
        } catch {
            throw .attach(config: config.name, file: config.file, cause: error)
        }
        guard !probes.isEmpty else {
            throw .attach(config: config.name, file: config.file, cause: BCCError.invalidUse(
                object: "the program", detail: "attaches nothing: name a function TRACEPOINT_PROBE(...), RAW_TRACEPOINT_PROBE(...) or tracepoint__CATEGORY__NAME"))
        }
    }

    /// Opens the ring buffers that ring-buffer counters read.
    func openRings() throws(ExporterError) {
        for counter in ringCounters {
            do {
                try program.withLock { (bpf) throws(BCCError) in
                    try bpf[counter.metric.table].openRingBuffer { data in counter.record(data) }
                }
            } catch {
                throw .attach(config: config.name, file: config.file, cause: error)
            }
        }
    }

    /// Detaches the probes and closes the program and its tables.
    public func close() { program.withLock { $0.close() } }
}
