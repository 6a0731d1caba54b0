// bcc-exporter: BPF tables as Prometheus metrics. Thin: the configs, decoders,
// histograms and exposition live in BCCExporter; this is the command line,
// the HTTP server and the service lifecycle (signals, graceful shutdown).
import ArgumentParser
import BCCExporter
import Hummingbird
import Logging
import NIOPosix
import ServiceLifecycle

@main
struct BCCExporterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bcc-exporter",
        abstract: "Serve BPF tables of bcc programs as Prometheus metrics.",
        discussion: """
            Each config (YAML, ebpf_exporter's metrics: schema) pairs a bcc C program \
            (program: FILE.c or code: inline) with counters and histograms read from its \
            tables at scrape time. Every config is parsed and every program loaded before \
            any is attached; a failing config is logged and left out unless --strict. \
            SIGTERM or Ctrl-C detaches everything and exits.
            """)

    @Option(name: .long, help: ArgumentHelp("A config file, or a directory of .yaml configs (repeatable).", valueName: "DIR_OR_FILE"))
    var config: [String]

    @Option(name: .long, help: ArgumentHelp("Where to serve: :PORT, HOST:PORT or [IPv6]:PORT.", valueName: "ADDRESS"))
    var listen = ":9435"

    @Option(name: .long, help: "The path metrics are served at.")
    var metricsPath = "/metrics"

    @Flag(name: .long, help: "Any config that fails to parse, load or attach stops the exporter (nothing stays attached).")
    var strict = false

    @Flag(name: .long, help: "Parse, load and attach every config, report, detach and exit (0 when all are good).")
    var check = false

    @Option(name: .long, help: "Prefix of every metric name ('' for none).")
    var namespace = "bcc_exporter"

    @Option(name: .long, help: ArgumentHelp("How tables are read: batch (BPF_MAP_LOOKUP_BATCH where the kernel has it) or per-key.",
                                            valueName: "MODE"))
    var tableReading = TableReading.batch.rawValue

    func validate() throws {
        guard !config.isEmpty else { throw ValidationError("give at least one --config DIR_OR_FILE") }
        do { _ = try ListenAddress(parsing: listen) } catch { throw ValidationError(error.description) }
        guard TableReading(rawValue: tableReading) != nil else {
            throw ValidationError("--table-reading must be one of: \(TableReading.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard metricsPath.hasPrefix("/") else { throw ValidationError("--metrics-path must start with /") }
    }

    func run() async throws {
        let logger = Logger(label: "bcc-exporter")
        let options = Exporter.Options(namespace: namespace, tableReading: TableReading(rawValue: tableReading) ?? .batch, strict: strict)
        let exporter: Exporter
        do {
            exporter = try Exporter.start(paths: config, options: options) { level, message in
                switch level {
                case .info: logger.info("\(message)")
                case .error: logger.error("\(message)")
                }
            }
        } catch {
            logger.critical("not started: \(error.messages.count) problem(s); see above")
            throw ExitCode.failure
        }
        if check {
            for loaded in exporter.configs {
                print("ok \(loaded.config.name): \(loaded.probes.joined(separator: ", "))")
            }
            for failure in exporter.failures { print("FAILED \(failure.config) (\(failure.stage))") }
            exporter.stop()
            if !exporter.failures.isEmpty { throw ExitCode.failure }
            return
        }

        let address = try ListenAddress(parsing: listen)
        let router = Router()
        router.get(RouterPath(metricsPath)) { _, _ -> Response in
            // Reading tables blocks in bpf(2): keep it off the event loops and the cooperative pool.
            let bytes = try await NIOThreadPool.singleton.runIfActive { exporter.scrape() }
            return Response(status: .ok, headers: [.contentType: ExpositionWriter.contentType],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        let path = metricsPath
        router.get("/") { _, _ in "bcc-exporter: metrics at \(path)\n" }
        let app = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(address.host, port: address.port), serverName: "bcc-exporter"),
            logger: logger)
        // Services shut down in reverse order: the server stops taking scrapes, then the programs detach.
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: ExporterService(exporter: exporter)), .init(service: app)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
        logger.info("stopped: probes detached")
    }
}

/// Polls the exporter's ring buffers while running; on shutdown detaches
/// every probe and closes every program.
struct ExporterService: Service {
    let exporter: Exporter

    func run() async throws {
        exporter.startPolling()
        try? await gracefulShutdown()
        exporter.stop()
    }
}
