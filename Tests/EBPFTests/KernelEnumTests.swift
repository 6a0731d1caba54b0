import BPFObject
import BTF
import Testing
@testable import EBPF

/// MapType, ProgramType and AttachType are written as literals in BPFObject
/// (a pure layer without kernel headers); the running kernel's own BTF says
/// what each value is called, and that every value it knows has a constant.
@Suite struct KernelEnumTests {
    /// The kernel's enumerators of `enum name`, without the `*_DEPRECATED`
    /// aliases, and its `__MAX_*` sentinel (one past the last value).
    static func kernelEnum(_ name: String) throws -> (enumerators: [(name: String, value: UInt32)], end: UInt32) {
        let btf = try KernelBTF.shared()
        let type = try #require(btf.firstType(named: name, kind: .enum), "the kernel's BTF has no enum \(name)")
        let values = btf.enumValues(of: type.id).filter { !$0.name.hasSuffix("_DEPRECATED") }
        let end = try #require(values.first { $0.name.hasPrefix("__MAX_") }, "enum \(name) has no __MAX_ sentinel")
        return (values.filter { !$0.name.hasPrefix("__") }.map { ($0.name, UInt32(truncatingIfNeeded: $0.bits)) },
                UInt32(truncatingIfNeeded: end.bits))
    }

    /// Every kernel enumerator has a constant with its value and C name, and
    /// every constant below the kernel's sentinel is one the kernel has (on
    /// Linux 6.18, the tables' reference, the two lists are equal; an older
    /// kernel lacks the newest values, a newer one adds some).
    static func check(_ enumName: String, known: [UInt32], cName: (UInt32) -> String) throws {
        let kernel = try kernelEnum(enumName)
        for (name, value) in kernel.enumerators {
            #expect(cName(value) == name, "\(enumName) \(value): the kernel calls it \(name), the table \(cName(value))")
        }
        let kernelValues = Set(kernel.enumerators.map(\.value))
        for value in known where value < kernel.end && !kernelValues.contains(value) {
            Issue.record("\(cName(value)) = \(value) is not in the running kernel's \(enumName)")
        }
    }

    @Test func mapTypesMatchTheKernel() throws {
        try Self.check("bpf_map_type", known: MapType.allKnown.map(\.rawValue)) {
            MapType(rawValue: $0).cName
        }
    }

    @Test func programTypesMatchTheKernel() throws {
        try Self.check("bpf_prog_type", known: ProgramType.allKnown.map(\.rawValue)) {
            ProgramType(rawValue: $0).cName
        }
    }

    @Test func attachTypesMatchTheKernel() throws {
        try Self.check("bpf_attach_type", known: AttachType.allKnown.map(\.rawValue)) {
            AttachType(rawValue: $0).cName
        }
    }

    @Test func unknownValuesStayNumbers() {
        let future = MapType(rawValue: 4000)
        #expect(future.cName == "4000")
        #expect(future.description == "map type 4000")
        #expect(MapType.perCPUHash.description == "percpu hash" && MapType.perCPUHash.isPerCPU)
    }
}
