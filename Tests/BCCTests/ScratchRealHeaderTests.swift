import Foundation
import EBPF
import Testing
@testable import BCC
import TestSupport

@Test func scratchRealHeader() throws {
    let header = "/tmp/vmlinux.h"
    let text = try String(contentsOfFile: header, encoding: .utf8)
    var helperSet = Set<String>()
    for line in text.split(separator: "\n") where line.contains("\tBPF_FUNC_") {
        let name = line.drop { $0 == "\t" }.dropFirst("BPF_FUNC_".count).prefix { $0 != " " }
        helperSet.insert(String(name))
    }
    let helpers = helperSet
    do {
    }
    let dir = try TestSupport.temporaryDirectory("scratch")
    let env = CompileEnvironment(headerPath: header, precompiledHeaderPath: nil, headerIdentity: "x", pageSize: 4096, possibleCPUs: 2,
        architecture: "x86_64", clang: try ClangDriver.locate(), cacheDirectory: dir,
        tracepointArgs: { c, n in
            let format = try String(contentsOfFile: "/sys/kernel/tracing/events/\(c)/\(n)/format", encoding: .utf8)
            return try TracepointArgsStruct(tracepoint: "\(c):\(n)", format: format) },
        availableHelpers: { helpers })
    let start = Date()
    let compiled = try BPFCompiler(environment: env).compile(source: guideRingBufferProgram + """

        BPF_HASH(counts, u32, u64);
        BPF_HISTOGRAM(dist);
        BPF_STACK_TRACE(stacks, 128);
        BPF_PERF_OUTPUT(perf_events);
        BPF_PERCPU_ARRAY(pa, u64, 4);
        TRACEPOINT_PROBE(syscalls, sys_enter_openat) {
            struct data_t d = {};
            bpf_probe_read_user_str(&d.comm, sizeof(d.comm), args->filename);
            u32 k = 1; counts.increment(k); counts.atomic_increment(k, 2); dist.increment(bpf_log2l(5));
            int id = stacks.get_stackid(args, 0);
            perf_events.perf_submit(args, &d, sizeof(d));
            bpf_trace_printk("hello %d\\n", id);
            u64 *v = pa.lookup(&k); if (v) *v += 1;
            return 0;
        }
        """, fileName: "prog.c", cflags: [], includeDirectory: nil)
    print("compiled in", Date().timeIntervalSince(start), compiled.object.count, compiled.eventTypes)
    let t2 = Date()
    do {
        let object = try BPFObjectLoader(bytes: compiled.object, name: "prog.c").load()
        print("loaded in", Date().timeIntervalSince(t2), object.programs.keys.sorted(), object.maps.keys.sorted())
        object.close()
    } catch { print("LOAD FAILED", error) }
}
