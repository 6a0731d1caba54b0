// Loads Benchmarks/xdp/xdp_count.c with BPF(srcFile:), attaches it to a
// device with XDP, and reports the frames it counted per second over a
// measured interval, like bcc_xdp_count.py does with bcc's Python.
//   xdp-bench PROGRAM DEVICE SECONDS WARMUP [generic|driver]
// Prints "attached" once the program runs, then "pps=N frames=M seconds=T".
import BCC
import EBPF
import Foundation

let arguments = CommandLine.arguments
guard arguments.count >= 5, let seconds = Double(arguments[3]), let warmup = Double(arguments[4]) else {
    FileHandle.standardError.write(Data("usage: xdp-bench PROGRAM DEVICE SECONDS WARMUP [generic|driver]\n".utf8))
    exit(2)
}
let (path, device) = (arguments[1], arguments[2])
let flags: XDPFlags = arguments.count > 5 && arguments[5] == "generic" ? .generic : arguments.count > 5 ? .driver : []

do {
    let b = try BPF(srcFile: path)
    defer { b.close() }
    try b.attachXdp(dev: device, fnName: "xdp_count", flags: flags)
    let packets = try b["packets"].typed(key: Int32.self, value: UInt64.self)
    func total() throws(BCCError) -> UInt64 {
        var sum: UInt64 = 0
        for index in Int32(0)..<256 { sum &+= try packets.sum(index) ?? 0 }
        return sum
    }
    FileHandle.standardOutput.write(Data("attached\n".utf8))
    Thread.sleep(forTimeInterval: warmup)
    let (start, first) = (Date(), try total())
    Thread.sleep(forTimeInterval: seconds)
    let (end, last) = (Date(), try total())
    let elapsed = end.timeIntervalSince(start)
    print("pps=\(Double(last - first) / elapsed) frames=\(last - first) seconds=\(elapsed)")
} catch {
    FileHandle.standardError.write(Data("xdp-bench: \(error)\n".utf8))
    exit(1)
}
