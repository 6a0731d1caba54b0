import Testing
@testable import BTF
import TestSupport

@Test func BTFModuleLinks() {
    #expect(TestSupport.fixturesDirectory.path.hasSuffix("Tests/Fixtures"))
}
