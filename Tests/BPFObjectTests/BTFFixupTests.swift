import Testing
import BPFObject
import BTF
import TestSupport

/// What the object loader changes in clang's BTF before the kernel sees it.
@Suite struct BTFFixupTests {
    @Test func hiddenGlobalFunctionsBecomeStatic() throws {
        let spec = try ObjectSpec(bytes: TestSupport.compileBPFFixture("object_linkage.bpf.c"))
        let btf = try #require(spec.btf)
        let hidden = try #require(btf.firstType(named: "hidden_double", kind: .function))
        let visible = try #require(btf.firstType(named: "global_triple", kind: .function))
        #expect(btf.linkage(of: hidden.id) == .static)
        #expect(btf.linkage(of: visible.id) == .global)
        let program = try #require(spec.program(named: "use_subprograms"))
        #expect(program.functionInfo.map { btf.name(of: $0.typeID) }.sorted()
            == ["global_triple", "hidden_double", "use_subprograms"])
    }
}
