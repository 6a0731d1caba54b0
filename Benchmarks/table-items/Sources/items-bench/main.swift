// items-bench: reads a 100,000-key BPF hash table with Table.items() (batches
// where the kernel has them), as bcc's Python `table.items()` does in
// bcc_items.py, and prints the CPU and wall seconds per read.
//
//   items-bench [--keys N] [--repeat R]
//
// stdout: RESULT name=items_100k.swift (CPU seconds per items() call) and
// items_100k_wall.swift (wall seconds), the contract of Benchmarks/run.
import BCC
import Foundation

var keys = 100_000
var repeats = 10
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--keys": keys = Int(arguments.next() ?? "") ?? keys
    case "--repeat": repeats = Int(arguments.next() ?? "") ?? repeats
    default:
        FileHandle.standardError.write(Data("unknown argument \(argument)\n".utf8))
        exit(64)
    }
}

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

func wallSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

let b = try BPF(text: "BPF_HASH(counts, u32, u64, \(keys));\n", autoAttach: false)
defer { b.close() }
let table = try b["counts"]
// Filled from here, in one batch: key i -> i * 2.
try table.itemsUpdateBatch(keys: (0 ..< UInt32(keys)).map { withUnsafeBytes(of: $0) { Array($0) } },
                           values: (0 ..< UInt64(keys)).map { withUnsafeBytes(of: $0 * 2) { Array($0) } })
guard try table.items().count == keys else {
    FileHandle.standardError.write(Data("items-bench: the table does not hold \(keys) keys\n".utf8))
    exit(1)
}
let cpuStart = cpuSeconds(), wallStart = wallSeconds()
var checksum: UInt64 = 0
for _ in 0 ..< repeats {
    for item in try table.items() { checksum &+= UInt64(item.value[0]) }
}
let cpu = (cpuSeconds() - cpuStart) / Double(repeats), wall = (wallSeconds() - wallStart) / Double(repeats)
print("RESULT name=items_100k.swift value=\(String(format: "%.5f", cpu)) unit=s")
print("RESULT name=items_100k_wall.swift value=\(String(format: "%.5f", wall)) unit=s")
FileHandle.standardError.write(Data("items-bench: \(keys) keys, \(repeats) reads, checksum \(checksum)\n".utf8))
