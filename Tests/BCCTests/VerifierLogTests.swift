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
            guard case let BCCError.verifierRejected("<text>", program, log, logFile) = error else { return false }
            let description = "\(error)"
            return program.contains("tracepoint__syscalls__sys_enter_getppid")
                && log.contains("; *value += 1; @ <text>:5")
                && !log.contains("__bcc")
                // The reason and the user's line lead the message; the whole log is in the file it names.
                && description.hasPrefix("<text>: the verifier rejected program '\(program)': R")
                && description.contains("\n  at: *value += 1; @ <text>:5\n")
                && logFile.map { (try? String(contentsOfFile: $0, encoding: .utf8)) == log } == true
                && description.hasSuffix("lines): \(logFile ?? "")")
        }
    }

    /// A loop the verifier cannot bound gives a log of a hundred thousand
    /// lines with the reason at the very end: the error leads with that
    /// reason, shows a bounded tail and names the file with the whole log.
    @Test func longVerifierRejectionIsBoundedAndLeadsWithItsReason() throws {
        let source = """
            BPF_ARRAY(counts, u64, 1);
            TRACEPOINT_PROBE(syscalls, sys_enter_getppid) {
                u64 total = 0;
                for (u64 i = 0; i < bpf_ktime_get_ns(); i++) {
                    total += i;
                }
                counts.update(&(int){0}, &total);
                return 0;
            }
            """
        let error = #expect(throws: BCCError.self) { try BPF(text: source) }
        guard case let .verifierRejected(file, _, log, logFile)? = error else {
            Issue.record("expected a verifier rejection, got \(String(describing: error))")
            return
        }
        #expect(file == "<text>")
        let description = "\(error!)"
        let lines = description.split(separator: "\n")
        #expect(log.split(separator: "\n").count > 1000, "a short log: \(log.suffix(500))")
        #expect(lines.count <= 30, "\(description.prefix(3000))")
        #expect(lines.first?.contains("too large") == true || lines.first?.contains("loop") == true, "\(lines.first ?? "")")
        #expect(description.contains("@ <text>:"))
        let path = try #require(logFile)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == log)
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
