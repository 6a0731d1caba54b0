// libFuzzer target for the object parsers: ELF (sections, symbols, GNU
// versions, relocations, symbol file offsets), .BTF.ext, and ObjectSpec
// (BTF maps, global data, relocations, linking). Any input must give a value
// or an error, never a trap, a hang or an out-of-bounds read.
import BPFObject
import BTF
import ELF

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzObject(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let elf = try? ELFFile(bytes: bytes) {
        for section in elf.sections { _ = try? elf.contents(of: section) }
        let symbols = (try? elf.symbols()) ?? []
        _ = try? elf.dynamicSymbols()
        for rel in elf.relocationSections { _ = try? elf.relocations(in: rel.section) }
        for symbol in symbols.prefix(16) where !symbol.name.isEmpty {
            _ = try? elf.symbolFileOffset(named: symbol.name)
        }
        _ = try? elf.symbolFileOffset(named: "malloc@@GLIBC_2.2.5")
    }
    _ = try? BTFExt(bytes: bytes)
    _ = try? ObjectSpec(bytes: bytes, name: "fuzz")
    return 0
}
