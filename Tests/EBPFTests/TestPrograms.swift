import BPFObject
@testable import EBPF

/// Hand-assembled programs the EBPF tests load.
enum TestPrograms {
    /// A socket filter stores `value` under key 0 of `map` (4-byte keys,
    /// 8-byte values) and returns `result`.
    static func storeAndReturn(map: Map, value: Int32, result: Int32) -> [Instruction] {
        [.store(.word, .r10, -4, 0),
         .store(.double, .r10, -16, value)]
            + Instruction.loadMapFD(.r1, map.fd.rawValue)
            + [.mov(.r2, .r10), .add(.r2, -4),
               .mov(.r3, .r10), .add(.r3, -16),
               .mov(.r4, 0),
               .call(.mapUpdateElement),
               .mov(.r0, result),
               .exit()]
    }

    /// A packet big enough for any network program type's test run (an Ethernet header and more).
    static let packet = [UInt8](repeating: 0xab, count: 64)
}

/// False only when the kernel conclusively lacks `feature`: tests skip for a
/// missing feature, never for a missing privilege (that must fail).
func kernelHas(_ feature: Feature) -> Bool {
    kernelSupports { try Features.require(feature) }
}

/// False only when `probe` throws `BPFError.notSupported`; any other error
/// (a missing privilege) enables the test so that it fails.
func kernelSupports(_ probe: () throws -> Void) -> Bool {
    do {
        try probe()
        return true
    } catch BPFError.notSupported {
        return false
    } catch {
        return true
    }
}
