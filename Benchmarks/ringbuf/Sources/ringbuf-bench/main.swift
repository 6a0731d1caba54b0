// ringbuf-bench: one BPF producer (batches of 8-byte records, as the kernel's
// bench_ringbufs), consumed in turn by the Swift callback reader, the Swift
// AsyncSequence, libbpf's ring_buffer__poll (a C consumer), bcc's Python
// ring buffer poll, and a Swift perf buffer; in back-to-back mode (the
// consumer triggers the next batch after each poll, so consumer cost
// decides the rate) and in parallel mode (a producer thread runs flat out).
//
//   ringbuf-bench [--seconds S] [--batch N] [--libbpf PATH] [--bcc PATH]
//
// run.sh builds everything (release) and runs this; see the README there.
import Dispatch
import EBPF
import Foundation
import Synchronization

// MARK: - Options

struct Options {
    var seconds = 2.0
    var batch = 500
    var ringPages = 128      // 512 KiB, bench_ringbufs' default
    var perfPages = 128      // per CPU, bench_ringbufs' default
    var libbpfConsumer: String?
    var bccConsumer: String?
    /// Consumers to run (substrings of their names); all when empty.
    var only: [String] = []
    var modes: [Mode] = Mode.allCases

    init(_ arguments: [String]) {
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--seconds": seconds = Double(iterator.next() ?? "") ?? seconds
            case "--batch": batch = Int(iterator.next() ?? "") ?? batch
            case "--libbpf": libbpfConsumer = iterator.next()
            case "--bcc": bccConsumer = iterator.next()
            case "--only": only.append(iterator.next() ?? "")
            case "--mode": modes = [Mode(rawValue: iterator.next() ?? "") ?? .backToBack]
            default: print("unknown argument \(argument)"); exit(64)
            }
        }
    }
}

enum Mode: String, CaseIterable {
    case backToBack = "back-to-back"
    case parallel
}

struct Measurement {
    var consumer: String
    var mode: Mode
    var records: Int
    var seconds: Double
    var lost: UInt64
    var note = ""
    var rate: Double { Double(records) / seconds }
}

let options = Options(Array(CommandLine.arguments.dropFirst()))

// MARK: - Shared pieces

func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// A flag the producer thread polls.
final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    var isSet: Bool { flag.load(ordering: .relaxed) }
    func set() { flag.store(true, ordering: .relaxed) }
}

/// Runs `producer` flat out on a thread of its own until `stop` is set.
func startProducerThread(_ producer: BatchProducer, stop: StopFlag) -> DispatchSemaphore {
    let finished = DispatchSemaphore(value: 0)
    let thread = Thread {
        while !stop.isSet { try? producer.trigger() }
        finished.signal()
    }
    thread.start()
    return finished
}

/// Empties whatever a previous consumer left in the ring.
func drain(_ ring: Map) throws {
    let reader = try RingBuffer(map: ring)
    defer { reader.close() }
    try reader.consume { _ in }
}

/// malloc calls so far, when run under run.sh's malloc counter (LD_PRELOAD).
let mallocCount: (@convention(c) () -> UInt)? = {
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "bench_malloc_count") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) () -> UInt).self)
}()

// MARK: - Swift consumers

func swiftCallback(_ mode: Mode, ring: Map, producer: BatchProducer) throws -> Measurement {
    let poller = try RingBufferPoller()
    defer { poller.close() }
    var records = 0
    try poller.add(map: ring) { _ in records += 1 }
    let start = now()
    switch mode {
    case .backToBack:
        while now() - start < options.seconds {
            try producer.trigger()
            try poller.poll(timeout: -1)
        }
    case .parallel:
        let stop = StopFlag()
        let finished = startProducerThread(producer, stop: stop)
        while now() - start < options.seconds { try poller.poll(timeout: 100) }
        stop.set()
        finished.wait()
        try poller.consume()
    }
    return Measurement(consumer: "Swift callback", mode: mode, records: records, seconds: now() - start,
                       lost: try producer.dropped())
}

func swiftAsyncSequence(_ mode: Mode, ring: Map, producer: BatchProducer) async throws -> Measurement {
    let reader = try RingBuffer(map: ring)
    defer { reader.close() }
    var records = 0
    let start = now()
    switch mode {
    case .backToBack:
        try producer.trigger()
        for try await _ in reader.records() {
            records += 1
            if records % producer.batch == 0 {
                if now() - start >= options.seconds { break }
                try producer.trigger()
            }
        }
    case .parallel:
        let stop = StopFlag()
        let finished = startProducerThread(producer, stop: stop)
        var iterator = reader.records().makeAsyncIterator()
        // Check the clock every 1024 records; the producer never pauses long.
        while try await iterator.next() != nil {
            records += 1
            if records & 1023 == 0, now() - start >= options.seconds { break }
        }
        stop.set()
        finished.wait()
        try reader.consume { _ in records += 1 }
    }
    return Measurement(consumer: "Swift AsyncSequence", mode: mode, records: records, seconds: now() - start,
                       lost: try producer.dropped())
}

func swiftPerfBuffer(_ mode: Mode, perfArray: Map, producer: BatchProducer) throws -> Measurement {
    var records = 0
    var lost: UInt64 = 0
    let poller = try PerfBufferPoller()
    defer { poller.close() }
    try poller.add(PerfBuffer(map: perfArray, pageCount: options.perfPages, onSample: { _, _ in records += 1 },
                              onLost: { _, count in lost += count }))
    let start = now()
    switch mode {
    case .backToBack:
        while now() - start < options.seconds {
            try producer.trigger()
            try poller.poll(timeout: -1)
        }
    case .parallel:
        let stop = StopFlag()
        let finished = startProducerThread(producer, stop: stop)
        while now() - start < options.seconds { try poller.poll(timeout: 100) }
        stop.set()
        finished.wait()
        try poller.consume()
    }
    let elapsed = now() - start
    return Measurement(consumer: "Swift perf buffer", mode: mode, records: records, seconds: elapsed,
                       lost: try producer.dropped(), note: "lost records reported: \(lost)")
}

// MARK: - External consumers

/// Runs a consumer process that opens the ring and the producer by id and
/// prints "records N seconds S" (or "error ...").
func external(_ name: String, command: [String], mode: Mode, ring: Map, producer: BatchProducer) throws -> Measurement {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: command[0])
    process.arguments = Array(command.dropFirst()) + [
        mode == .backToBack ? "b2b" : "parallel", String(try ring.id), String(producer.program.id),
        String(options.seconds),
    ]
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    let fields = text.split(whereSeparator: \.isWhitespace)
    guard process.terminationStatus == 0, fields.count >= 4, fields[0] == "records",
          let records = Int(fields[1]), let seconds = Double(fields[3]) else {
        let reason = (text + errorText).split(separator: "\n").last.map(String.init) ?? "exit \(process.terminationStatus)"
        return Measurement(consumer: name, mode: mode, records: 0, seconds: 1, lost: 0, note: "failed: \(reason)")
    }
    return Measurement(consumer: name, mode: mode, records: records, seconds: seconds, lost: try producer.dropped())
}

// MARK: - Allocation check

/// malloc calls per record while the callback reader consumes a full ring.
func callbackAllocations(ring: Map, producer: BatchProducer) throws -> String {
    guard let mallocCount else { return "not measured (run under run.sh's malloc counter)" }
    let poller = try RingBufferPoller()
    defer { poller.close() }
    var records = 0
    try poller.add(map: ring) { _ in records += 1 }
    for _ in 0..<40 { try producer.trigger() }           // 20,000 records, about 390 KiB of the ring
    let before = mallocCount()
    while try poller.poll(timeout: 0) > 0 {}
    let calls = mallocCount() - before
    return "\(calls) malloc calls for \(records) records (\(String(format: "%.4f", Double(calls) / Double(max(records, 1)))) per record)"
}

/// malloc calls per record while the AsyncSequence reads a full ring.
func asyncSequenceAllocations(ring: Map, producer: BatchProducer) async throws -> String {
    guard let mallocCount else { return "not measured (run under run.sh's malloc counter)" }
    let reader = try RingBuffer(map: ring)
    defer { reader.close() }
    for _ in 0..<40 { try producer.trigger() }
    let total = 40 * producer.batch
    var records = 0
    var iterator = reader.records().makeAsyncIterator()
    _ = try await iterator.next()                        // the first call sets up the reader
    records += 1
    let before = mallocCount()
    while records < total, try await iterator.next() != nil { records += 1 }
    let calls = mallocCount() - before
    return "\(calls) malloc calls for \(records - 1) records (\(String(format: "%.4f", Double(calls) / Double(max(records - 1, 1)))) per record)"
}

// MARK: - Run

let pageSize = Int(getpagesize())
let ring = try Map(type: .ringBuffer, name: "bench_ring", keySize: 0, valueSize: 0, maxEntries: options.ringPages * pageSize)
let perfArray = try Map(type: .perfEventArray, name: "bench_perf", keySize: 4, valueSize: 4, maxEntries: PossibleCPUs.count())
let ringProducer = try BatchProducer(target: .ringBuffer, buffer: ring, batch: options.batch)
let perfProducer = try BatchProducer(target: .perfBuffer, buffer: perfArray, batch: options.batch)

print("ring buffer \(options.ringPages) pages, perf buffer \(options.perfPages) pages per CPU, batch \(options.batch) records of 8 bytes, \(options.seconds) s per run, \(ProcessInfo.processInfo.activeProcessorCount) CPUs")
var results: [Measurement] = []
func selected(_ consumer: String) -> Bool {
    options.only.isEmpty || options.only.contains { consumer.localizedCaseInsensitiveContains($0) }
}

for mode in options.modes {
    func run(_ consumer: String, _ body: () throws -> Measurement) throws {
        guard selected(consumer) else { return }
        try drain(ring)
        try ringProducer.resetDropped()
        try perfProducer.resetDropped()
        let result = try body()
        results.append(result)
        print(String(format: "  %-12@ %-26@ %8.2f M records/s  lost %-10llu %@", mode.rawValue,
                     result.consumer, result.rate / 1e6, result.lost, result.note))
    }
    try run("Swift callback") { try swiftCallback(mode, ring: ring, producer: ringProducer) }
    if selected("Swift AsyncSequence") {
        try drain(ring)
        try ringProducer.resetDropped()
        let asyncResult = try await swiftAsyncSequence(mode, ring: ring, producer: ringProducer)
        results.append(asyncResult)
        print(String(format: "  %-12@ %-26@ %8.2f M records/s  lost %-10llu", mode.rawValue,
                     asyncResult.consumer, asyncResult.rate / 1e6, asyncResult.lost))
    }
    if let libbpf = options.libbpfConsumer {
        try run("libbpf ring_buffer__poll") {
            try external("libbpf ring_buffer__poll", command: [libbpf], mode: mode, ring: ring, producer: ringProducer)
        }
    }
    if let bcc = options.bccConsumer {
        try run("bcc Python poll") {
            try external("bcc Python poll", command: ["/usr/bin/python3", bcc], mode: mode, ring: ring, producer: ringProducer)
        }
    }
    try run("Swift perf buffer") { try swiftPerfBuffer(mode, perfArray: perfArray, producer: perfProducer) }
}

print("\nratios (records/s):")
for mode in options.modes {
    func rate(_ consumer: String) -> Double? {
        results.first { $0.mode == mode && $0.consumer == consumer && $0.records > 0 }?.rate
    }
    func ratio(_ numerator: String, _ denominator: String) -> String {
        guard let top = rate(numerator), let bottom = rate(denominator) else { return "n/a" }
        return String(format: "%.2fx", top / bottom)
    }
    print("  \(mode.rawValue): Swift callback / libbpf \(ratio("Swift callback", "libbpf ring_buffer__poll")),"
        + " AsyncSequence / libbpf \(ratio("Swift AsyncSequence", "libbpf ring_buffer__poll")),"
        + " Swift callback / bcc Python \(ratio("Swift callback", "bcc Python poll")),"
        + " Swift callback / Swift perf buffer \(ratio("Swift callback", "Swift perf buffer"))")
}
try drain(ring)
print("\nallocations on the callback path: \(try callbackAllocations(ring: ring, producer: ringProducer))")
try drain(ring)
print("allocations in the AsyncSequence: \(try await asyncSequenceAllocations(ring: ring, producer: ringProducer))")
