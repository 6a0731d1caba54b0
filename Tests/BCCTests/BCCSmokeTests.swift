import Testing
@testable import BCC
import TestSupport

@Test func BCCModuleLinks() {
    #expect(TestSupport.fixturesDirectory.path.hasSuffix("Tests/Fixtures"))
}
