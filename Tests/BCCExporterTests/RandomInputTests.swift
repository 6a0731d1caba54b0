import BCC
import Foundation
import Testing
@testable import BCCExporter

/// Arbitrary input never crashes: random key bytes through every decoder and
/// every chain the parser accepts, random records through a ring counter,
/// and mutated configs through the parser (errors, never traps). Seeded, so
/// a failure repeats.
@Suite struct RandomInputTests {
    /// xorshift64*: deterministic bytes.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state >> 12; state ^= state << 25; state ^= state >> 27
            return state &* 2685821657736338717
        }
        mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
        mutating func bytes(_ count: Int) -> [UInt8] { (0 ..< count).map { _ in UInt8(truncatingIfNeeded: next()) } }
    }

    static let system = DecoderSystem(kernelSymbols: { KernelSymbols(kallsyms: "ffffffff81000000 T _stext\nffffffff81234560 T vfs_read\n") },
                                      partitions: { " 254 0 100 vda\n" }, cgroupRoot: "/nonexistent",
                                      interfaceName: { _ in nil })

    static let chains: [[DecoderSpec]] = [
        [.uint], [.string], [.hex], [.inetIP], [.ksym], [.kstack], [.majorMinor], [.ifname], [.dname],
        [.uint, .syscall], [.uint, .errno], [.uint, .cgroup], [.uint, .staticMap(mapping: ["1": "one"], allowUnknown: false)],
        [.string, .regexp(patterns: ["^(a+)b", "x"])], [.hex, .staticMap(mapping: [:], allowUnknown: true)],
    ]

    @Test func decodersTakeAnyBytes() {
        var random = Random(state: 0x9e3779b97f4a7c15)
        for _ in 0 ..< 20_000 {
            let chain = Self.chains[random.below(Self.chains.count)]
            let size = [1, 2, 3, 4, 5, 8, 16, 17, 24, 64][random.below(10)]
            let bytes = random.bytes(size)
            // Errors are fine (a size a decoder does not read); traps are not.
            _ = try? LabelDecoderChain(chain, system: Self.system).decode(bytes[...])
        }
    }

    @Test func ringRecordsOfAnyLength() {
        var random = Random(state: 42)
        let counter = RingCounter(metric: CounterMetric(name: "r", help: "R", ringBuffer: true),
                                  layout: KeyLayout(labels: [LabelSpec(name: "a", size: 4, padding: 4, decoders: [.uint]),
                                                             LabelSpec(name: "b", size: 3, decoders: [.string])], system: Self.system))
        var records = 0
        for _ in 0 ..< 5_000 {
            let bytes = random.bytes(random.below(40))
            bytes.withUnsafeBytes { counter.record($0) }
            records += 1
        }
        let snapshot = counter.snapshot()
        #expect(snapshot.records == UInt64(records))
        #expect(snapshot.decodeErrors > 0)
    }

    @Test func mutatedConfigsAreErrorsNotCrashes() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Examples/exporter")
        let seeds = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".yaml") }.sorted()
            .map { try String(contentsOf: directory.appendingPathComponent($0), encoding: .utf8) }
        var random = Random(state: 7)
        let alphabet = Array(" :-[]{}#|>'\"\n\t0123456789abcxyz_.&*!%@`".utf8)
        var parsed = 0
        for _ in 0 ..< 3_000 {
            var bytes = Array(seeds[random.below(seeds.count)].utf8)
            for _ in 0 ..< 1 + random.below(4) {
                let at = random.below(bytes.count)
                switch random.below(3) {
                case 0: bytes[at] = alphabet[random.below(alphabet.count)]
                case 1: bytes.remove(at: at)
                default: bytes.insert(alphabet[random.below(alphabet.count)], at: at)
                }
            }
            // program: files resolve against /nonexistent, so most parse to a located error.
            if (try? ConfigParser.parse(String(decoding: bytes, as: UTF8.self), file: "/nonexistent/fuzz.yaml")) != nil { parsed += 1 }
        }
        #expect(parsed < 3_000)
    }
}
