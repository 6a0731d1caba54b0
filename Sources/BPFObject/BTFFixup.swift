import BTF
import ELF

// MARK: - BTFFixup

/// Rewrites the object's `.BTF` the way the kernel needs it, as a linker
/// would have: clang leaves DATASEC sizes and variable offsets for the
/// linker to fill in, and marks hidden global functions as global, which
/// makes the verifier check them apart from their callers.
enum BTFFixup {
    /// Returns a copy of `btf.bytes` with:
    /// - each DATASEC's size set to its ELF section's size, and each
    ///   variable's offset set to its symbol's value;
    /// - each FUNC of a hidden (`__hidden`, visibility 2) global function
    ///   given static linkage, as libbpf does.
    static func apply(to btf: BTF, elf: ELFFile, symbols: [ELFSymbol]) throws(BPFObjectError) -> [UInt8] {
        guard !btf.header.isByteSwapped else {
            throw .unsupported(what: ".BTF", detail: "big-endian BTF in a little-endian object")
        }
        var bytes = btf.bytes
        let sections = Dictionary(elf.sections.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let hiddenFunctions = Set(symbols.lazy.filter {
            $0.type == ELFSymbol.Kind.function && $0.binding == ELFSymbol.Binding.global && $0.visibility == 2
        }.map(\.name))

        for rawID in btf.ownTypeIDs {
            let id = BTFTypeID(rawID)
            guard let record = btf.rawRecord(of: id) else { continue }
            switch record.kind {
            case .dataSection:
                let name = btf.name(of: id)
                guard let section = sections[name] else { continue }
                guard let size = UInt32(exactly: section.size) else {
                    throw .malformed(what: "DATASEC \(name)", detail: "section size \(section.size) does not fit in 32 bits")
                }
                try write(size, at: record.byteOffset + 8, in: &bytes, what: "DATASEC \(name)")
                let bySymbol = Dictionary(symbols.lazy.filter { $0.sectionIndex == section.index && !$0.name.isEmpty }
                    .map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
                for (index, entry) in btf.dataSectionEntries(of: id).enumerated() {
                    guard btf.kind(of: entry.type) == .variable else { continue }
                    let variable = btf.name(of: entry.type)
                    guard let symbol = bySymbol[variable] else {
                        throw .malformed(what: "DATASEC \(name)", detail: "variable '\(variable)' has no symbol in section \(name)")
                    }
                    try write(UInt32(truncatingIfNeeded: symbol.value), at: record.byteOffset + 12 + index * 12 + 4,
                              in: &bytes, what: "DATASEC \(name)")
                }
            case .function where record.vlen == Int(BTFLinkage.global.rawValue):
                if hiddenFunctions.contains(btf.name(of: id)) {
                    let info = record.info & ~0xffff | BTFLinkage.static.rawValue
                    try write(info, at: record.byteOffset + 4, in: &bytes, what: "FUNC \(btf.name(of: id))")
                }
            default:
                continue
            }
        }
        return bytes
    }

    private static func write(_ value: UInt32, at offset: Int, in bytes: inout [UInt8], what: String) throws(BPFObjectError) {
        guard offset >= 0, offset + 4 <= bytes.count else {
            throw .malformed(what: what, detail: "record at offset \(offset) is outside the BTF (\(bytes.count) bytes)")
        }
        for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))) }
    }
}
