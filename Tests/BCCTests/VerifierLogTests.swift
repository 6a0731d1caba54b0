import EBPF
import Foundation
import Testing
@testable import BCC

extension BPFKernelTests {
    /// The verifier's source annotations show the user's C line, not the rewritten one.
    @Test func verifierRejectionShowsTheUserLine() throws {
        let source = """
            BPF_HASH(counts, u32, u64);
            TRACEPOINT_PROBE(syscalls, sys_enter_getppid) {
                u32 key = 1;
                u64 *value = counts.lookup(&key);
                *value += 1;
                return 0;
            }
            """
        #expect {
            try BPF(text: source)
        } throws: { error in
            guard case let BCCError.kernel("load", "<text>", .verifierRejected(program, log)) = error else { return false }
            return program.contains("tracepoint__syscalls__sys_enter_getppid")
                && log.contains("; *value += 1; @ <text>:5")
                && !log.contains("__bcc")
        }
    }

    /// kprobe__X auto-attaches; on a kernel without kprobes the error names CONFIG_KPROBES and nothing stays loaded.
    @Test func kprobeConventionAttachesOrNamesTheMissingKernelFeature() throws {
        // A map name of this run's own, to find it (or not) among all the kernel's maps.
        let mapName = "kp\(UInt32.random(in: .min ... .max))"
        do {
            let b = try BPF(text: "BPF_ARRAY(\(mapName), u64, 1);\n"
                + "int kprobe__do_nanosleep(struct pt_regs *ctx) { \(mapName).atomic_increment(0); return 0; }\n")
            defer { b.close() }
            #expect(b.attachedProbes == ["kprobe do_nanosleep -> kprobe__do_nanosleep"])
        } catch {
            // Matched in a switch: a catch pattern this deep crashes Swift 6.3's ownership verifier.
            switch error {
            case let .kernel(operation, object, .notSupported(_, requirement)):
                #expect(operation == "attach kprobe__do_nanosleep to")
                #expect(object == "kprobe do_nanosleep")
                #expect(requirement.contains("CONFIG_KPROBES"))
            default:
                Issue.record("expected the attach to fail as not supported, got \(error)")
            }
        }
        expectNoKernelMap(named: mapName)
    }

    @Test func syscallConventionNamesGetTheArchitecturePrefix() {
        #if arch(x86_64)
            #expect(BPF.syscallFunctionName("sys_getppid") == "__x64_sys_getppid")
        #endif
        #expect(BPF.syscallFunctionName("do_nanosleep") == "do_nanosleep")
        #expect(BPF.syscallFunctionName("sys_no_such_call_here") == "sys_no_such_call_here")
    }

    @Test func verifierSourceAnnotationsAreMappedToUserLines() {
        let mapper = VerifierLogSource(fileName: "prog.c", original: Array("int a;\n  u64 *v = counts.lookup(&k);\n".utf8))
        let log = "0: R1=ctx()\n; u64 *v = ((typeof(counts.value))bpf_map_lookup_elem((void *)&counts, &k)); @ prog.c:2\n1: (85) call"
        #expect(mapper.mapped(log) == "0: R1=ctx()\n; u64 *v = counts.lookup(&k); @ prog.c:2\n1: (85) call")
    }
}
