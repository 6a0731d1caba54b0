import ProbeSpec
import Testing

@Suite struct TraceProbeTests {
    @Test func bareFunctionIsAKernelEntryProbe() throws {
        let probe = try TraceProbe(parsing: "vfs_read")
        #expect(probe.point == ProbePoint(kind: .kernelEntry, target: "vfs_read"))
        #expect(probe.filter == nil && probe.format == nil && probe.arguments.isEmpty)
    }

    @Test func functionWithFormatAndArgument() throws {
        let probe = try TraceProbe(parsing: #"do_sys_openat2 "%s", arg2"#)
        #expect(probe.point.kind == .kernelEntry)
        #expect(probe.format == "%s")
        #expect(probe.conversions == [.string])
        #expect(probe.arguments == ["arg2"])
    }

    @Test func filterBeforeFormat() throws {
        let probe = try TraceProbe(parsing: #"ksys_read (arg3 > 20000) "read %d bytes", arg3"#)
        #expect(probe.filter == "arg3 > 20000")
        #expect(probe.format == "read %d bytes")
        #expect(probe.arguments == ["arg3"])
    }

    @Test func userReturnProbeWithCastInFilter() throws {
        let probe = try TraceProbe(parsing: #"r:c:read ((int)retval < 0) "read failed: %d", retval"#)
        #expect(probe.point == ProbePoint(kind: .userReturn, library: "c", target: "read"))
        #expect(probe.filter == "(int)retval < 0")
        #expect(probe.arguments == ["retval"])
    }

    @Test func libraryShorthandAndPath() throws {
        #expect(try TraceProbe(parsing: "bash:readline").point == ProbePoint(kind: .userEntry, library: "bash", target: "readline"))
        let probe = try TraceProbe(parsing: #"r:/bin/bash:readline "%s", retval"#)
        #expect(probe.point == ProbePoint(kind: .userReturn, library: "/bin/bash", target: "readline"))
    }

    @Test func tracepointWithArgsField() throws {
        let probe = try TraceProbe(parsing: #"t:block:block_rq_complete "sectors=%d", args->nr_sector"#)
        #expect(probe.point.tracepoint?.category == "block")
        #expect(probe.point.tracepoint?.event == "block_rq_complete")
        #expect(probe.arguments == ["args->nr_sector"])
    }

    @Test func usdtWithAndWithoutProvider() throws {
        let plain = try TraceProbe(parsing: #"u:pthread:pthread_create "%U", arg3"#)
        #expect(plain.point == ProbePoint(kind: .usdt, library: "pthread", target: "pthread_create"))
        #expect(plain.point.usdtProbe?.provider == nil)
        #expect(plain.conversions == [.userSymbol])
        let provided = try TraceProbe(parsing: "u:/usr/lib/libc.so.6:libc:setjmp")
        #expect(provided.point.usdtProbe?.provider == "libc")
        #expect(provided.point.usdtProbe?.name == "setjmp")
    }

    @Test func signatureNamesTheArguments() throws {
        let probe = try TraceProbe(parsing: #"p:c:open(char *filename, int flags) "opening %s", filename"#)
        #expect(probe.parameters == [Parameter(type: "char *", name: "filename"), Parameter(type: "int", name: "flags")])
        #expect(probe.arguments == ["filename"])
        let kernel = try TraceProbe(parsing: #"p::do_nanosleep(struct hrtimer_sleeper *t) "sleeping %lld", t->timer.node.expires"#)
        #expect(kernel.parameters?.first?.type == "struct hrtimer_sleeper *")
        #expect(kernel.conversions == [.longLong])
    }

    @Test func stringComparisonsAndCommasInsideCalls() throws {
        let probe = try TraceProbe(parsing: #"p:c:open (STRCMP("test.txt", arg1)) "opening %s, %d", arg1, (int)(arg2 & 3)"#)
        #expect(probe.filter == #"STRCMP("test.txt", arg1)"#)
        #expect(probe.arguments == ["arg1", "(int)(arg2 & 3)"])
    }

    @Test func offsetInHexAndDecimal() throws {
        #expect(try TraceProbe(parsing: "p:c:malloc+0x10").point.offset == 16)
        #expect(try TraceProbe(parsing: "vfs_write+8").point.offset == 8)
    }

    @Test func everyConversionIsRecognised() throws {
        let probe = try TraceProbe(parsing: #"f "%s %d %u %ld %lu %lld %llu %hd %hu %x %lx %llx %c %K %U 100%%", a, b, c, d, e, f, g, h, i, j, k, l, m, n, o"#)
        #expect(probe.conversions == [.string, .int, .unsignedInt, .long, .unsignedLong, .longLong, .unsignedLongLong,
                                      .short, .unsignedShort, .hex, .hexLong, .hexLongLong, .character, .kernelSymbol, .userSymbol])
    }

    @Test(arguments: [
        ("x:c:malloc", 1, "probe type must be"),
        (#"vfs_read "%d""#, 10, "1 conversion but 0 arguments"),
        (#"vfs_read "%d %d", arg1"#, 10, "2 conversions but 1 argument"),
        (#"vfs_read (arg1 > 0 "%d", arg1"#, 10, "never closed"),
        (#"vfs_read "%q", arg1"#, 11, "unsupported conversion"),
        (#"vfs_read "%d, arg1"#, 10, "unterminated string"),
        ("t:sched:sched_switch(int a)", 21, "can't have a function signature"),
        ("t:sched", 1, "t:category:event"),
        ("r:c:malloc+4", 11, "return probe cannot have an offset"),
        ("p:c:malloc+zz", 12, "invalid offset"),
        ("p:c:mal$loc", 8, "unexpected '$'"),
        (#"vfs_read arg1"#, 10, "expected a format string"),
        (#"vfs_read "%d" arg1"#, 15, "expected ','"),
        ("p:a:b:c", 6, "too many ':'"),
        ("c:open(char *)", 8, "'type name'"),
    ])
    func badSpecifiersNameTheColumn(specifier: String, column: Int, message: String) {
        do {
            _ = try TraceProbe(parsing: specifier)
            Issue.record("accepted \(specifier)")
        } catch {
            #expect(error.column == column, "\(error)")
            #expect(error.message.contains(message), "\(error)")
            #expect(error.description.contains("at column \(column)"))
        }
    }
}

@Suite struct ArgdistProbeTests {
    @Test func frequencyOfAParameter() throws {
        let probe = try ArgdistProbe(parsing: "p:c:malloc(size_t size):size_t:size", mode: .frequency)
        #expect(probe.point == ProbePoint(kind: .userEntry, library: "c", target: "malloc"))
        #expect(probe.parameters == [Parameter(type: "size_t", name: "size")])
        #expect(probe.types == ["size_t"] && probe.expressions == ["size"])
        #expect(probe.filter == nil && probe.label == nil && !probe.isDefaultExpression)
    }

    @Test func histogramWithFilter() throws {
        let probe = try ArgdistProbe(parsing: "p:c:write(int fd, void *buf, size_t len):size_t:len:fd==1", mode: .histogram)
        #expect(probe.parameters.map(\.name) == ["fd", "buf", "len"])
        #expect(probe.expressions == ["len"] && probe.filter == "fd==1")
    }

    @Test func kernelFunctionWithTwoExpressions() throws {
        let probe = try ArgdistProbe(parsing: "p::__kmalloc(size_t size, gfp_t flags):gfp_t,size_t:flags,size", mode: .frequency)
        #expect(probe.point.kind == .kernelEntry)
        #expect(probe.types == ["gfp_t", "size_t"] && probe.expressions == ["flags", "size"])
    }

    @Test func returnProbeDefaultsToRetvalAndLatencyNeedsEntry() throws {
        let plain = try ArgdistProbe(parsing: "r:c:read()", mode: .histogram)
        #expect(plain.isDefaultExpression && plain.expressions == ["$retval"] && plain.types == ["int"])
        #expect(!plain.needsEntryProbe)
        let latency = try ArgdistProbe(parsing: "r::__vfs_read():u32:$PID:$latency > 100000", mode: .frequency)
        #expect(latency.filter == "$latency > 100000" && latency.needsEntryProbe)
        let entry = try ArgdistProbe(parsing: "r:c:malloc(size_t size):u64:$latency/$entry(size)#ns per byte", mode: .histogram)
        #expect(entry.expressions == ["$latency/$entry(size)"] && entry.label == "ns per byte" && entry.needsEntryProbe)
    }

    @Test func tracepointAndLabel() throws {
        let probe = try ArgdistProbe(parsing: "t:net:net_dev_start_xmit():u16:args->protocol#protocols", mode: .frequency)
        #expect(probe.point.tracepoint?.event == "net_dev_start_xmit")
        #expect(probe.expressions == ["args->protocol"] && probe.label == "protocols")
    }

    @Test func stringComparisonInFilterKeepsItsColon() throws {
        let probe = try ArgdistProbe(parsing: #"r:c:open(char *file):u64:$latency/1000:STRCMP("a:b",$entry(file))"#, mode: .histogram)
        #expect(probe.filter == #"STRCMP("a:b",$entry(file))"#)
    }

    @Test(arguments: [
        ("p:c:malloc", 11, "need a signature"),
        ("p:c:malloc(size_t size):size_t", 25, "types need expressions"),
        ("p:c:malloc(size_t size):size_t,int:size", 36, "mismatched number"),
        ("p:c:malloc(size_t size)", 24, "histograms need an expression"),
        ("t:sched:sched_switch(int a)", 21, "can't have a function signature"),
        ("malloc(size_t size)", 1, "{p,r,t,u}"),
    ])
    func badSpecifiersNameTheColumn(specifier: String, column: Int, message: String) {
        do {
            _ = try ArgdistProbe(parsing: specifier, mode: .histogram)
            Issue.record("accepted \(specifier)")
        } catch {
            #expect(error.column == column, "\(error)")
            #expect(error.message.contains(message), "\(error)")
        }
    }
}

@Suite struct FunctionPatternTests {
    @Test func kernelGlob() throws {
        let pattern = try FunctionPattern(parsing: "vfs_*")
        #expect(pattern.point.kind == .kernelEntry && pattern.point.isPattern)
        let matcher = pattern.matcher()
        #expect(matcher.matches("vfs_read") && !matcher.matches("do_vfs_read"))
    }

    @Test func libcAndTracepointAndUSDTPatterns() throws {
        let libc = try FunctionPattern(parsing: "c:mem*")
        #expect(libc.point == ProbePoint(kind: .userEntry, library: "c", target: "mem*"))
        #expect(libc.matcher().matches("memcpy") && !libc.matcher().matches("malloc"))
        let tracepoints = try FunctionPattern(parsing: "t:sched:sched_*")
        #expect(tracepoints.point.kind == .tracepoint)
        #expect(tracepoints.matcher().matches("sched:sched_switch") && !tracepoints.matcher().matches("irq:irq_handler_entry"))
        let usdt = try FunctionPattern(parsing: "u:pthread:*mutex*")
        #expect(usdt.point.kind == .usdt && usdt.matcher().matches("mutex_acquire"))
    }

    @Test func regularExpressions() throws {
        let pattern = try FunctionPattern(parsing: "c:^(malloc|free)$", regularExpression: true)
        let matcher = pattern.matcher()
        #expect(matcher.matches("malloc") && matcher.matches("free") && !matcher.matches("calloc"))
        #expect(throws: ProbeSpecError.self) { try FunctionPattern(parsing: "c:(unclosed", regularExpression: true) }
    }

    @Test func returnProbesAreRefused() {
        #expect(throws: ProbeSpecError.self) { try FunctionPattern(parsing: "r:c:malloc") }
    }

    @Test(arguments: [("a*b", "ab", true), ("a*b", "axxb", true), ("a?c", "abc", true), ("a?c", "ac", false),
                      ("*", "", true), ("*x*y*", "axbyc", true), ("a*a*a*a*b", String(repeating: "a", count: 200), false)])
    func globMatching(pattern: String, name: String, expected: Bool) {
        #expect(Glob(pattern).matches(name) == expected)
    }
}
