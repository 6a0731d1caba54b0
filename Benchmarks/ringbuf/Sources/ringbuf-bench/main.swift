// ringbuf-bench: one BPF producer (batches of records, as the kernel's
// bench_ringbufs), consumed in turn by the Swift callback reader, the Swift
// AsyncSequence, libbpf's ring_buffer__poll (a C consumer), bcc's Python
// ring buffer poll, and a Swift perf buffer; in back-to-back mode (the
// consumer triggers the next batch after each poll, so consumer cost
// decides the rate) and in parallel mode (a producer thread runs flat out).
//
//   ringbuf-bench [--seconds S] [--batch N] [--sizes 16,128,1024] [--mode b2b|parallel]
//                 [--only NAME]... [--libbpf PATH] [--bcc PATH] [--batches N]
//
// --batches N: back-to-back runs stop after N batches instead of after S
// seconds, so that a run under callgrind handles a known number of records.
//
// Prints, per measurement, `RESULT name=ringbuf.<mode>.<size>.<metric>.<impl>
// value=N unit=U` (metric: rate rec/s, lost records, lostshare % of produced, cpu s/Mrec,
// maxrss KiB)
// on stdout, and a readable table with ratios on stderr. run.sh builds
// everything and runs it.
import Dispatch
import EBPF
import Foundation
import Synchronization

// MARK: - Options

enum Mode: String, CaseIterable {
    case backToBack = "b2b"
    case parallel
}

struct Options {
    var seconds = 1.0
    var batch = 500
    var sizes = [16, 128, 1024]
    var modes = Mode.allCases
    var ringPages = 128      // 512 KiB, bench_ringbufs' default
    var perfPages = 128      // per CPU, bench_ringbufs' default
    var libbpfConsumer: String?
    var bccConsumer: String?
    /// Consumers to run (substrings of their impl names); all when empty.
    var only: [String] = []
    /// Back-to-back runs stop after this many batches when > 0.
    var batches = 0

    init(_ arguments: [String]) {
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--seconds": seconds = Double(iterator.next() ?? "") ?? seconds
            case "--batch": batch = Int(iterator.next() ?? "") ?? batch
            case "--sizes": sizes = (iterator.next() ?? "").split(separator: ",").compactMap { Int($0) }
            case "--mode": modes = [Mode(rawValue: iterator.next() ?? "") ?? .backToBack]
            case "--libbpf": libbpfConsumer = iterator.next()
            case "--bcc": bccConsumer = iterator.next()
            case "--only": only.append(iterator.next() ?? "")
            case "--batches": batches = Int(iterator.next() ?? "") ?? batches
            default:
                FileHandle.standardError.write("unknown argument \(argument)\n".data(using: .utf8)!)
                exit(64)
            }
        }
    }
}

/// One consumer's run.
struct Measurement {
    var impl: String
    var records: Int
    var seconds: Double
    /// The consumer's user + system CPU seconds.
    var cpuSeconds: Double
    var lost: UInt64
    var maxRSS: Int
    var failure: String?
    var rate: Double { Double(records) / seconds }
}

let options = Options(Array(CommandLine.arguments.dropFirst()))

func log(_ text: String) {
    FileHandle.standardError.write((text + "\n").data(using: .utf8)!)
}

// MARK: - Clocks and usage

func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// User + system CPU seconds of this process (`RUSAGE_SELF`) or this thread (`RUSAGE_THREAD`).
func cpuSeconds(_ who: Int32) -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(who), &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

let rusageSelf: Int32 = 0, rusageThread: Int32 = 1

func maxRSS() -> Int {
    var usage = rusage()
    getrusage(__rusage_who_t(rusageSelf), &usage)
    return usage.ru_maxrss
}

/// A flag the producer thread polls, and the CPU seconds that thread used.
final class ProducerThread: Sendable {
    private let stopFlag = Atomic<Bool>(false)
    private let cpuMicroseconds = Atomic<Int>(0)
    private let finished = DispatchSemaphore(value: 0)

    /// Runs `producer` flat out on a thread of its own until ``stop()``.
    init(_ producer: BatchProducer) {
        let thread = Thread { [self] in
            let start = cpuSeconds(rusageThread)
            while !stopFlag.load(ordering: .relaxed) { try? producer.trigger() }
            cpuMicroseconds.store(Int((cpuSeconds(rusageThread) - start) * 1e6), ordering: .relaxed)
            finished.signal()
        }
        thread.start()
    }

    /// Stops the thread and returns its CPU seconds.
    func stop() -> Double {
        stopFlag.store(true, ordering: .relaxed)
        finished.wait()
        return Double(cpuMicroseconds.load(ordering: .relaxed)) / 1e6
    }
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

/// A record counter the handlers bump through a pointer: a captured `var`
/// would add Swift's dynamic exclusivity check to every record, which is
/// the handler's cost, not the reader's.
nonisolated(unsafe) let counter = UnsafeMutablePointer<Int>.allocate(capacity: 1)

/// Runs `consume` (one poll) in `mode` for the configured time.
func measure(_ impl: String, _ mode: Mode, producer: BatchProducer, lost: () throws -> UInt64,
             poll: (_ timeout: Int) throws -> Void, drainRest: () throws -> Void) throws -> Measurement {
    counter.pointee = 0
    let cpuStart = cpuSeconds(rusageSelf)
    let start = now()
    var producerCPU = 0.0
    switch mode {
    case .backToBack where options.batches > 0:
        for _ in 0..<options.batches {
            try producer.trigger()
            try poll(-1)
        }
    case .backToBack:
        while now() - start < options.seconds {
            try producer.trigger()
            try poll(-1)
        }
    case .parallel:
        let thread = ProducerThread(producer)
        while now() - start < options.seconds { try poll(100) }
        producerCPU = thread.stop()
        try drainRest()
    }
    let elapsed = now() - start
    return Measurement(impl: impl, records: counter.pointee, seconds: elapsed,
                       cpuSeconds: cpuSeconds(rusageSelf) - cpuStart - producerCPU, lost: try lost(), maxRSS: maxRSS())
}

func swiftCallback(_ mode: Mode, ring: Map, producer: BatchProducer) throws -> Measurement {
    let poller = try RingBufferPoller()
    defer { poller.close() }
    try poller.add(map: ring) { _ in counter.pointee &+= 1 }
    return try measure("swift_callback", mode, producer: producer, lost: producer.dropped,
                       poll: { try poller.poll(timeout: $0) }, drainRest: { try poller.consume() })
}

/// Counts a record: the handler the generic poller API inlines into its
/// specialized record loop.
struct CountingHandler: RingBufferRecordHandler {
    func handle(_ record: UnsafeRawBufferPointer) { counter.pointee &+= 1 }
}

func swiftHandler(_ mode: Mode, ring: Map, producer: BatchProducer) throws -> Measurement {
    let poller = try RingBufferPoller()
    defer { poller.close() }
    try poller.add(map: ring, handling: CountingHandler())
    return try measure("swift_handler", mode, producer: producer, lost: producer.dropped,
                       poll: { try poller.poll(timeout: $0) }, drainRest: { try poller.consume() })
}

func swiftAsyncSequence(_ mode: Mode, ring: Map, producer: BatchProducer) async throws -> Measurement {
    let reader = try RingBuffer(map: ring)
    defer { reader.close() }
    var records = 0
    let cpuStart = cpuSeconds(rusageSelf)
    let start = now()
    var producerCPU = 0.0
    switch mode {
    case .backToBack:
        try producer.trigger()
        for try await _ in reader.records() {
            records += 1
            if records % producer.batch == 0 {
                if options.batches > 0 ? records / producer.batch >= options.batches : now() - start >= options.seconds { break }
                try producer.trigger()
            }
        }
    case .parallel:
        let thread = ProducerThread(producer)
        var iterator = reader.records().makeAsyncIterator()
        // Check the clock every 1024 records; the producer never pauses long.
        while try await iterator.next() != nil {
            records += 1
            if records & 1023 == 0, now() - start >= options.seconds { break }
        }
        producerCPU = thread.stop()
        try reader.consume { _ in records += 1 }
    }
    let elapsed = now() - start
    return Measurement(impl: "swift_async", records: records, seconds: elapsed,
                       cpuSeconds: cpuSeconds(rusageSelf) - cpuStart - producerCPU, lost: try producer.dropped(), maxRSS: maxRSS())
}

func swiftPerfBuffer(_ mode: Mode, perfArray: Map, producer: BatchProducer) throws -> Measurement {
    var reported: UInt64 = 0
    let poller = try PerfBufferPoller()
    defer { poller.close() }
    try poller.add(PerfBuffer(map: perfArray, pageCount: options.perfPages, onSample: { _, _ in counter.pointee &+= 1 },
                              onLost: { _, count in reported &+= count }))
    var result = try measure("swift_perf", mode, producer: producer, lost: producer.dropped,
                             poll: { try poller.poll(timeout: $0) }, drainRest: { try poller.consume() })
    result.lost = max(result.lost, reported)
    return result
}

// MARK: - External consumers

/// Runs a consumer process that opens the ring and the producer by id and
/// prints "records N seconds S cpu C maxrss K".
func external(_ impl: String, command: [String], mode: Mode, ring: Map, producer: BatchProducer) throws -> Measurement {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: command[0])
    process.arguments = Array(command.dropFirst()) + [
        mode.rawValue, String(try ring.id), String(producer.program.id), String(options.seconds),
    ] + (options.batches > 0 ? [String(options.batches)] : [])
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    let fields = text.split(whereSeparator: \.isWhitespace).map(String.init)
    guard process.terminationStatus == 0, fields.count >= 8, fields[0] == "records",
          let records = Int(fields[1]), let seconds = Double(fields[3]), let cpu = Double(fields[5]), let rss = Int(fields[7]) else {
        let reason = (text + errorText).split(separator: "\n").last.map(String.init) ?? "exit \(process.terminationStatus)"
        return Measurement(impl: impl, records: 0, seconds: 1, cpuSeconds: 0, lost: 0, maxRSS: 0, failure: reason)
    }
    return Measurement(impl: impl, records: records, seconds: seconds, cpuSeconds: cpu, lost: try producer.dropped(), maxRSS: rss)
}

// MARK: - Allocation checks

/// malloc calls per record while the callback reader and the AsyncSequence
/// consume a ring filled with 40 batches.
func allocationReport(ring: Map, producer: BatchProducer) async throws -> String {
    guard let mallocCount else { return "allocations: not measured (run under run.sh's malloc counter)" }
    try drain(ring)
    let poller = try RingBufferPoller()
    defer { poller.close() }
    var records = 0
    try poller.add(map: ring) { _ in records += 1 }
    for _ in 0..<40 { try producer.trigger() }
    var before = mallocCount()
    while try poller.poll(timeout: 0) > 0 {}
    let callbackCalls = mallocCount() - before
    let callbackRecords = records

    try drain(ring)
    let reader = try RingBuffer(map: ring)
    defer { reader.close() }
    for _ in 0..<40 { try producer.trigger() }
    var iterator = reader.records().makeAsyncIterator()
    _ = try await iterator.next()                        // the first call sets up the reader
    records = 0
    before = mallocCount()
    while records < 40 * producer.batch - 1, try await iterator.next() != nil { records += 1 }
    let asyncCalls = mallocCount() - before
    return "allocations: callback path \(callbackCalls) malloc calls for \(callbackRecords) records;"
        + " AsyncSequence \(asyncCalls) malloc calls for \(records) records"
}

// MARK: - Run

let pageSize = Int(getpagesize())
let cpus = ProcessInfo.processInfo.activeProcessorCount
log("ring buffer \(options.ringPages) pages, perf buffer \(options.perfPages) pages per CPU, batch \(options.batch) (at most half the ring),"
    + " \(options.seconds) s per run, \(cpus) CPUs, load \(String(describing: try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8).prefix(14)))")

func selected(_ impl: String) -> Bool {
    options.only.isEmpty || options.only.contains { impl.contains($0) }
}

var allocationLine = ""
var ratioLines: [String] = []
for size in options.sizes {
    let ring = try Map(type: .ringBuffer, name: "bench_ring", keySize: 0, valueSize: 0, maxEntries: options.ringPages * pageSize)
    let perfArray = try Map(type: .perfEventArray, name: "bench_perf", keySize: 4, valueSize: 4, maxEntries: PossibleCPUs.count())
    // A batch fills at most half the ring, so back-to-back runs lose nothing
    // and every batch is whole (the AsyncSequence triggers on batch boundaries).
    let batch = min(options.batch, options.ringPages * pageSize / (size + 8) / 2)
    let ringProducer = try BatchProducer(target: .ringBuffer, buffer: ring, batch: batch, recordSize: size)
    let perfProducer = try BatchProducer(target: .perfBuffer, buffer: perfArray, batch: batch, recordSize: size)
    for mode in options.modes {
        var results: [Measurement] = []
        func run(_ impl: String, _ body: () async throws -> Measurement) async throws {
            guard selected(impl) else { return }
            try drain(ring)
            try ringProducer.resetDropped()
            try perfProducer.resetDropped()
            let result = try await body()
            results.append(result)
            let group = "ringbuf.\(mode.rawValue).\(size)"
            if let failure = result.failure {
                log(String(format: "  %-8@ %5d B  %-15@ failed: %@", mode.rawValue, size, impl, failure))
                return
            }
            let cpuPerMillion = result.cpuSeconds / Double(max(result.records, 1)) * 1e6
            print("RESULT name=\(group).rate.\(impl) value=\(Int(result.rate)) unit=rec/s")
            print("RESULT name=\(group).lost.\(impl) value=\(result.lost) unit=records")
            // The share lost, unlike the count, does not depend on how fast the producer happened to run.
            let lostShare = Double(result.lost) / Double(max(result.lost + UInt64(result.records), 1)) * 100
            print("RESULT name=\(group).lostshare.\(impl) value=\(String(format: "%.3f", lostShare)) unit=%")
            print("RESULT name=\(group).cpu.\(impl) value=\(String(format: "%.4f", cpuPerMillion)) unit=s/Mrec")
            print("RESULT name=\(group).maxrss.\(impl) value=\(result.maxRSS) unit=KiB")
            log(String(format: "  %-8@ %5d B  %-15@ %8.2f M rec/s  %7.3f CPU s/Mrec  lost %-9llu", mode.rawValue, size, impl,
                       result.rate / 1e6, cpuPerMillion, result.lost))
        }
        try await run("swift_callback") { try swiftCallback(mode, ring: ring, producer: ringProducer) }
        try await run("swift_handler") { try swiftHandler(mode, ring: ring, producer: ringProducer) }
        try await run("swift_async") { try await swiftAsyncSequence(mode, ring: ring, producer: ringProducer) }
        if let libbpf = options.libbpfConsumer {
            try await run("libbpf") { try external("libbpf", command: [libbpf], mode: mode, ring: ring, producer: ringProducer) }
        }
        if let bcc = options.bccConsumer {
            try await run("bcc") { try external("bcc", command: ["/usr/bin/python3", bcc], mode: mode, ring: ring, producer: ringProducer) }
        }
        try await run("swift_perf") { try swiftPerfBuffer(mode, perfArray: perfArray, producer: perfProducer) }

        func measured(_ impl: String) -> Measurement? { results.first { $0.impl == impl && $0.records > 0 } }
        func ratio(_ top: String, _ bottom: String) -> String {
            guard let a = measured(top), let b = measured(bottom) else { return "n/a" }
            let cpu = (b.cpuSeconds / Double(b.records)) / (a.cpuSeconds / Double(a.records))
            return String(format: "%.2fx (CPU/record %.2fx)", a.rate / b.rate, cpu)
        }
        ratioLines.append("  \(mode.rawValue) \(size) B: callback/libbpf \(ratio("swift_callback", "libbpf")),"
            + " handler/libbpf \(ratio("swift_handler", "libbpf")), async/libbpf \(ratio("swift_async", "libbpf")), callback/bcc \(ratio("swift_callback", "bcc")),"
            + " callback/perf \(ratio("swift_callback", "swift_perf"))")
    }
    if size == options.sizes.first, selected("swift_callback") {
        allocationLine = try await allocationReport(ring: ring, producer: ringProducer)
    }
}
log("\nratios, records/s (and CPU per record, >1 = ours cheaper):")
for line in ratioLines { log(line) }
log(allocationLine)
