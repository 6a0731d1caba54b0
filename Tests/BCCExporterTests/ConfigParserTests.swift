import Foundation
import Testing
import TestSupport
@testable import BCCExporter

/// The config schema: what parses, and every problem located by file, YAML
/// path, line and what is wrong.
@Suite struct ConfigParserTests {
    static let code = "code: |\n  BPF_HASH(counts, u32, u64);\n"

    /// Parses `yaml`; the problems it has, else [].
    static func problems(_ yaml: String, file: String = "/etc/x/test.yaml") -> [ConfigError] {
        do {
            _ = try ConfigParser.parse(yaml, file: file)
            return []
        } catch {
            return error.errors
        }
    }

    /// The one problem `yaml` has.
    static func problem(_ yaml: String) throws -> ConfigError {
        let found = problems(yaml)
        try #require(found.count == 1, "expected one problem, got \(found)")
        return found[0]
    }

    @Test func everyExampleParses() throws {
        let directory = TestSupport.repositoryRoot.appendingPathComponent("Examples/exporter").path
        let files = try ConfigLoader.files(at: directory)
        #expect(files.map { ConfigParser.configName(file: $0) } == ["biolatency", "ringdrops", "runqlat", "syscalls", "tcpretrans"])
        let loaded = ConfigLoader.load(paths: [directory])
        #expect(loaded.failures.isEmpty, "\(loaded.failures)")
        let bio = try #require(loaded.configs.first { $0.name == "biolatency" })
        #expect(bio.program == .file(path: directory + "/biolatency.c"))
        let histogram = try #require(bio.histograms.first)
        #expect(histogram.name == "bio_latency_seconds" && histogram.table == "bio_latency_seconds")
        #expect(histogram.buckets == BucketLayout(type: .exp2, min: 0, max: 27, multiplier: 0.000001))
        #expect(histogram.labels.map(\.name) == ["device", "operation", "bucket"])
        #expect(histogram.labels.map(\.size) == [4, 1, 8])
        #expect(histogram.labels[1].padding == 3)
        #expect(histogram.labels[0].decoders == [.majorMinor])
        guard case .staticMap(let mapping, let allowUnknown) = histogram.labels[1].decoders[1] else {
            Issue.record("expected static_map, got \(histogram.labels[1].decoders)")
            return
        }
        #expect(mapping["1"] == "write" && !allowUnknown)
        let ring = try #require(loaded.configs.first { $0.name == "ringdrops" }?.counters.first)
        #expect(ring.ringBuffer && ring.table == "open_events" && ring.name == "opens_total")
    }

    @Test func inlineCodeRemembersItsLine() throws {
        let config = try ConfigParser.parse("""
            # a comment
            metrics:
              counters:
                - name: counts
                  help: Counts
            code: |
              BPF_HASH(counts, u32, u64);
              int x;
            cflags: [-DX=1]
            """, file: "/tmp/inline.yaml")
        #expect(config.name == "inline")
        #expect(config.program == .inline(code: "BPF_HASH(counts, u32, u64);\nint x;\n", line: 7))
        #expect(config.cflags == ["-DX=1"])
        #expect(config.counters == [CounterMetric(name: "counts", help: "Counts")])
    }

    @Test func fixedAndLinearBuckets() throws {
        let config = try ConfigParser.parse(Self.code + """
            metrics:
              histograms:
                - name: fixed_seconds
                  help: Fixed
                  bucket_type: fixed
                  bucket_keys: [1, 5, 10]
                  labels: [{name: bucket, size: 8, decoders: [{name: uint}]}]
                - name: linear_things
                  help: Linear
                  bucket_type: linear
                  bucket_min: 0
                  bucket_max: 9
                  labels: [{name: bucket, size: 4, decoders: [{name: uint}]}]
            """, file: "/tmp/b.yaml")
        #expect(config.histograms[0].buckets == BucketLayout(type: .fixed, keys: [1, 5, 10]))
        #expect(config.histograms[1].buckets == BucketLayout(type: .linear, min: 0, max: 9))
    }

    // MARK: - Problems, located

    @Test func unknownKeyNamesTheKnownOnes() throws {
        let found = Self.problems(Self.code + """
            metrics:
              histograms:
                - name: lat
                  help: Latency
                  bucket_tpye: exp2
                  labels: [{name: bucket, size: 8, decoders: [{name: uint}]}]
            """)
        #expect(found.map(\.path) == ["metrics.histograms[0].bucket_tpye", "metrics.histograms[0]"])
        let error = found[0]
        #expect(found[1].problem.hasPrefix("missing 'bucket_type:'"))
        #expect(error.line == 7)
        #expect(error.problem.contains("unknown key 'bucket_tpye'") && error.problem.contains("bucket_type"))
        #expect(error.description.hasPrefix("/etc/x/test.yaml:7:"))
    }

    @Test func badBucketTypeIsLocated() throws {
        let error = try Self.problem(Self.code + """
            metrics:
              histograms:
                - name: lat
                  help: Latency
                  bucket_type: exp3
                  bucket_min: 0
                  bucket_max: 3
                  labels: [{name: bucket, size: 8, decoders: [{name: uint}]}]
            """)
        #expect(error.path == "metrics.histograms[0].bucket_type")
        #expect(error.line == 7 && error.column == 20)
        #expect(error.problem == "unknown bucket type 'exp3' (expected exp2, exp2zero, linear, fixed)")
    }

    @Test func bucketRangesAreChecked() throws {
        let reversed = try Self.problem(Self.code + """
            metrics:
              histograms:
                - {name: lat, help: L, bucket_type: exp2, bucket_min: 5, bucket_max: 2, labels: [{name: b, size: 8, decoders: [{name: uint}]}]}
            """)
        #expect(reversed.path == "metrics.histograms[0].bucket_max")
        #expect(reversed.problem.contains("below bucket_min"))
        let unordered = try Self.problem(Self.code + """
            metrics:
              histograms:
                - {name: lat, help: L, bucket_type: fixed, bucket_keys: [5, 2], labels: [{name: b, size: 8, decoders: [{name: uint}]}]}
            """)
        #expect(unordered.path == "metrics.histograms[0].bucket_keys[1]")
        #expect(unordered.problem.contains("must increase"))
        let negative = try Self.problem(Self.code + """
            metrics:
              histograms:
                - {name: lat, help: L, bucket_type: exp2, bucket_min: 0, bucket_max: 4, bucket_multiplier: -1, labels: [{name: b, size: 8, decoders: [{name: uint}]}]}
            """)
        #expect(negative.path == "metrics.histograms[0].bucket_multiplier")
    }

    @Test func decoderChainsAreChecked() throws {
        func labelProblem(_ label: String) throws -> ConfigError {
            try Self.problem(Self.code + "metrics:\n  counters:\n    - name: c\n      help: C\n      labels:\n" + label)
        }
        let noUint = try labelProblem("        - {name: sc, size: 8, decoders: [{name: syscall}]}\n")
        #expect(noUint.path == "metrics.counters[0].labels[0].decoders[0]")
        #expect(noUint.problem.contains("put '- name: uint' before it"))
        let oddSize = try labelProblem("        - {name: n, size: 3, decoders: [{name: uint}]}\n")
        #expect(oddSize.problem == "the uint decoder reads 1, 2, 4, 8 bytes, the label's size is 3")
        let ksym = try labelProblem("        - {name: f, size: 4, decoders: [{name: ksym}]}\n")
        #expect(ksym.problem.contains("reads 8 bytes"))
        let unknown = try labelProblem("        - {name: f, size: 4, decoders: [{name: base64}]}\n")
        #expect(unknown.path == "metrics.counters[0].labels[0].decoders[0].name")
        #expect(unknown.problem.hasPrefix("unknown decoder 'base64' (known: cgroup, dname"))
        let regexp = try labelProblem("        - {name: f, size: 4, decoders: [{name: string}, {name: regexp, regexps: ['(']}]}\n")
        #expect(regexp.path == "metrics.counters[0].labels[0].decoders[1].regexps[0]")
        let staticMap = try labelProblem("        - {name: f, size: 4, decoders: [{name: uint}, {name: static_map}]}\n")
        #expect(staticMap.problem.contains("needs 'static_map:'"))
        let le = try labelProblem("        - {name: le, size: 4, decoders: [{name: uint}]}\n")
        #expect(le.problem.contains("'le'"))
        let reserved = try labelProblem("        - {name: __x, size: 4, decoders: [{name: uint}]}\n")
        #expect(reserved.problem.contains("not a Prometheus label name"))
    }

    @Test func histogramBucketLabelMustBeANumber() throws {
        let error = try Self.problem(Self.code + """
            metrics:
              histograms:
                - {name: lat, help: L, bucket_type: exp2, bucket_min: 0, bucket_max: 4, labels: [{name: b, size: 8, decoders: [{name: hex}]}]}
            """)
        #expect(error.path == "metrics.histograms[0].labels[0]")
        #expect(error.problem.contains("must end with uint"))
    }

    @Test func programIsRequiredOnceAndMustExist() throws {
        let missing = try Self.problem("metrics:\n  counters: [{name: c, help: C}]\n")
        #expect(missing.path == "" && missing.problem.contains("missing the program"))
        let both = try Self.problem("program: x.c\n" + Self.code + "metrics:\n  counters: [{name: c, help: C}]\n")
        #expect(both.path == "code" && both.problem.contains("not both"))
        let absent = try Self.problem("program: no-such-file.c\nmetrics:\n  counters: [{name: c, help: C}]\n")
        #expect(absent.path == "program" && absent.line == 1)
        #expect(absent.problem == "cannot read the program file '/etc/x/no-such-file.c'")
    }

    @Test func everyProblemIsReported() {
        let found = Self.problems(Self.code + """
            tracing:
              spans: []
            metrics:
              counters:
                - name: "bad name"
                  help: ""
                - name: twice
                  help: T
                - name: twice
                  help: T
            """)
        #expect(found.map(\.path) == ["tracing", "metrics.counters[0].name", "metrics.counters[0].help", "metrics.counters[2]"])
        #expect(found[0].problem.contains("tracing spans are not supported"))
        #expect(found[3].problem == "metric name 'twice' is used twice")
    }

    @Test func invalidYAMLSaysWhere() throws {
        let error = try Self.problem("metrics:\n  counters:\n    - name: [unclosed\n")
        #expect(error.path == "")
        #expect(error.line == 4)
        #expect(error.problem.hasPrefix("not valid YAML"))
        let duplicate = try Self.problem("metrics: {}\nmetrics: {}\n")
        #expect(duplicate.problem.contains("twice"))
        let empty = try Self.problem("")
        #expect(empty.problem.contains("empty"))
    }

    @Test func namesFollowPrometheusRules() {
        #expect(PrometheusNames.isMetricName("bio_latency_seconds"))
        #expect(PrometheusNames.isMetricName("ns:rate5m"))
        #expect(!PrometheusNames.isMetricName("9lives"))
        #expect(!PrometheusNames.isMetricName("a-b"))
        #expect(!PrometheusNames.isMetricName(""))
        #expect(PrometheusNames.isLabelName("_x1"))
        #expect(!PrometheusNames.isLabelName("a:b"))
        #expect(!PrometheusNames.isLabelName("__name__"))
        #expect(PrometheusNames.isCIdentifier("open_events"))
        #expect(!PrometheusNames.isCIdentifier("open-events"))
    }

    // MARK: - Loading files

    @Test func loaderChecksNamesAcrossConfigs() throws {
        let directory = try TestSupport.temporaryDirectory("exporter-configs")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = Self.code + "metrics:\n  counters: [{name: counts, help: C}]\n"
        try config.write(to: directory.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
        try config.write(to: directory.appendingPathComponent("b.yml"), atomically: true, encoding: .utf8)
        try "metrics: [".write(to: directory.appendingPathComponent("c.yaml"), atomically: true, encoding: .utf8)
        try "not a config".write(to: directory.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        let loaded = ConfigLoader.load(paths: [directory.path])
        #expect(loaded.configs.map(\.name) == ["a"])
        #expect(loaded.failures.count == 2)
        let clash = try #require(loaded.failures.first?.errors.first)
        #expect(clash.file.hasSuffix("b.yml") && clash.path == "metrics.counters[0].name")
        #expect(clash.problem == "metric 'counts' is already exported by config 'a'")
        #expect(loaded.failures.last?.errors.first?.file.hasSuffix("c.yaml") == true)

        let empty = try TestSupport.temporaryDirectory("exporter-empty")
        defer { try? FileManager.default.removeItem(at: empty) }
        #expect(throws: ConfigError.self) { _ = try ConfigLoader.files(at: empty.path) }
        #expect(throws: ConfigError.self) { _ = try ConfigLoader.files(at: "/no/such/path") }
    }

    @Test func listenAddresses() throws {
        #expect(try ListenAddress(parsing: ":9435") == ListenAddress(host: "0.0.0.0", port: 9435))
        #expect(try ListenAddress(parsing: "127.0.0.1:80").description == "127.0.0.1:80")
        #expect(try ListenAddress(parsing: "[::1]:9435").host == "::1")
        #expect(try ListenAddress(parsing: "[::1]:9435").description == "[::1]:9435")
        for bad in ["9435", ":0", ":65536", "::1:9435", "[]:1", "host:port"] {
            #expect(throws: ListenAddress.Invalid.self, "\(bad)") { _ = try ListenAddress(parsing: bad) }
        }
    }
}
