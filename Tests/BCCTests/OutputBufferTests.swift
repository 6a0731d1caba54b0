import BCC
import Foundation
import Testing

/// The tools' output buffer: printf's fields formatted in place, one write per flush.
@Suite struct OutputBufferTests {
    @Test func formatsNumbersAsPrintfDoes() {
        let output = OutputBuffer(descriptor: -1)
        output.append(42, width: 6, leftAligned: true)
        output.append(UInt8(ascii: "|"))
        output.append(-1, width: 4)
        output.append(UInt8(ascii: "|"))
        output.append(Int64.min)
        output.append(UInt8(ascii: "|"))
        output.append(1_234_567, width: 3)
        output.append(UInt8(ascii: "|"))
        output.append(octal: 0o101, digits: 8)
        output.append(UInt8(ascii: "|"))
        output.append(octal: 0o7654321, digits: 2)
        output.append(UInt8(ascii: "|"))
        output.append(zeroPadded: 1, digits: 6)
        #expect(output.text == "42    |  -1|-9223372036854775808|1234567|00000101|7654321|000001")
    }

    @Test func copiesCStringsUpToTheirNulAndPadsByCharacter() {
        let output = OutputBuffer(descriptor: -1)
        let comm: [UInt8] = Array("cat".utf8) + [0, 0x41, 0x42]
        comm.withUnsafeBytes { output.append(cString: $0, width: 6) }
        output.append(UInt8(ascii: "|"))
        // No NUL: the whole field.
        Array("full".utf8).withUnsafeBytes { output.append(cString: $0) }
        output.append(UInt8(ascii: "|"))
        // "é" is two bytes, one character.
        Array("é".utf8).withUnsafeBytes { output.append(cString: $0, width: 3) }
        output.append(UInt8(ascii: "|"))
        #expect(output.text == "cat   |full|é  |")
    }

    @Test func writesEachFlushWithOneWrite() throws {
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        defer { close(fds[0]) }
        let output = OutputBuffer(descriptor: fds[1], capacity: 4096)
        for index in 0 ..< 100 { output.appendLine("line \(index)") }
        #expect(!output.isEmpty)
        output.flush()
        #expect(output.isEmpty)
        close(fds[1])
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(fds[0], &chunk, chunk.count)
            if count <= 0 { break }
            received += chunk[0 ..< count]
        }
        let lines = String(decoding: received, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 100)
        #expect(lines.last == "line 99")
    }

    @Test func aFullBufferIsWrittenOutEarly() throws {
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        defer { close(fds[0]) }
        let output = OutputBuffer(descriptor: fds[1], capacity: 256)
        for _ in 0 ..< 30 { output.appendLine("0123456789") }  // 330 bytes: one early write
        var chunk = [UInt8](repeating: 0, count: 4096)
        let early = read(fds[0], &chunk, chunk.count)
        #expect(early > 0 && early <= 256)
        output.flush()
        close(fds[1])
        var total = max(early, 0)
        while true {
            let count = read(fds[0], &chunk, chunk.count)
            if count <= 0 { break }
            total += count
        }
        #expect(total == 330)
    }
}
