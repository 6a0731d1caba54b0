import Testing
@testable import EBPF
import TestSupport

@Test func EBPFModuleLinks() {
    #expect(TestSupport.fixturesDirectory.path.hasSuffix("Tests/Fixtures"))
}
