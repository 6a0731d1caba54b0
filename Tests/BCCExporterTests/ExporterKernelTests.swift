import BCC
import Foundation
import Testing
import TestSupport
@testable import BCCExporter

/// The exporter against the real kernel: configs written by the test, events
/// the test causes from its own process (close() of descriptors far above any
/// open one, filtered by this process's id), and the exposition read back.
@Suite(.serialized) struct ExporterKernelTests {
    /// The exposition's sample lines by "name{labels}".
    static func samples(_ bytes: [UInt8]) -> [String: String] {
        var result: [String: String] = [:]
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " ") else { continue }
            result[String(line[..<space])] = String(line[line.index(after: space)...])
        }
        return result
    }

    /// A directory holding `configs` (file name -> YAML).
    static func directory(_ configs: [String: String]) throws -> URL {
        let directory = try TestSupport.temporaryDirectory("exporter-kernel")
        for (name, text) in configs {
            try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return directory
    }

    /// Closes descriptor `base + value` (not open: EBADF), an event the test programs see.
    static func closeMarker(_ base: Int32, _ value: Int32) {
        _ = close(base + value)
    }

    /// Messages the exporter logged.
    final class Log: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func add(_ line: String) { lock.lock(); lines.append(line); lock.unlock() }
        var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
    }

    static let pid = getpid()

    /// A counter and a histogram: closes of fd 1000000 + v count once each, in
    /// log2 bucket of v; bucket 9 (bucket_max + 1) sums v.
    static let closesConfig = """
        cflags: ["-DTARGET_TGID=\(pid)"]
        code: |
          struct slot_key_t {
              u32 kind;
              u32 pad;
              u64 slot;
          };
          BPF_HASH(closes_total, u32, u64, 16);
          BPF_HASH(close_values, struct slot_key_t, u64, 64);
          BPF_PERCPU_ARRAY(percpu_closes, u64, 1);

          TRACEPOINT_PROBE(syscalls, sys_enter_close)
          {
              if ((bpf_get_current_pid_tgid() >> 32) != TARGET_TGID || args->fd < 1000000 || args->fd >= 1001000)
                  return 0;
              u64 value = args->fd - 1000000;
              u32 kind = 1;
              closes_total.atomic_increment(kind);
              u32 zero = 0;
              percpu_closes.increment(zero);
              struct slot_key_t key = {};
              key.kind = 1;
              u64 slot = bpf_log2l(value);
              key.slot = slot > 8 ? 8 : slot;
              close_values.atomic_increment(key);
              key.slot = 9;
              close_values.atomic_increment(key, value);
              return 0;
          }
        metrics:
          counters:
            - name: closes_total
              help: Marker closes by kind
              labels:
                - name: kind
                  size: 4
                  decoders:
                    - name: uint
                    - name: static_map
                      static_map: {1: close}
            - name: percpu_closes
              help: Marker closes, summed over CPUs
          histograms:
            - name: close_values
              help: Marker values
              bucket_type: exp2
              bucket_min: 0
              bucket_max: 8
              labels:
                - name: kind
                  size: 4
                  padding: 4
                  decoders:
                    - name: uint
                    - name: static_map
                      static_map: {1: close}
                - name: bucket
                  size: 8
                  decoders:
                    - name: uint

        """

    @Test func countersAndHistogramsMoveWithTheEventsCaused() throws {
        let directory = try Self.directory(["closes.yaml": Self.closesConfig])
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = Log()
        let exporter = try Exporter.start(paths: [directory.path], options: .init(namespace: "t", strict: true)) { _, line in log.add(line) }
        defer { exporter.stop() }
        #expect(exporter.failures.isEmpty)
        #expect(exporter.configs.map(\.config.name) == ["closes"])

        let before = Self.samples(exporter.scrape())
        #expect(before["t_closes_total{kind=\"close\"}"] == nil)
        #expect(before["t_enabled_configs{name=\"closes\"}"] == "1")
        #expect(before["t_programs_attached{config=\"closes\"}"] == "1")

        let values: [Int32] = [0, 1, 2, 3, 5, 9, 17, 100, 300, 999]
        for value in values { Self.closeMarker(1_000_000, value) }

        for reading in TableReading.allCases {
            let after = Self.samples(exporter.scrape(tableReading: reading))
            #expect(after["t_closes_total{kind=\"close\"}"] == "\(values.count)", "\(reading)")
            #expect(after["t_percpu_closes"] == "\(values.count)", "\(reading)")
            // bcc's bpf_log2l slots of the values: 1 1 2 2 3 4 5 7, then 9 and 10 capped at 8.
            let expected: [(String, Int)] = [("1", 0), ("2", 2), ("4", 4), ("8", 5), ("16", 6), ("32", 7), ("64", 7), ("128", 8), ("256", 10)]
            for (le, count) in expected {
                #expect(after["t_close_values_bucket{kind=\"close\",le=\"\(le)\"}"] == "\(count)", "le=\(le) \(reading)")
            }
            #expect(after["t_close_values_bucket{kind=\"close\",le=\"+Inf\"}"] == "\(values.count)")
            #expect(after["t_close_values_count{kind=\"close\"}"] == "\(values.count)")
            #expect(after["t_close_values_sum{kind=\"close\"}"] == "\(values.reduce(0, +))")
            #expect(after["t_decode_errors_total{config=\"closes\",metric=\"close_values\"}"] == "0")
            #expect(after["t_table_entries{config=\"closes\",metric=\"close_values\"}"] == "8")
            #expect(after["t_table_read_errors_total{config=\"closes\",metric=\"closes_total\"}"] == "0")
        }
        let config = try #require(exporter.configs.first)
        exporter.stop()
        #expect(config.probes.isEmpty)
    }

    /// A ring of one page that wakes nobody: the exporter counts what reaches
    /// it and reports what the ring dropped; together they are every event.
    static let ringConfig = """
        cflags: ["-DTARGET_TGID=\(pid)"]
        code: |
          struct marker_t {
              u32 kind;
              u32 pad;
              u64 increment;
          };
          BPF_RINGBUF_OUTPUT(markers, 1);

          TRACEPOINT_PROBE(syscalls, sys_enter_close)
          {
              if ((bpf_get_current_pid_tgid() >> 32) != TARGET_TGID || args->fd < 2000000 || args->fd >= 2100000)
                  return 0;
              struct marker_t marker = {};
              marker.kind = 1;
              marker.increment = 2;
              markers.ringbuf_output(&marker, sizeof(marker), BPF_RB_NO_WAKEUP);
              return 0;
          }
        metrics:
          counters:
            - name: markers_total
              help: Marker closes counted twice each from ring records
              table: markers
              ring_buffer: true
              labels:
                - name: kind
                  size: 4
                  padding: 4
                  decoders:
                    - name: uint

        """

    @Test func ringDropsAreCountedAndNothingElseIsLost() throws {
        let directory = try Self.directory(["rings.yaml": Self.ringConfig])
        defer { try? FileManager.default.removeItem(at: directory) }
        let exporter = try Exporter.start(paths: [directory.path], options: .init(namespace: "t", strict: true)) { _, _ in }
        defer { exporter.stop() }
        let events = 2_000
        // Nobody reads the ring yet: a page holds a few hundred records, the rest drop.
        for value in 0 ..< Int32(events) { Self.closeMarker(2_000_000, value) }
        exporter.startPolling()
        var samples: [String: String] = [:]
        let deadline = ContinuousClock.now + .seconds(10)
        repeat {
            Thread.sleep(forTimeInterval: 0.1)
            samples = Self.samples(exporter.scrape())
            let records = Int(samples["t_ring_buffer_records_total{config=\"rings\",table=\"markers\"}"] ?? "") ?? 0
            let lost = Int(samples["t_ring_buffer_lost_records_total{config=\"rings\",table=\"markers\"}"] ?? "") ?? 0
            if records + lost == events { break }
        } while ContinuousClock.now < deadline
        let records = try #require(Int(samples["t_ring_buffer_records_total{config=\"rings\",table=\"markers\"}"] ?? ""))
        let lost = try #require(Int(samples["t_ring_buffer_lost_records_total{config=\"rings\",table=\"markers\"}"] ?? ""))
        #expect(records + lost == events)
        #expect(lost > 0 && records > 0)
        #expect(samples["t_markers_total{kind=\"1\"}"] == "\(records * 2)")
        #expect(samples["t_decode_errors_total{config=\"rings\",metric=\"markers_total\"}"] == "0")
    }

    // MARK: - Bad configs

    static let goodConfig = """
        code: |
          BPF_HASH(good_total, u32, u64, 4);
          TRACEPOINT_PROBE(syscalls, sys_enter_getppid) { u32 k = 0; good_total.atomic_increment(k); return 0; }
        metrics:
          counters:
            - name: good_total
              help: Good

        """
    static let brokenConfigs = [
        "a-good.yaml": goodConfig,
        // Line 4 of the file is the code's line 2.
        "b-compile.yaml": """
            metrics:
              counters: [{name: compile_total, help: C}]
            code: |
              BPF_HASH(compile_total, u32, u64, 4);
              int broken(void) { return undeclared_thing; }

            """,
        "c-table.yaml": """
            code: |
              BPF_HASH(narrow, u32, u32, 4);
              TRACEPOINT_PROBE(syscalls, sys_enter_getppid) { u32 k = 0, one = 1; narrow.update(&k, &one); return 0; }
            metrics:
              counters:
                - name: missing_total
                  help: M
                - name: narrow_total
                  help: N
                  table: narrow

            """,
        "d-attach.yaml": """
            code: |
              BPF_HASH(attach_total, u32, u64, 4);
              RAW_TRACEPOINT_PROBE(no_such_tracepoint_anywhere) { return 0; }
            metrics:
              counters: [{name: attach_total, help: A}]

            """,
        "e-schema.yaml": "metrics:\n  counters: [{name: schema_total}]\ncode: x\n",
        "f-keysize.yaml": """
            code: |
              BPF_HASH(keysize_total, u64, u64, 4);
              TRACEPOINT_PROBE(syscalls, sys_enter_getppid) { u64 k = 0; keysize_total.atomic_increment(k); return 0; }
            metrics:
              counters:
                - name: keysize_total
                  help: K
                  labels: [{name: k, size: 4, decoders: [{name: uint}]}]

            """,
    ]

    @Test func oneBadConfigDoesNotStopTheOthers() throws {
        let directory = try Self.directory(Self.brokenConfigs)
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = Log()
        let exporter = try Exporter.start(paths: [directory.path], options: .init(namespace: "t")) { _, line in log.add(line) }
        defer { exporter.stop() }
        #expect(exporter.configs.map(\.config.name) == ["a-good"])
        let failures = Dictionary(uniqueKeysWithValues: exporter.failures.map { ($0.config, $0) })
        #expect(Set(failures.keys) == ["b-compile", "c-table", "d-attach", "e-schema", "f-keysize"])
        let path = directory.path
        #expect(failures["e-schema"]?.stage == "config")
        #expect(failures["e-schema"]?.message.contains("\(path)/e-schema.yaml:2:") == true)
        #expect(failures["e-schema"]?.message.contains("metrics.counters[0]: missing 'help:'") == true)
        #expect(failures["b-compile"]?.stage == "load")
        #expect(failures["b-compile"]?.message.contains("config 'b-compile' (\(path)/b-compile.yaml)") == true)
        #expect(failures["b-compile"]?.message.contains("\(path)/b-compile.yaml:5:") == true, "\(failures["b-compile"]?.message ?? "")")
        #expect(failures["b-compile"]?.message.contains("undeclared_thing") == true)
        #expect(failures["c-table"]?.message.contains("metric 'missing_total', table 'missing_total': the program has no such table (tables: narrow)") == true)
        #expect(failures["f-keysize"]?.message.contains("the labels cover 4 bytes but the table's keys (u64) are 8 bytes") == true,
                "\(failures["f-keysize"]?.message ?? "")")
        #expect(failures["d-attach"]?.stage == "attach")
        #expect(failures["d-attach"]?.message.contains("config 'd-attach'") == true)
        #expect(failures["d-attach"]?.message.contains("no_such_tracepoint_anywhere") == true, "\(failures["d-attach"]?.message ?? "")")
        #expect(log.all.count >= 5)

        let samples = Self.samples(exporter.scrape())
        #expect(samples["t_failed_configs{name=\"d-attach\",stage=\"attach\"}"] == "1")
        #expect(samples["t_failed_configs{name=\"b-compile\",stage=\"load\"}"] == "1")
        #expect(samples["t_enabled_configs{name=\"a-good\"}"] == "1")
        #expect(samples["t_enabled_configs{name=\"c-table\"}"] == nil)
    }

    @Test func strictStopsAtTheFirstStageThatFails() throws {
        let directory = try Self.directory(Self.brokenConfigs)
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            _ = try Exporter.start(paths: [directory.path], options: .init(strict: true)) { _, _ in }
            Issue.record("a strict start with broken configs succeeded")
        } catch {
            // Parsing comes first: only the schema problem is found, nothing was loaded.
            #expect(error.messages.count == 1)
            #expect(error.messages.first?.contains("e-schema.yaml") == true)
        }
        try FileManager.default.removeItem(at: directory.appendingPathComponent("e-schema.yaml"))
        do {
            _ = try Exporter.start(paths: [directory.path], options: .init(strict: true)) { _, _ in }
            Issue.record("a strict start with broken programs succeeded")
        } catch {
            // Every program is loaded and checked before any is attached: the attach stage never ran.
            #expect(error.messages.count == 3, "\(error.messages)")
            #expect(!error.messages.contains { $0.contains("d-attach") })
        }
    }

    @Test func everyExampleLoadsAndAttaches() throws {
        let examples = TestSupport.repositoryRoot.appendingPathComponent("Examples/exporter").path
        let exporter = try Exporter.start(paths: [examples], options: .init(strict: true)) { _, _ in }
        defer { exporter.stop() }
        #expect(exporter.configs.map(\.config.name) == ["biolatency", "ringdrops", "runqlat", "syscalls", "tcpretrans"])
        exporter.startPolling()
        // Our own syscalls, under our thread's name.
        _ = getppid()
        let comm = try #require(readProcFile("/proc/thread-self/comm")).trimmingCharacters(in: .whitespacesAndNewlines)
        let samples = Self.samples(exporter.scrape())
        let calls = samples["bcc_exporter_syscalls_total{comm=\"\(comm)\",syscall=\"getppid\"}"].flatMap { Int($0) } ?? 0
        #expect(calls >= 1)
        #expect(samples["bcc_exporter_programs_attached{config=\"runqlat\"}"] == "3")
        #expect(samples["bcc_exporter_ring_buffer_lost_records_total{config=\"ringdrops\",table=\"open_events\"}"] != nil)
    }
}
