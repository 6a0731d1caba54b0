import Testing
@testable import ELF
import TestSupport

@Test func ELFModuleLinks() {
    #expect(TestSupport.fixturesDirectory.path.hasSuffix("Tests/Fixtures"))
}
