import EBPF
import Foundation

/// A counter or histogram read from a table at scrape time.
final class TableMetric: Sendable {
    enum Kind: Sendable { case counter, histogram }

    let kind: Kind
    let name: String
    let help: String
    let table: String
    let map: Map
    let layout: KeyLayout
    /// For histograms: how bucket numbers become bounds.
    let assembler: HistogramAssembler?
    /// Per-CPU values are kept apart, labelled by CPU, when the last label is `cpu`.
    let splitsByCPU: Bool

    init(kind: Kind, name: String, help: String, table: String, map: Map, layout: KeyLayout, assembler: HistogramAssembler?) {
        self.kind = kind
        self.name = name
        self.help = help
        self.table = table
        self.map = map
        self.layout = layout
        self.assembler = assembler
        splitsByCPU = Self.splitsByCPU(layout: layout, map: map)
    }

    /// ebpf_exporter's convention: a per-CPU table whose last label is named
    /// `cpu` is not summed; that label is the CPU number (2 bytes after the key).
    static func splitsByCPU(layout: KeyLayout, map: Map) -> Bool {
        map.type.isPerCPU && layout.names.last == "cpu"
    }

    /// The bytes the labels must cover: the key, plus 2 for a per-CPU `cpu` label.
    static func keyBytes(layout: KeyLayout, map: Map) -> Int {
        splitsByCPU(layout: layout, map: map) ? layout.size - 2 : layout.size
    }

    // MARK: - Reading

    /// One scrape's worth of a table: label values and their summed values,
    /// in the order keys were first seen.
    struct Rows {
        var labels: [[String]] = []
        var values: [UInt64] = []
        private var index: [[String]: Int] = [:]

        /// Adds `value` to the row of `labels` (keys that decode alike are summed, as in ebpf_exporter).
        mutating func add(_ labels: [String], _ value: UInt64) {
            if let row = index[labels] {
                values[row] &+= value
            } else {
                index[labels] = values.count
                self.labels.append(labels)
                values.append(value)
            }
        }
    }

    /// What a scrape of the table found.
    struct Reading {
        var rows = Rows()
        var entries = 0
        var decodeErrors = 0
        var firstDecodeError: LabelDecodeError?
    }

    /// Reads the table and decodes every key.
    func read(_ reading: TableReading) throws(BPFError) -> Reading {
        let entries = reading == .batch ? try map.entries() : try map.lookupEach()
        var result = Reading()
        result.entries = entries.count
        let slot = (map.valueSize + 7) & ~7
        let cpus = map.type.isPerCPU ? entries.valueStride / slot : 1
        var key: [UInt8] = []
        for entry in 0 ..< entries.count {
            let value = entries.value(at: entry)
            let rawKey = entries.key(at: entry)
            do {
                if splitsByCPU {
                    for cpu in 0 ..< cpus {
                        key.removeAll(keepingCapacity: true)
                        key.append(contentsOf: rawKey)
                        key.append(UInt8(cpu & 0xff))
                        key.append(UInt8(cpu >> 8))
                        guard let labels = try layout.decode(key[...]) else { continue }
                        result.rows.add(labels, Self.u64(value, at: cpu * slot))
                    }
                    continue
                }
                let total = Self.sum(value, cpus: cpus, slot: slot)
                if layout.labels.isEmpty {
                    result.rows.add([], total)
                } else if let labels = try layout.decode(rawKey) {
                    result.rows.add(labels, total)
                }
            } catch {
                result.decodeErrors += 1
                if result.firstDecodeError == nil { result.firstDecodeError = error }
            }
        }
        return result
    }

    /// The u64 at `offset` of `bytes`, in host order.
    static func u64(_ bytes: ArraySlice<UInt8>, at offset: Int) -> UInt64 {
        var value: UInt64 = 0
        withUnsafeMutableBytes(of: &value) { target in
            let start = bytes.startIndex + offset
            for index in 0 ..< 8 { target[index] = bytes[start + index] }
        }
        return value
    }

    /// The u64 values of every CPU's slot, summed.
    static func sum(_ bytes: ArraySlice<UInt8>, cpus: Int, slot: Int) -> UInt64 {
        var total: UInt64 = 0
        for cpu in 0 ..< cpus { total &+= u64(bytes, at: cpu * slot) }
        return total
    }

    // MARK: - Writing

    /// Writes the family and its samples under `prefix`.
    func write(_ reading: Reading, prefix: String, to writer: inout ExpositionWriter) {
        let fullName = prefix + name
        switch kind {
        case .counter:
            writer.family(fullName, help: help, type: .counter)
            for (labels, value) in zip(reading.rows.labels, reading.rows.values) {
                writer.sample(fullName, labels: layout.names, values: labels, value: value)
            }
        case .histogram:
            writer.family(fullName, help: help, type: .histogram)
            guard let assembler else { return }
            // Group the rows by every label but the last (the bucket number).
            var order: [[String]] = []
            var series: [[String]: [UInt64: UInt64]] = [:]
            for (labels, value) in zip(reading.rows.labels, reading.rows.values) {
                let seriesLabels = Array(labels.dropLast())
                guard let number = labels.last.flatMap({ UInt64($0) }) else { continue }
                if series[seriesLabels] == nil { order.append(seriesLabels) }
                series[seriesLabels, default: [:]][number, default: 0] &+= value
            }
            let names = Array(layout.names.dropLast())
            for labels in order {
                writer.histogram(fullName, labels: names, values: labels, assembler.assemble(series[labels] ?? [:]))
            }
        }
    }
}
