// Kernel addresses to names and back, from /proc/kallsyms, the way bcc's
// KSyms does it: text symbols only, sorted once, binary searched.

/// The kernel's text symbols, read from /proc/kallsyms.
///
/// Like bcc, data symbols (types b, d, r in either case) and zero or user-space
/// addresses are left out, and a symbol without a `[module]` column belongs to
/// the module "kernel". ``shared`` loads the table once per process.
public final class KernelSymbols: Sendable {
    /// One kernel symbol.
    public struct Symbol: Hashable, Sendable {
        /// The symbol's name.
        public var name: String
        /// Its module: the bracketed kallsyms column, or "kernel".
        public var module: String
        /// Its address.
        public var address: UInt64

        /// Creates a symbol.
        public init(name: String, module: String, address: UInt64) {
            self.name = name
            self.module = module
            self.address = address
        }
    }

    /// The symbols sorted by address (stable: equal addresses keep file order).
    public let symbols: [Symbol]
    private let addressesByName: [String: UInt64]

    /// Lowest address bcc treats as a kernel address on 64-bit machines.
    static let kernelAddressSpaceStart: UInt64 = 0x00ff_ffff_ffff_ffff

    /// Parses the text of /proc/kallsyms (lines of `address type name [module]`).
    public init(kallsyms text: String) {
        var parsed: [Symbol] = []
        parsed.reserveCapacity(text.utf8.count / 40)
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if let symbol = Self.parse(line: line) { parsed.append(symbol) }
        }
        symbols = parsed.enumerated()
            .sorted { ($0.element.address, $0.offset) < ($1.element.address, $1.offset) }
            .map(\.element)
        // Later symbols win for a repeated name, as in bcc's name index.
        var byName: [String: UInt64] = [:]
        byName.reserveCapacity(symbols.count)
        for symbol in symbols { byName[symbol.name] = symbol.address }
        addressesByName = byName
    }

    /// Reads and parses `path` (by default /proc/kallsyms).
    ///
    /// Without root or CAP_SYSLOG the kernel prints zero addresses, which are
    /// skipped, so the table is empty rather than wrong.
    public static func load(path: String = "/proc/kallsyms") throws(SymbolError) -> KernelSymbols {
        KernelSymbols(kallsyms: try ProcFile.text(path))
    }

    private static let sharedTable = LockedCache<KernelSymbols>()

    /// The kernel symbols of this machine, loaded from /proc/kallsyms on first use.
    public static func shared() throws -> KernelSymbols {
        try sharedTable.value { try load() }
    }

    /// The symbol containing `address` (the last one at or below it) and the
    /// offset of `address` from its start, or nil below the first symbol.
    public func resolve(_ address: UInt64) -> (symbol: Symbol, offset: UInt64)? {
        // First index whose address is greater than `address`.
        var low = 0, high = symbols.count
        while low < high {
            let middle = (low + high) / 2
            if symbols[middle].address <= address { low = middle + 1 } else { high = middle }
        }
        guard low > 0 else { return nil }
        let symbol = symbols[low - 1]
        return (symbol, address - symbol.address)
    }

    /// The address of the kernel symbol `name`, or nil if there is none.
    public func address(of name: String) -> UInt64? {
        addressesByName[name]
    }

    /// One kallsyms line, or nil for lines bcc ignores.
    static func parse(line: Substring) -> Symbol? {
        let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard fields.count >= 3, let address = UInt64(fields[0], radix: 16),
              address != 0, address != UInt64.max, address >= kernelAddressSpaceStart
        else { return nil }
        guard let type = fields[1].first, !"bBdDrR".contains(type) else { return nil }
        var module = "kernel"
        if fields.count >= 4, fields[3].hasPrefix("["), fields[3].hasSuffix("]") {
            module = String(fields[3].dropFirst().dropLast())
        }
        return Symbol(name: String(fields[2]), module: module, address: address)
    }
}

// MARK: - bcc's helpers

extension KernelSymbols {
    /// The kernel function containing `address`, as bcc's `BPF.ksym` spells it:
    /// `name`, `name+0xoff` with `showOffset`, ` [module]` with `showModule`,
    /// and "[unknown]" when no symbol covers it or kallsyms is unreadable.
    public static func ksym(_ address: UInt64, showModule: Bool = false, showOffset: Bool = false) -> String {
        let match = (try? shared())?.resolve(address)
        return SymbolFormat.format(
            name: match?.symbol.name, offset: match?.offset ?? 0, module: match?.symbol.module,
            showModule: showModule, showOffset: showOffset)
    }

    /// The address of the kernel symbol `name` (bcc's `BPF.ksymname`), or nil
    /// where bcc returns -1.
    public static func ksymname(_ name: String) -> UInt64? {
        (try? shared())?.address(of: name)
    }
}
