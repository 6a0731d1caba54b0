import BCC
import EBPF
import Foundation
import Synchronization

/// The running exporter: configs loaded and attached, ring buffers polled,
/// tables read and written as Prometheus text on each scrape.
///
///     let exporter = try Exporter.start(paths: ["/etc/bcc-exporter"], options: .init()) { _, message in print(message) }
///     defer { exporter.stop() }
///     exporter.startPolling()
///     let text = exporter.scrape()
public final class Exporter: Sendable {
    /// How the exporter runs.
    public struct Options: Sendable {
        /// Prefix of every metric name, with "_" after it ("" for none).
        public var namespace: String
        /// How tables are read.
        public var tableReading: TableReading
        /// Any failing config stops the start (nothing stays attached).
        public var strict: Bool

        /// Options; the defaults are bcc-exporter's.
        public init(namespace: String = "bcc_exporter", tableReading: TableReading = .batch, strict: Bool = false) {
            self.namespace = namespace
            self.tableReading = tableReading
            self.strict = strict
        }
    }

    /// How much a log message matters.
    public enum LogLevel: Sendable {
        /// What happened (a config attached).
        case info
        /// Something does not work (a config failed, a table could not be read).
        case error
    }

    /// A config that is not running, and why.
    public struct Failure: Sendable {
        /// The config's name.
        public var config: String
        /// "config", "load" or "attach".
        public var stage: String
        /// What went wrong, naming the file.
        public var message: String
    }

    /// The configs that run, in load order.
    public let configs: [LoadedConfig]
    /// The configs that do not (only without `strict`).
    public let failures: [Failure]
    /// The options it runs with.
    public let options: Options

    private let log: @Sendable (LogLevel, String) -> Void
    private let prefix: String
    /// What scrapes count (scrapes run one at a time, holding it) and the ring pollers.
    private struct State {
        var decodeErrors: [String: UInt64] = [:]
        var readErrors: [String: UInt64] = [:]
        var entries: [String: Int] = [:]
        var lastScrapeSeconds = 0.0
        var pollers: [RingPoller] = []
    }
    private let state = Mutex(State())

    private init(configs: [LoadedConfig], failures: [Failure], options: Options, log: @escaping @Sendable (LogLevel, String) -> Void) {
        self.configs = configs
        self.failures = failures
        self.options = options
        self.log = log
        prefix = options.namespace.isEmpty ? "" : options.namespace + "_"
    }

    deinit { stop() }

    // MARK: - Starting

    /// Why the exporter did not start.
    public struct StartError: Error, CustomStringConvertible {
        /// Every problem, one a line.
        public var messages: [String]
        /// The problems.
        public var description: String { messages.joined(separator: "\n") }
    }

    /// Parses every config at `paths`, then loads each program and checks
    /// its tables, then attaches them: no program is attached before every
    /// config has been parsed and every program loaded. A failing config is
    /// logged and left out, unless `options.strict`, where it stops the start.
    ///
    /// - Throws: `StartError` with every problem when strict and anything
    ///   failed, or when no config is left to run.
    public static func start(paths: [String], options: Options, system: DecoderSystem = .live(),
                             log: @escaping @Sendable (LogLevel, String) -> Void) throws(StartError) -> Exporter {
        var failures: [Failure] = []
        var messages: [String] = []
        func failed(_ error: ExporterError) {
            failures.append(Failure(config: error.configName ?? "?", stage: error.stage, message: error.description))
            messages.append(error.description)
            log(.error, error.description)
        }
        let parsed = ConfigLoader.load(paths: paths)
        for errors in parsed.failures { failed(.config(errors)) }
        if options.strict && !messages.isEmpty { throw StartError(messages: messages) }

        var loaded: [LoadedConfig] = []
        for config in parsed.configs {
            do {
                loaded.append(try LoadedConfig.load(config, system: system))
            } catch {
                failed(error)
            }
        }
        if options.strict && !messages.isEmpty {
            loaded.forEach { $0.close() }
            throw StartError(messages: messages)
        }

        var running: [LoadedConfig] = []
        for config in loaded {
            do {
                try config.attach()
                try config.openRings()
                running.append(config)
                log(.info, "config '\(config.config.name)': attached \(config.probes.joined(separator: ", "))")
            } catch {
                config.close()
                failed(error)
                if options.strict {
                    (running + loaded).forEach { $0.close() }
                    throw StartError(messages: messages)
                }
            }
        }
        guard !running.isEmpty else {
            throw StartError(messages: messages + ["no config is left to run"])
        }
        return Exporter(configs: running, failures: failures, options: options, log: log)
    }

    // MARK: - Ring buffers

    /// Starts one thread a config that has ring-buffer counters, polling its rings.
    public func startPolling() {
        state.withLock { state in
            guard state.pollers.isEmpty else { return }
            for config in configs where !config.ringCounters.isEmpty {
                let poller = RingPoller(config: config, log: log)
                poller.start()
                state.pollers.append(poller)
            }
        }
    }

    /// Stops polling, then detaches every probe and closes every program. Idempotent.
    public func stop() {
        let running = state.withLock { state in
            defer { state.pollers = [] }
            return state.pollers
        }
        running.forEach { $0.stop() }
        // After any scrape under way: it reads the tables being closed.
        state.withLock { _ in configs.forEach { $0.close() } }
    }

    // MARK: - Scraping

    /// Reads every table and writes the exposition: the configs' metrics,
    /// then the exporter's own. `tableReading` overrides the options' (benchmarks compare them).
    public func scrape(tableReading: TableReading? = nil) -> [UInt8] {
        let reading = tableReading ?? options.tableReading
        return state.withLock { state in scrape(reading: reading, state: &state) }
    }

    private func scrape(reading: TableReading, state: inout State) -> [UInt8] {
        let started = ContinuousClock.now
        var writer = ExpositionWriter(capacity: 1 << 16)
        for config in configs {
            for metric in config.tableMetrics {
                let key = config.config.name + "\u{1F}" + metric.name
                let result: TableMetric.Reading
                do {
                    result = try metric.read(reading)
                } catch {
                    if state.readErrors[key, default: 0] == 0 {
                        log(.error, "config '\(config.config.name)': reading table '\(metric.table)' for metric '\(metric.name)' failed: \(error)")
                    }
                    state.readErrors[key, default: 0] += 1
                    continue
                }
                if result.decodeErrors > 0, state.decodeErrors[key, default: 0] == 0, let first = result.firstDecodeError {
                    log(.error, "config '\(config.config.name)': metric '\(metric.name)': \(result.decodeErrors) keys of table '\(metric.table)' could not be decoded, e.g. \(first)")
                }
                state.decodeErrors[key, default: 0] += UInt64(result.decodeErrors)
                state.entries[key] = result.entries
                metric.write(result, prefix: prefix, to: &writer)
            }
            for counter in config.ringCounters {
                let snapshot = counter.snapshot()
                let key = config.config.name + "\u{1F}" + counter.metric.name
                if snapshot.decodeErrors > 0, state.decodeErrors[key, default: 0] == 0, let first = snapshot.firstDecodeError {
                    log(.error, "config '\(config.config.name)': metric '\(counter.metric.name)': ring records could not be decoded, e.g. \(first)")
                }
                state.decodeErrors[key] = snapshot.decodeErrors
                let name = prefix + counter.metric.name
                writer.family(name, help: counter.metric.help, type: .counter)
                for (labels, value) in zip(snapshot.rows.labels, snapshot.rows.values) {
                    writer.sample(name, labels: counter.layout.names, values: labels, value: value)
                }
            }
        }
        writeSelfMetrics(state, to: &writer)
        let elapsed = ContinuousClock.now - started
        state.lastScrapeSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return writer.bytes
    }

    /// The exporter's own metrics.
    private func writeSelfMetrics(_ state: State, to writer: inout ExpositionWriter) {
        let p = prefix
        writer.family(p + "enabled_configs", help: "Configs running (1 each)", type: .gauge)
        for config in configs { writer.sample(p + "enabled_configs", labels: ["name"], values: [config.config.name], value: 1 as UInt64) }

        writer.family(p + "failed_configs", help: "Configs not running, by the stage that failed: config, load or attach", type: .gauge)
        for failure in failures {
            writer.sample(p + "failed_configs", labels: ["name", "stage"], values: [failure.config, failure.stage], value: 1 as UInt64)
        }

        writer.family(p + "programs_attached", help: "Probes attached by each config's program", type: .gauge)
        for config in configs {
            writer.sample(p + "programs_attached", labels: ["config"], values: [config.config.name],
                          value: UInt64(config.probes.count))
        }

        writer.family(p + "decode_errors_total", help: "Table keys or ring records whose labels could not be decoded", type: .counter)
        for config in configs {
            for metric in config.tableMetrics.map(\.name) + config.ringCounters.map(\.metric.name) {
                writer.sample(p + "decode_errors_total", labels: ["config", "metric"], values: [config.config.name, metric],
                              value: state.decodeErrors[config.config.name + "\u{1F}" + metric, default: 0])
            }
        }

        writer.family(p + "table_read_errors_total", help: "Scrapes where reading a metric's table failed", type: .counter)
        writer.family(p + "table_entries", help: "Entries read from each metric's table at the last scrape", type: .gauge)
        for config in configs {
            for metric in config.tableMetrics {
                let key = config.config.name + "\u{1F}" + metric.name
                writer.sample(p + "table_read_errors_total", labels: ["config", "metric"], values: [config.config.name, metric.name],
                              value: state.readErrors[key, default: 0])
            }
        }
        for config in configs {
            for metric in config.tableMetrics {
                writer.sample(p + "table_entries", labels: ["config", "metric"], values: [config.config.name, metric.name],
                              value: UInt64(state.entries[config.config.name + "\u{1F}" + metric.name, default: 0]))
            }
        }

        writer.family(p + "ring_buffer_lost_records_total",
                      help: "Records each ring buffer dropped because it was full (ringbuf_output failed or ringbuf_reserve returned NULL)",
                      type: .counter)
        for config in configs {
            for (table, counter) in config.lostCounters {
                do {
                    let lost = (try counter.lookupPerCPU(UInt32(0), as: UInt64.self) ?? []).reduce(0, &+)
                    writer.sample(p + "ring_buffer_lost_records_total", labels: ["config", "table"], values: [config.config.name, table], value: lost)
                } catch {
                    log(.error, "config '\(config.config.name)': reading the lost-record counter of ring '\(table)' failed: \(error)")
                }
            }
        }

        writer.family(p + "ring_buffer_records_total", help: "Records the exporter consumed from each ring buffer it reads", type: .counter)
        for config in configs {
            for counter in config.ringCounters {
                writer.sample(p + "ring_buffer_records_total", labels: ["config", "table"], values: [config.config.name, counter.metric.table],
                              value: counter.snapshot().records)
            }
        }

        writer.family(p + "scrape_duration_seconds", help: "How long the previous scrape took to read the tables and write the text", type: .gauge)
        writer.sample(p + "scrape_duration_seconds", value: state.lastScrapeSeconds)
    }
}
