import EBPF
import Testing

/// A verifier log's reason comes first, with its source line and a bounded tail.
@Suite struct VerifierLogSummaryTests {
    @Test func reasonIsTheLastLineBeforeTheStatistics() {
        let log = """
            func#0 @0
            0: R1=ctx() R10=fp0
            ; u64 *value = counts.lookup(&key); @ prog.c:4
            3: (85) call bpf_map_lookup_elem#1
            ; *value += 1; @ prog.c:5
            4: (79) r1 = *(u64 *)(r0 +0)
            R0 invalid mem access 'map_value_or_null'
            verification time 25 usec
            stack depth 8
            processed 5 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0

            """
        let summary = VerifierLogSummary(log, tailLength: 2)
        #expect(summary.reason == "R0 invalid mem access 'map_value_or_null'")
        #expect(summary.sourceLine == "*value += 1; @ prog.c:5")
        #expect(summary.tail == ["; *value += 1; @ prog.c:5", "4: (79) r1 = *(u64 *)(r0 +0)"])
        #expect(summary.lineCount == 10)
        #expect(summary.text == """
            R0 invalid mem access 'map_value_or_null'
              at: *value += 1; @ prog.c:5
              the log's last 2 lines before it (of 10):
                ; *value += 1; @ prog.c:5
                4: (79) r1 = *(u64 *)(r0 +0)
            """)
    }

    @Test func aLongLogIsBoundedInTheErrorsDescription() {
        let log = (0..<100_000).map { "\($0): (07) r1 += 1" }.joined(separator: "\n")
            + "\nBPF program is too large. Processed 1000001 insn\nprocessed 1000001 insns (limit 1000000)\n"
        let description = BPFError.verifierRejected(program: "loop", log: log).description
        #expect(description.hasPrefix("the verifier rejected program 'loop': BPF program is too large. Processed 1000001 insn\n"))
        #expect(description.split(separator: "\n").count == 22)
        #expect(description.hasSuffix("99999: (07) r1 += 1"))
    }
}
