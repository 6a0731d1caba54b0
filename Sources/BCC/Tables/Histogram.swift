// Histogram text exactly as bcc's Python table prints it (print_log2_hist,
// print_linear_hist), as pure functions over bucket counts.

/// Formats log2 and linear histograms byte for byte as bcc prints them.
///
/// bcc stores a histogram in a BPF map keyed by slot: a log2 histogram puts a
/// value `v` in slot `bpf_log2l(v)`, a linear one in slot `v`. These functions
/// take those slot counts (and, for keyed histograms, one set of counts per
/// section) and write the same text as bcc's `print_log2_hist` and
/// `print_linear_hist`. The table wrappers on ``BPF`` read the map and call these.
public enum Histogram {
    /// Number of log2 slots bcc allocates (0...64), enough for any 64-bit value.
    public static let log2SlotCount = 65
    /// Number of linear slots bcc allocates (0...1024).
    public static let linearSlotCount = 1025
    /// Width of the star bar for histograms whose slots all fit in 32 bits.
    public static let starsMax = 40

    /// The shape of a histogram: which slots exist and how rows print.
    public enum Kind: Sendable, CustomStringConvertible {
        /// Slot `i` counts values in `[2^(i-1), 2^i - 1]` (slot 1 counts 0 and 1).
        case log2
        /// Slot `i` counts the value `i`.
        case linear

        /// How many slots the kind has.
        public var slotCount: Int {
            switch self {
            case .log2: Histogram.log2SlotCount
            case .linear: Histogram.linearSlotCount
            }
        }

        /// "log2" or "linear".
        public var description: String {
            switch self {
            case .log2: "log2"
            case .linear: "linear"
            }
        }
    }

    /// One section of a keyed histogram: its label and its slot counts.
    public struct Section<Key> {
        /// The section's key (after any bucket function).
        public var key: Key
        /// Count per slot index.
        public var slots: [Int: UInt64]

        /// Creates a section.
        public init(key: Key, slots: [Int: UInt64]) {
            self.key = key
            self.slots = slots
        }
    }

    // MARK: - Single histograms

    /// Writes a log2 histogram of `slots` (slot index to count) to `target`.
    ///
    /// - Parameters:
    ///   - valType: the column header, e.g. "usecs" (bcc's `val_type`).
    ///   - stripLeadingZero: omit the empty rows before the first non-empty one.
    /// - Throws: ``BCCError/histogramSlotOutOfRange(table:kind:slot:limit:)`` for a slot outside 0...64.
    public static func writeLog2<Target: TextOutputStream>(
        _ slots: [Int: UInt64], valType: String = "value", stripLeadingZero: Bool = false,
        to target: inout Target
    ) throws(BCCError) {
        writeLog2(dense: try denseSlots(slots, kind: .log2), valType: valType,
                  stripLeadingZero: stripLeadingZero, to: &target)
    }

    /// Writes a linear histogram of `slots` (slot index to count) to `target`.
    ///
    /// - Throws: ``BCCError/histogramSlotOutOfRange(table:kind:slot:limit:)`` for a slot outside 0...1024.
    public static func writeLinear<Target: TextOutputStream>(
        _ slots: [Int: UInt64], valType: String = "value", stripLeadingZero: Bool = false,
        to target: inout Target
    ) throws(BCCError) {
        writeLinear(dense: try denseSlots(slots, kind: .linear), valType: valType,
                    stripLeadingZero: stripLeadingZero, to: &target)
    }

    /// The text ``writeLog2(_:valType:stripLeadingZero:to:)`` writes.
    public static func log2(
        _ slots: [Int: UInt64], valType: String = "value", stripLeadingZero: Bool = false
    ) throws(BCCError) -> String {
        var text = ""
        try writeLog2(slots, valType: valType, stripLeadingZero: stripLeadingZero, to: &text)
        return text
    }

    /// The text ``writeLinear(_:valType:stripLeadingZero:to:)`` writes.
    public static func linear(
        _ slots: [Int: UInt64], valType: String = "value", stripLeadingZero: Bool = false
    ) throws(BCCError) -> String {
        var text = ""
        try writeLinear(slots, valType: valType, stripLeadingZero: stripLeadingZero, to: &text)
        return text
    }

    // MARK: - Keyed (sectioned) histograms

    /// Writes one histogram per section, each preceded by a blank line and
    /// `"<sectionHeader> = <label>"`, as bcc does for a map whose key is a
    /// struct of (section, slot).
    ///
    /// - Parameters:
    ///   - sections: the sections in print order.
    ///   - sectionHeader: the label's name (bcc's `section_header`).
    ///   - sectionPrintFn: formats a section key; by default its description
    ///     (bcc prints Python's `repr`, which matches for integers).
    public static func write<Key, Target: TextOutputStream>(
        _ kind: Kind, sections: [Section<Key>], valType: String = "value",
        sectionHeader: String = "Bucket ptr", sectionPrintFn: ((Key) -> String)? = nil,
        stripLeadingZero: Bool = false, to target: inout Target
    ) throws(BCCError) {
        for section in sections {
            let dense = try denseSlots(section.slots, kind: kind)
            let label = sectionPrintFn?(section.key) ?? String(describing: section.key)
            target.write("\n\(sectionHeader) = \(label)\n")
            switch kind {
            case .log2:
                writeLog2(dense: dense, valType: valType, stripLeadingZero: stripLeadingZero, to: &target)
            case .linear:
                writeLinear(dense: dense, valType: valType, stripLeadingZero: stripLeadingZero, to: &target)
            }
        }
    }

    /// Groups `(section, slot, count)` entries into sections the way bcc does:
    /// `bucketFn` maps each entry's section key first, sections keep the order
    /// in which they are first seen unless `bucketSortFn` reorders them, and a
    /// later entry for the same section and slot replaces an earlier one.
    public static func sections<Raw, Key: Hashable>(
        _ entries: some Sequence<(section: Raw, slot: Int, count: UInt64)>,
        bucketFn: (Raw) -> Key, bucketSortFn: (([Key]) -> [Key])? = nil
    ) -> [Section<Key>] {
        var order: [Key] = []
        var slotsByKey: [Key: [Int: UInt64]] = [:]
        for entry in entries {
            let key = bucketFn(entry.section)
            if slotsByKey[key] == nil {
                order.append(key)
                slotsByKey[key] = [:]
            }
            slotsByKey[key]![entry.slot] = entry.count
        }
        if let bucketSortFn { order = bucketSortFn(order) }
        return order.compactMap { key in
            slotsByKey[key].map { Section(key: key, slots: $0) }
        }
    }

    // MARK: - Formatting

    /// Spreads `slots` into an array of the kind's slot count, rejecting
    /// indexes bcc's fixed-size list would not hold.
    static func denseSlots(_ slots: [Int: UInt64], kind: Kind) throws(BCCError) -> [UInt64] {
        var dense = [UInt64](repeating: 0, count: kind.slotCount)
        for (slot, count) in slots {
            guard slot >= 0, slot < kind.slotCount else {
                throw .histogramSlotOutOfRange(table: nil, kind: kind, slot: slot, limit: kind.slotCount - 1)
            }
            dense[slot] = count
        }
        return dense
    }

    static func writeLog2<Target: TextOutputStream>(
        dense vals: [UInt64], valType: String, stripLeadingZero: Bool, to target: inout Target
    ) {
        let (lastNonZero, maxCount) = extent(vals)
        // Slots past 32 hold values over 2^32: bcc widens the number columns and halves the bar.
        let wide = lastNonZero > 32
        let numberWidth = wide ? 20 : 10
        let stars = wide ? starsMax / 2 : starsMax
        if lastNonZero > 0 {
            let header = wide
                ? "               \(leftAligned(valType, 29)) : count     distribution"
                : "     \(leftAligned(valType, 19)) : count     distribution"
            target.write(header + "\n")
        }
        guard lastNonZero >= 1 else { return }
        var skipping = stripLeadingZero
        for slot in 1...lastNonZero {
            let count = vals[slot]
            if skipping {
                if count == 0 { continue }
                skipping = false
            }
            let high = slot == 64 ? UInt64.max : (UInt64(1) << UInt64(slot)) - 1
            var low = UInt64(1) << UInt64(slot - 1)
            if low == high { low -= 1 }
            target.write(
                "\(rightAligned(String(low), numberWidth)) -> \(leftAligned(String(high), numberWidth)) : "
                    + "\(leftAligned(String(count), 8)) |\(leftAligned(bar(count, max: maxCount, width: stars), stars))|\n")
        }
    }

    static func writeLinear<Target: TextOutputStream>(
        dense vals: [UInt64], valType: String, stripLeadingZero: Bool, to target: inout Target
    ) {
        let (lastNonZero, maxCount) = extent(vals)
        guard lastNonZero >= 0 else { return }
        target.write("     \(leftAligned(valType, 13)) : count     distribution\n")
        var skipping = stripLeadingZero
        for slot in 0...lastNonZero {
            let count = vals[slot]
            if skipping {
                if count == 0 { continue }
                skipping = false
            }
            target.write(
                "        \(leftAligned(String(slot), 10)) : \(leftAligned(String(count), 8)) "
                    + "|\(leftAligned(bar(count, max: maxCount, width: starsMax), starsMax))|\n")
        }
    }

    /// The last non-zero slot (-1 if none) and the largest count, slot 0 included.
    static func extent(_ vals: [UInt64]) -> (lastNonZero: Int, maxCount: UInt64) {
        var lastNonZero = -1
        var maxCount: UInt64 = 0
        for (slot, count) in vals.enumerated() where count > 0 {
            lastNonZero = slot
            maxCount = max(maxCount, count)
        }
        return (lastNonZero, maxCount)
    }

    /// The star bar: as many stars as the double nearest to `width * count / max`
    /// has whole units (bcc compares against Python's correctly rounded true
    /// division), capped at `width`.
    static func bar(_ count: UInt64, max maxCount: UInt64, width: Int) -> String {
        guard count > 0, maxCount > 0 else { return "" }
        let product = UInt64(width).multipliedFullWidth(by: count)
        // count <= maxCount in a histogram, so the quotient (at most width) fits.
        guard product.high < maxCount else { return String(repeating: "*", count: width) }
        var (whole, remainder) = maxCount.dividingFullWidth(product)
        if remainder != 0 {
            // The quotient lies just below whole + 1; it rounds up to it when it is
            // within half a unit in the last place below whole + 1 (ties go to the
            // integer, whose significand is even).
            let next = whole + 1
            let exponent = UInt64.bitWidth - 1 - next.leadingZeroBitCount
            let shift = 53 - exponent + (next.nonzeroBitCount == 1 ? 1 : 0)
            let gap = (maxCount - remainder).multipliedFullWidth(by: UInt64(1) << UInt64(shift))
            if gap.high == 0 && gap.low <= maxCount { whole = next }
        }
        let stars = Int(min(whole, UInt64(width)))
        return String(repeating: "*", count: stars)
    }

    static func leftAligned(_ text: String, _ width: Int) -> String {
        let padding = width - text.count
        return padding > 0 ? text + String(repeating: " ", count: padding) : text
    }

    static func rightAligned(_ text: String, _ width: Int) -> String {
        let padding = width - text.count
        return padding > 0 ? String(repeating: " ", count: padding) + text : text
    }
}

extension Histogram.Section: Sendable where Key: Sendable {}
extension Histogram.Section: Equatable where Key: Equatable {}
