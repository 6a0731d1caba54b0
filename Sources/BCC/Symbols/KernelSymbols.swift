// Kernel addresses to names and back, from /proc/kallsyms, the way bcc's
// KSyms does it: text symbols only, sorted once, binary searched.
import Synchronization

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
    /// Built on first use of ``address(of:)``.
    private let addressesByName = Mutex<[String: UInt64]?>(nil)

    /// Lowest address bcc treats as a kernel address on 64-bit machines.
    static let kernelAddressSpaceStart: UInt64 = 0x00ff_ffff_ffff_ffff

    /// Parses the text of /proc/kallsyms (lines of `address type name [module]`).
    public convenience init(kallsyms text: String) {
        self.init(kallsyms: Array(text.utf8))
    }

    /// Parses the bytes of /proc/kallsyms.
    public init(kallsyms bytes: [UInt8]) {
        var parsed: [Symbol] = []
        parsed.reserveCapacity(bytes.count / 40)
        bytes.withUnsafeBufferPointer { buffer in
            var lineStart = 0
            while lineStart < buffer.count {
                var lineEnd = lineStart
                while lineEnd < buffer.count && buffer[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
                if let symbol = Self.parse(line: UnsafeBufferPointer(rebasing: buffer[lineStart ..< lineEnd])) {
                    parsed.append(symbol)
                }
                lineStart = lineEnd + 1
            }
        }
        // kallsyms is nearly sorted already; a stable sort keeps file order for equal addresses.
        if zip(parsed, parsed.dropFirst()).contains(where: { $0.address > $1.address }) {
            parsed = parsed.enumerated()
                .sorted { ($0.element.address, $0.offset) < ($1.element.address, $1.offset) }
                .map(\.element)
        }
        symbols = parsed
    }

    /// The symbol containing `address` (the last one at or below it) and the
    /// offset of `address` from its start, or nil below the first symbol.
    public func resolve(_ address: UInt64) -> (symbol: Symbol, offset: UInt64)? {
        let low = symbols.endOfRun(atOrBelow: address, address: \.address)
        guard low > 0 else { return nil }
        let symbol = symbols[low - 1]
        return (symbol, address - symbol.address)
    }

    /// The address of the kernel symbol `name`, or nil if there is none.
    public func address(of name: String) -> UInt64? {
        addressesByName.withLock { byName in
            if byName == nil {
                // Later symbols win for a repeated name, as in bcc's name index.
                var index: [String: UInt64] = [:]
                index.reserveCapacity(symbols.count)
                for symbol in symbols { index[symbol.name] = symbol.address }
                byName = index
            }
            return byName?[name]
        }
    }

    /// One kallsyms line, or nil for lines bcc ignores.
    static func parse(line: UnsafeBufferPointer<UInt8>) -> Symbol? {
        // Columns: hex address, type letter, name, then an optional "[module]".
        var index = 0
        func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        func nextColumn() -> Range<Int>? {
            while index < line.count && isBlank(line[index]) { index += 1 }
            let start = index
            while index < line.count && !isBlank(line[index]) { index += 1 }
            return index > start ? start ..< index : nil
        }
        guard let addressColumn = nextColumn(), addressColumn.count <= 16,
              let typeColumn = nextColumn(), typeColumn.count == 1,
              let nameColumn = nextColumn()
        else { return nil }
        var address: UInt64 = 0
        for position in addressColumn {
            guard let value = hexValue(line[position]) else { return nil }
            address = address << 4 | UInt64(value)
        }
        guard address != 0, address != UInt64.max, address >= kernelAddressSpaceStart else { return nil }
        // Data symbols (bss, data, read-only data; local or global) are left out.
        switch line[typeColumn.lowerBound] {
        case UInt8(ascii: "b"), UInt8(ascii: "B"), UInt8(ascii: "d"), UInt8(ascii: "D"),
             UInt8(ascii: "r"), UInt8(ascii: "R"):
            return nil
        default:
            break
        }
        var module = "kernel"
        if let moduleColumn = nextColumn(), moduleColumn.count >= 2, line[moduleColumn.lowerBound] == UInt8(ascii: "["),
           line[moduleColumn.upperBound - 1] == UInt8(ascii: "]") {
            module = String(decoding: UnsafeBufferPointer(rebasing: line[moduleColumn.lowerBound + 1 ..< moduleColumn.upperBound - 1]),
                            as: UTF8.self)
        }
        return Symbol(name: String(decoding: UnsafeBufferPointer(rebasing: line[nameColumn]), as: UTF8.self),
                      module: module, address: address)
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0") ... UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a") ... UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A") ... UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
