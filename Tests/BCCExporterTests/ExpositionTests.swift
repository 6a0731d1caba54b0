import Testing
@testable import BCCExporter

/// The Prometheus text format as written, and histograms as assembled from
/// the kernel's bucket counts.
@Suite struct ExpositionTests {
    @Test func counterFamilyWithEscapedLabels() {
        var writer = ExpositionWriter()
        writer.family("x_total", help: "Things\nwith a \\ backslash and \"quotes\"", type: .counter)
        writer.sample("x_total", labels: ["path", "comm"], values: ["C:\\dir\n\"q\"", "bash"], value: 42 as UInt64)
        writer.sample("x_total", value: 7 as UInt64)
        #expect(writer.text == """
            # HELP x_total Things\\nwith a \\\\ backslash and "quotes"
            # TYPE x_total counter
            x_total{path="C:\\\\dir\\n\\"q\\"",comm="bash"} 42
            x_total 7

            """)
    }

    @Test func labelsKeepTheirOrder() {
        var writer = ExpositionWriter()
        writer.sample("m", labels: ["zeta", "alpha", "mid"], values: ["1", "2", "3"], value: 1 as UInt64)
        #expect(writer.text == "m{zeta=\"1\",alpha=\"2\",mid=\"3\"} 1\n")
    }

    @Test func histogramLinesEndWithInfSumAndCount() {
        var writer = ExpositionWriter()
        writer.family("lat_seconds", help: "Latency", type: .histogram)
        let histogram = AssembledHistogram(buckets: [.init(upperBound: 0.000001, cumulativeCount: 1), .init(upperBound: 0.5, cumulativeCount: 3),
                                                     .init(upperBound: 2, cumulativeCount: 3)], count: 4, sum: 1.25)
        writer.histogram("lat_seconds", labels: ["disk", "op"], values: ["vda", "read"], histogram)
        writer.histogram("lat_seconds", AssembledHistogram(buckets: [.init(upperBound: 1, cumulativeCount: 0)], count: 0, sum: 0))
        #expect(writer.text == """
            # HELP lat_seconds Latency
            # TYPE lat_seconds histogram
            lat_seconds_bucket{disk="vda",op="read",le="1e-06"} 1
            lat_seconds_bucket{disk="vda",op="read",le="0.5"} 3
            lat_seconds_bucket{disk="vda",op="read",le="2"} 3
            lat_seconds_bucket{disk="vda",op="read",le="+Inf"} 4
            lat_seconds_sum{disk="vda",op="read"} 1.25
            lat_seconds_count{disk="vda",op="read"} 4
            lat_seconds_bucket{le="1"} 0
            lat_seconds_bucket{le="+Inf"} 0
            lat_seconds_sum 0
            lat_seconds_count 0

            """)
    }

    @Test func numbersAsPrometheusReadsThem() {
        #expect(ExpositionWriter.format(3) == "3")
        #expect(ExpositionWriter.format(-2) == "-2")
        #expect(ExpositionWriter.format(0.073745) == "0.073745")
        #expect(ExpositionWriter.format(1e20) == "1e+20")
        #expect(ExpositionWriter.format(.infinity) == "+Inf")
        #expect(ExpositionWriter.format(-.infinity) == "-Inf")
        #expect(ExpositionWriter.format(.nan) == "NaN")
    }

    // MARK: - Histograms from bucket counts

    @Test func exp2BucketsAreCumulativeAndBackfilled() {
        let assembler = HistogramAssembler(layout: BucketLayout(type: .exp2, min: 0, max: 3, multiplier: 0.000001))
        let histogram = assembler.assemble([0: 2, 2: 5, 3: 1, 4: 1_000])
        #expect(histogram.buckets.map(\.upperBound) == [0.000001, 0.000002, 0.000004, 0.000008])
        #expect(histogram.buckets.map(\.cumulativeCount) == [2, 2, 7, 8])
        #expect(histogram.count == 8)
        // Bucket max + 1 holds the sum in the kernel's unit: 1000 µs.
        #expect(histogram.sum == 0.001)
    }

    @Test func exp2zeroLinearAndFixedBounds() {
        let zero = HistogramAssembler(layout: BucketLayout(type: .exp2zero, min: 0, max: 3)).assemble([0: 1, 1: 1, 3: 2])
        #expect(zero.buckets.map(\.upperBound) == [0, 1, 2, 4])
        #expect(zero.buckets.map(\.cumulativeCount) == [1, 2, 2, 4])
        let linear = HistogramAssembler(layout: BucketLayout(type: .linear, min: 1, max: 3, multiplier: 10)).assemble([2: 4])
        #expect(linear.buckets.map(\.upperBound) == [10, 20, 30])
        #expect(linear.buckets.map(\.cumulativeCount) == [0, 4, 4])
        let fixed = HistogramAssembler(layout: BucketLayout(type: .fixed, keys: [1, 10, 100], multiplier: 0.001))
            .assemble([1: 1, 10: 2, 100: 3, 101: 500])
        #expect(fixed.buckets.map(\.upperBound) == [0.001, 0.01, 0.1])
        #expect(fixed.buckets.map(\.cumulativeCount) == [1, 3, 6])
        #expect(fixed.sum == 0.5)
    }

    @Test func countsOutsideTheLayoutAreNotLost() {
        let assembler = HistogramAssembler(layout: BucketLayout(type: .exp2, min: 2, max: 4))
        // 1 below the first bucket: counts in it; 9 above the sum's bucket: only in +Inf.
        let histogram = assembler.assemble([1: 3, 3: 1, 9: 2])
        #expect(histogram.buckets.map(\.cumulativeCount) == [3, 4, 4])
        #expect(histogram.count == 6)
        #expect(histogram.sum == 0)
        let fixed = HistogramAssembler(layout: BucketLayout(type: .fixed, keys: [10, 20])).assemble([15: 1, 5: 1])
        #expect(fixed.buckets.map(\.cumulativeCount) == [1, 2])
    }

    @Test func emptyHistogramListsEveryBucket() {
        let histogram = HistogramAssembler(layout: BucketLayout(type: .exp2, min: 0, max: 27)).assemble([:])
        #expect(histogram.buckets.count == 28)
        #expect(histogram.buckets.allSatisfy { $0.cumulativeCount == 0 } && histogram.count == 0)
    }
}
