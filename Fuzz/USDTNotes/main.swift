// libFuzzer target for the USDT parsers in ELF: .note.stapsdt notes (with
// the .stapsdt.base adjustment, grouping, file offsets, symbol resolution)
// and the argument spec grammar for x86-64 and AArch64. Any input must give
// a value or an error, never a trap, a hang or an out-of-bounds read.
import ELF

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzUSDT(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let elf = try? ELFFile(bytes: bytes), let probes = try? elf.sdtProbes() {
        for probe in probes {
            _ = probe.semaphores
            for location in probe.locations {
                for argument in (try? location.arguments()) ?? [] { _ = argument.description }
            }
        }
    } else {
        // Not an ELF file: the bytes are an argument list, parsed for both machines.
        let text = String(decoding: bytes, as: UTF8.self)
        for machine in [62, 183] as [UInt16] {
            for argument in (try? SDTArgument.parseList(text, machine: machine)) ?? [] { _ = argument.description }
        }
    }
    return 0
}
