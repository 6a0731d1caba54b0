// libFuzzer target for the byte and text parsers of the attach code: the
// dynamic linker's cache (LinkerCache, read to resolve library names for
// uprobes) and tracefs event format files (TracepointFormat). The first
// input byte picks the parser; each must return a value or throw, never trap
// or read out of bounds.
@testable import EBPF
import BPFObject

/// Parsed values are folded into here so the optimizer keeps the work.
nonisolated(unsafe) var resultChecksum = 0

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAttachParsers(_ start: UnsafePointer<UInt8>, _ count: Int) -> Int32 {
    guard count > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: start + 1, count: count - 1))
    if start[0] & 1 == 0 {
        if let cache = try? LinkerCache(bytes: bytes, path: "fuzz") {
            for entry in cache.entries { resultChecksum &+= entry.name.utf8.count &+ entry.path.utf8.count }
            resultChecksum &+= cache.path { $0.hasPrefix("libc.so") }?.utf8.count ?? 0
        }
    } else {
        if let format = try? TracepointFormat(parsing: String(decoding: bytes, as: UTF8.self), path: "fuzz") {
            for field in format.fields {
                precondition(!field.name.isEmpty && !field.type.isEmpty, "a parsed field has a name and a type")
                resultChecksum &+= field.offset &+ field.size &+ (field.arrayLength ?? 0)
            }
        }
    }
    return 0
}
