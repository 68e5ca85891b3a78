import Foundation
import LunaMCP
import LunaCodec
import Testing

@Suite("MCP wire")
struct MCPWireTests {
    @Test func parsesRequestsNotificationsAndRefusesTheRest() {
        #expect(MCPWire.parse(Data(#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#.utf8)) == .request(id: .int(1), method: "tools/list", params: nil))
        #expect(MCPWire.parse(Data(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#.utf8)) == .notification(method: "notifications/initialized", params: nil))
    }
}
