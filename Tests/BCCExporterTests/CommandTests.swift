import Foundation
import Testing
import TestSupport

/// The bcc-exporter command: --check's report and exit status, and its
/// refusal of bad arguments. (Serving, Prometheus scraping and SIGTERM are
/// Tests/exporter-e2e.sh's.)
@Suite struct CommandTests {
    static let binary = TestSupport.builtProduct("bcc-exporter")

    @Test func checkReportsEveryExampleAttached() throws {
        let examples = TestSupport.repositoryRoot.appendingPathComponent("Examples/exporter").path
        let result = try TestSupport.run(Self.binary, ["--config", examples, "--check", "--strict"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.map { $0.split(separator: ":").first.map(String.init) ?? "" }
                == ["ok biolatency", "ok ringdrops", "ok runqlat", "ok syscalls", "ok tcpretrans"])
        #expect(lines.first?.contains("raw_tracepoint block_rq_complete") == true)
    }

    @Test func checkFailsNamingTheBadConfig() throws {
        let directory = try TestSupport.temporaryDirectory("exporter-command")
        defer { try? FileManager.default.removeItem(at: directory) }
        try "metrics:\n  histograms:\n    - name: x\n      help: X\n      bucket_type: exp3\ncode: x\n"
            .write(to: directory.appendingPathComponent("bad.yaml"), atomically: true, encoding: .utf8)
        let result = try TestSupport.run(Self.binary, ["--config", directory.path, "--check"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("bad.yaml:5:20: metrics.histograms[0].bucket_type: unknown bucket type 'exp3'"), "\(result.stderr)")
    }

    @Test func badArgumentsAreRefused() throws {
        let missing = try TestSupport.run(Self.binary, ["--listen", ":9435"])
        #expect(missing.status == 64)
        #expect(missing.stderr.contains("--config"))
        let listen = try TestSupport.run(Self.binary, ["--config", "/tmp", "--listen", "9435"])
        #expect(listen.status == 64)
        #expect(listen.stderr.contains("expected HOST:PORT or :PORT"))
        let reading = try TestSupport.run(Self.binary, ["--config", "/tmp", "--table-reading", "fast"])
        #expect(reading.stderr.contains("batch, per-key"))
    }
}
