// print_log2_hist / print_linear_hist on a table: read the slots, then format.
import BTF
import EBPF

extension Table {
    /// Prints the table as a log2 histogram, as bcc's `print_log2_hist`.
    ///
    /// The table's keys are slots (`bpf_log2l(value)`), or structs whose first
    /// field is a section (bucket) and whose second is the slot, in which case
    /// one histogram prints per section.
    ///
    /// - Parameters:
    ///   - valType: the column header, e.g. "usecs".
    ///   - sectionHeader: the label before each section's value.
    ///   - sectionPrintFn: formats a section; by default as Python's repr.
    ///   - bucketFn: maps each key's section before grouping.
    ///   - stripLeadingZero: omit empty rows before the first non-empty one.
    ///   - bucketSortFn: orders the sections (default: the order first seen).
    public func printLog2Hist(
        valType: String = "value", sectionHeader: String = "Bucket ptr",
        sectionPrintFn: ((HistogramBucket) -> String)? = nil, bucketFn: ((HistogramBucket) -> HistogramBucket)? = nil,
        stripLeadingZero: Bool = false, bucketSortFn: (([HistogramBucket]) -> [HistogramBucket])? = nil
    ) throws(BCCError) {
        var output = StandardOutput()
        try writeHistogram(.log2, valType: valType, sectionHeader: sectionHeader, sectionPrintFn: sectionPrintFn,
                           bucketFn: bucketFn, stripLeadingZero: stripLeadingZero, bucketSortFn: bucketSortFn,
                           to: &output)
    }

    /// Prints the table as a linear histogram, as bcc's `print_linear_hist`.
    /// The parameters are those of ``printLog2Hist(valType:sectionHeader:sectionPrintFn:bucketFn:stripLeadingZero:bucketSortFn:)``.
    public func printLinearHist(
        valType: String = "value", sectionHeader: String = "Bucket ptr",
        sectionPrintFn: ((HistogramBucket) -> String)? = nil, bucketFn: ((HistogramBucket) -> HistogramBucket)? = nil,
        stripLeadingZero: Bool = false, bucketSortFn: (([HistogramBucket]) -> [HistogramBucket])? = nil
    ) throws(BCCError) {
        var output = StandardOutput()
        try writeHistogram(.linear, valType: valType, sectionHeader: sectionHeader, sectionPrintFn: sectionPrintFn,
                           bucketFn: bucketFn, stripLeadingZero: stripLeadingZero, bucketSortFn: bucketSortFn,
                           to: &output)
    }

    /// Writes the histogram text to `target` instead of standard output.
    public func writeHistogram<Target: TextOutputStream>(
        _ kind: Histogram.Kind, valType: String = "value", sectionHeader: String = "Bucket ptr",
        sectionPrintFn: ((HistogramBucket) -> String)? = nil, bucketFn: ((HistogramBucket) -> HistogramBucket)? = nil,
        stripLeadingZero: Bool = false, bucketSortFn: (([HistogramBucket]) -> [HistogramBucket])? = nil,
        to target: inout Target
    ) throws(BCCError) {
        // Format into a string first so one write carries the whole histogram.
        var text = ""
        switch try histogramContents(kind, bucketFn: bucketFn, bucketSortFn: bucketSortFn) {
        case .single(let slots):
            try Histogram.write(kind, slots: slots, valType: valType, stripLeadingZero: stripLeadingZero, to: &text)
        case .sectioned(let sections):
            try Histogram.write(kind, sections: sections, valType: valType, sectionHeader: sectionHeader,
                                sectionPrintFn: sectionPrintFn, stripLeadingZero: stripLeadingZero, to: &text)
        }
        target.write(text)
    }

    /// Prints the log2 histogram as bcc's `print_json_hist` does: one line a
    /// histogram (one a section, its label under `sectionHeader`), with the
    /// time, `valType` and each slot's interval and count, in JSON.
    public func printJSONHist(
        valType: String = "value", sectionHeader: String = "Bucket ptr",
        sectionPrintFn: ((HistogramBucket) -> String)? = nil, bucketFn: ((HistogramBucket) -> HistogramBucket)? = nil,
        bucketSortFn: (([HistogramBucket]) -> [HistogramBucket])? = nil
    ) throws(BCCError) {
        var output = StandardOutput()
        try writeJSONHistogram(valType: valType, sectionHeader: sectionHeader, sectionPrintFn: sectionPrintFn,
                               bucketFn: bucketFn, bucketSortFn: bucketSortFn, to: &output)
    }

    /// Writes the JSON histogram lines to `target` instead of standard output.
    public func writeJSONHistogram<Target: TextOutputStream>(
        valType: String = "value", sectionHeader: String = "Bucket ptr",
        sectionPrintFn: ((HistogramBucket) -> String)? = nil, bucketFn: ((HistogramBucket) -> HistogramBucket)? = nil,
        bucketSortFn: (([HistogramBucket]) -> [HistogramBucket])? = nil, to target: inout Target
    ) throws(BCCError) {
        let time = Histogram.localTime()
        var text = ""
        switch try histogramContents(.log2, bucketFn: bucketFn, bucketSortFn: bucketSortFn) {
        case .single(let slots):
            text += Histogram.json(slots, valType: valType, time: time) + "\n"
        case .sectioned(let sections):
            for section in sections {
                let label = sectionPrintFn?(section.key) ?? String(describing: section.key)
                text += Histogram.json(section.slots, valType: valType, time: time, section: (sectionHeader, label)) + "\n"
            }
        }
        target.write(text)
    }

    /// What a histogram table holds: one set of slot counts, or one a section.
    enum HistogramContents {
        case single([Int: UInt64])
        case sectioned([Histogram.Section<HistogramBucket>])
    }

    /// Reads the table's slots of `kind`, grouped into sections when its key has one.
    func histogramContents(
        _ kind: Histogram.Kind, bucketFn: ((HistogramBucket) -> HistogramBucket)?,
        bucketSortFn: (([HistogramBucket]) -> [HistogramBucket])?
    ) throws(BCCError) -> HistogramContents {
        do {
            switch try histogramKeyLayout() {
            case .slot(let slot):
                var slots: [Int: UInt64] = [:]
                for (key, value) in try histogramItems() {
                    guard let index = Self.slot(slot, in: key) else { continue }
                    slots[try position(index, kind: kind)] = value
                }
                return .single(slots)
            case .sectioned(let bucket, let slot):
                var entries: [(section: HistogramBucket, slot: Int, count: UInt64)] = []
                for (key, value) in try histogramItems() {
                    guard let section = HistogramBucket(bucket, in: key), let index = Self.slot(slot, in: key) else { continue }
                    entries.append((section, try position(index, kind: kind), value))
                }
                return .sectioned(Histogram.sections(entries, bucketFn: bucketFn ?? { $0 }, bucketSortFn: bucketSortFn))
            }
        } catch {
            throw .kernel("read histogram", "table '\(name)'", error)
        }
    }

    /// `index` as a slot of `kind`.
    private func position(_ index: Int64, kind: Histogram.Kind) throws(BCCError) -> Int {
        guard let position = Int(exactly: index), position >= 0, position < kind.slotCount else {
            throw BCCError.histogramSlotOutOfRange(table: name, kind: kind, slot: Int(clamping: index), limit: kind.slotCount - 1)
        }
        return position
    }

    // MARK: - Reading the slots

    enum HistogramKeyLayout {
        /// The whole key is the slot.
        case slot(BTFMemberLayout)
        /// The key's first field is the section, the second the slot.
        case sectioned(bucket: BTFMemberLayout, slot: BTFMemberLayout)
    }

    func histogramKeyLayout() throws(BCCError) -> HistogramKeyLayout {
        guard let btf, let keyType else {
            guard [1, 2, 4, 8].contains(keySize) else {
                throw .invalidUse(object: "table '\(name)'",
                                  detail: "the key is \(keySize) bytes and the map has no BTF to say where the slot is")
            }
            return .slot(BTFMemberLayout(name: "key", type: .void, bitOffset: 0, value: .integer(BTFIntegerLayout(size: keySize, isSigned: false))))
        }
        let layout: BTFValueLayout
        do {
            layout = try EventDecodingError.layout(of: keyType, in: btf, root: btf.cSpelling(of: keyType))
        } catch {
            throw .invalidUse(object: "table '\(name)'", detail: "cannot read its keys: \(error)")
        }
        guard case let .composite(key) = layout else {
            guard layout.integerRepresentation != nil else {
                throw .invalidUse(object: "table '\(name)'", detail: "a histogram key must be an integer or a struct")
            }
            return .slot(BTFMemberLayout(name: "key", type: keyType, bitOffset: 0, value: layout))
        }
        var members = key.members
        // bcc skips a padding member it inserted itself between bucket and slot.
        if members.count == 3, members[1].name == "__pad_1" { members.remove(at: 1) }
        guard members.count >= 2 else {
            throw .invalidUse(object: "table '\(name)'", detail: "a histogram key struct needs a section field and a slot field")
        }
        guard members[1].value.integerRepresentation != nil else {
            throw .invalidUse(object: "table '\(name)'", detail: "the slot field '\(members[1].name)' is not an integer")
        }
        return .sectioned(bucket: members[0], slot: members[1])
    }

    /// The slot `member` of `key` holds; nil when the key is too short.
    static func slot(_ member: BTFMemberLayout, in key: [UInt8]) -> Int64? {
        let value = key.withUnsafeBytes { EventDecoder.value(of: member, in: $0) }
        return value?.int ?? value?.uint.map { Int64(truncatingIfNeeded: $0) }
    }

    /// Every key with its count (per-CPU counts summed).
    func histogramItems() throws(BCCError) -> [(key: [UInt8], count: UInt64)] {
        guard [1, 2, 4, 8].contains(valueSize) else {
            throw .invalidUse(object: "table '\(name)'", detail: "histogram counts must be integers, the values are \(valueSize) bytes")
        }
        let size = valueSize
        // In batches where the kernel has them, else key by key.
        let entries = try kernel("read") { try map.entries() }
        let slot = map.type.isPerCPU ? map.perCPUSlotSize : entries.valueStride
        var result: [(key: [UInt8], count: UInt64)] = []
        result.reserveCapacity(entries.count)
        entries.values.withUnsafeBytes { values in
            for index in 0..<entries.count {
                var total: UInt64 = 0
                for offset in stride(from: index * entries.valueStride, to: (index + 1) * entries.valueStride, by: slot) {
                    total &+= EventDecoder.unsignedInteger(size, at: offset, in: values)
                }
                result.append((Array(entries.key(at: index)), total))
            }
        }
        return result
    }
}

extension Histogram {
    /// Writes a single histogram of `kind`.
    static func write<Target: TextOutputStream>(
        _ kind: Kind, slots: [Int: UInt64], valType: String, stripLeadingZero: Bool, to target: inout Target
    ) throws(BCCError) {
        switch kind {
        case .log2: try writeLog2(slots, valType: valType, stripLeadingZero: stripLeadingZero, to: &target)
        case .linear: try writeLinear(slots, valType: valType, stripLeadingZero: stripLeadingZero, to: &target)
        }
    }
}
