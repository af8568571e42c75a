import Testing
@testable import GadgetBuild

/// `cache prune --max-size` values (review F12): huge, infinite or not-a-number sizes are rejected, never
/// converted with an overflowing Int64(Double) (which traps).
@Suite struct CacheSizeParsingTests {
    @Test func ordinarySizes() {
        #expect(CacheMaintenance.parseSize("2G") == 2 << 30)
        #expect(CacheMaintenance.parseSize("1.5G") == 3 << 29)
        #expect(CacheMaintenance.parseSize("500m") == 500 << 20)
        #expect(CacheMaintenance.parseSize("64KB") == 64 << 10)
        #expect(CacheMaintenance.parseSize(" 1024 ") == 1024)
        #expect(CacheMaintenance.parseSize("0") == 0)
        #expect(CacheMaintenance.parseSize("8589934591G") == 8_589_934_591 << 30)
        #expect(CacheMaintenance.parseSize("9223372036854775807") == Int64.max)
    }

    @Test(arguments: ["8589934592G", "9223372036854775808", "infG", "inf", "1e30G", "1e3", "nan", "nanG", "-1", "-1G", "+5G", "abc", "", "G", ".5G", "1.G", "0x10"])
    func rejected(_ text: String) {
        #expect(CacheMaintenance.parseSize(text) == nil)
    }
}
