import Glibc
import Testing
@testable import EBPF

@Suite struct FeaturesTests {
    @Test func kernelVersionParsing() {
        #expect(KernelVersion(release: "6.18.44-fc-v669") == KernelVersion(6, 18, 44))
        #expect(KernelVersion(release: "5.8.0") == KernelVersion(5, 8))
        #expect(KernelVersion(release: "4.19") == KernelVersion(4, 19, 0))
        #expect(KernelVersion(release: "garbage") == nil)
        #expect(KernelVersion(5, 15, 300).code == 5 << 16 | 15 << 8 | 255)
        #expect(KernelVersion(5, 8) < KernelVersion(5, 15))
        #expect(KernelVersion.current >= KernelVersion(3, 0))
    }

    /// On a 5.15+ kernel every BPF probe answers yes, and answers the same twice (cached).
    @Test func bpfProbesOnThisKernel() throws {
        try #require(KernelVersion.current >= KernelVersion(5, 15), "these expectations assume Linux 5.15+")
        for feature in [Feature.ringBuffer, .btfLoad, .rawTracepoints, .perfEventLinks] {
            try Features.require(feature)
            try Features.require(feature)
            #expect(Features.isSupported(feature))
        }
    }

    /// The PMU probes follow sysfs; a missing PMU names the config that brings it.
    @Test(arguments: [(Feature.kprobePMU, "kprobe"), (.uprobePMU, "uprobe")])
    func pmuProbes(feature: Feature, device: String) throws {
        let present = access("/sys/bus/event_source/devices/\(device)/type", R_OK) == 0
        #expect(Features.isSupported(feature) == present)
        if present {
            #expect(try Features.pmuType(feature) > 5)  // past the fixed PERF_TYPE_* values
            #expect(try Features.retprobeBit(feature) == 0)
        } else {
            #expect(throws: BPFError.notSupported(feature: feature.description, requirement: feature.requirement)) {
                try Features.require(feature)
            }
            #expect(feature.requirement.contains("CONFIG_"))
        }
    }

    @Test(.enabled(if: kernelHas(.btfLoad), "needs BPF_BTF_LOAD (Linux 4.18+)"))
    func btfLoadFailureCarriesTheLog() throws {
        var broken = Features.minimalBTF
        broken[16] = 0xff  // the type section's length now runs past the data
        let error = expectBPFError(.malformed) { try Syscall.btfLoad(broken, object: "broken BTF") }
        #expect(error?.description.contains("broken BTF") == true)
    }
}
