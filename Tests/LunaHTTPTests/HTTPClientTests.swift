import Foundation
import LunaHTTP
import Synchronization
import Testing
import TestSupport

@Suite("HTTPClient against the loopback server")
struct HTTPClientTests {
    let client = HTTPClient()

    @Test("GET with query and headers arrives intact")
    func getWithHeaders() throws {
        try withServer({ _ in .json(200, #"{"ok":true}"#) }) { server in
            let response = try client.send(HTTPRequest(
                url: server.baseURL + "/api/v10/users/@me?limit=5&name=a%20b",
                headers: [HTTPHeader("Authorization", "Bot s3cret"), HTTPHeader("X-Trace", "abc-123")]
            ))
            #expect(response.status == 200)
            #expect(response.text == #"{"ok":true}"#)
            #expect(response.header("content-type") == "application/json")

            let request = try #require(server.requests.first)
            #expect(server.requests.count == 1)
            #expect(request.method == "GET")
            #expect(request.pathWithoutQuery == "/api/v10/users/@me")
            #expect(request.query == ["limit": "5", "name": "a b"])
            #expect(request.header("authorization") == "Bot s3cret")
            #expect(request.header("X-Trace") == "abc-123")
            #expect(request.header("User-Agent") == "luna/0.1")
            #expect(request.body.isEmpty)
        }
    }

    @Test("POST of a JSON body arrives byte for byte and no form content type is invented")
    func postJSON() throws {
        let json = #"{"content":"héllo 🌙\nline two","embeds":[{"n":1}],"quote":"\"x\""}"#
        try withServer({ request in .json(201, request.bodyText) }) { server in
            let response = try client.send(HTTPRequest(
                method: "POST", url: server.baseURL + "/channels/1/messages",
                headers: [HTTPHeader("Content-Type", "application/json")],
                body: Data(json.utf8)
            ))
            #expect(response.status == 201)
            #expect(response.text == json)

            let request = try #require(server.requests.first)
            #expect(request.method == "POST")
            #expect(request.bodyText == json)
            #expect(request.header("Content-Length") == String(Data(json.utf8).count))
            #expect(request.header("Content-Type") == "application/json")
            #expect(request.header("Expect") == nil)

            _ = try client.send(HTTPRequest(method: "POST", url: server.baseURL + "/raw", body: Data("x".utf8)))
            #expect(server.requests.last?.header("Content-Type") == nil)
        }
    }

    @Test("Other methods: binary PUT body, empty-body PATCH, DELETE, HEAD")
    func otherMethods() throws {
        let binary = Data((0...255).map { UInt8($0) } + Array(repeating: 0, count: 70_000))
        try withServer({ request in .text(200, "\(request.method) \(request.body.count)") }) { server in
            let put = try client.send(HTTPRequest(method: "PUT", url: server.baseURL + "/blob", body: binary))
            #expect(put.text == "PUT \(binary.count)")
            #expect(server.requests.last?.body == binary)

            let patch = try client.send(HTTPRequest(method: "PATCH", url: server.baseURL + "/x"))
            #expect(patch.text == "PATCH 0")
            #expect(server.requests.last?.header("Content-Length") == "0")

            let delete = try client.send(HTTPRequest(method: "DELETE", url: server.baseURL + "/x"))
            #expect(delete.text == "DELETE 0")

            let head = try client.send(HTTPRequest(method: "HEAD", url: server.baseURL + "/x"))
            #expect(head.status == 200)
            #expect(head.body.isEmpty)
            #expect(head.header("Content-Length") == "6")
            #expect(server.requests.map(\.method) == ["PUT", "PATCH", "DELETE", "HEAD"])
        }
    }

    @Test("Status codes come back as responses, not errors", arguments: [200, 201, 204, 400, 401, 404, 429, 500, 503])
    func statusCodes(status: Int) throws {
        try withServer({ _ in .text(status, status == 204 ? "" : "status \(status)") }) { server in
            let response = try client.send(HTTPRequest(url: server.baseURL + "/s"))
            #expect(response.status == status)
            #expect(response.isSuccess == (200..<300).contains(status))
            #expect(response.text == (status == 204 ? "" : "status \(status)"))
        }
    }

    @Test("Response headers: case-insensitive lookup, multi-valued, last wins")
    func responseHeaders() throws {
        let response = Server.Response.text(200, "h", headers: [
            ("X-Multi", "first"), ("x-multi", "second"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"),
            ("X-RateLimit-Remaining", "4"),
        ])
        try withServer({ _ in response }) { server in
            let got = try client.send(HTTPRequest(url: server.baseURL + "/h"))
            #expect(got.header("X-MULTI") == "second")
            #expect(got.headerValues("x-Multi") == ["first", "second"])
            #expect(got.headerValues("set-cookie") == ["a=1", "b=2"])
            #expect(got.header("x-ratelimit-remaining") == "4")
            #expect(got.header("Content-Type") == "text/plain; charset=utf-8")
            #expect(got.header("X-Absent") == nil)
            #expect(got.headerValues("X-Absent").isEmpty)
        }
    }

    @Test("Only the final header block is kept after a 1xx interim response")
    func interimHeaderBlock() throws {
        var response = Server.Response.text(200, "final", headers: [("X-Final", "yes")])
        response.interim = [.init(status: 103, headers: [("Link", "</style.css>; rel=preload"), ("X-Early", "1")])]
        try withServer({ [response] _ in response }) { server in
            let got = try client.send(HTTPRequest(url: server.baseURL + "/hints"))
            #expect(got.status == 200)
            #expect(got.text == "final")
            #expect(got.header("X-Final") == "yes")
            #expect(got.header("X-Early") == nil)
            #expect(got.header("Link") == nil)
        }
    }

    @Test("Chunked responses are decoded")
    func chunkedResponse() throws {
        var response = Server.Response.text(200, String(repeating: "0123456789", count: 5_000))
        response.chunked = true
        try withServer({ [response] _ in response }) { server in
            let got = try client.send(HTTPRequest(url: server.baseURL + "/chunked"))
            #expect(got.body.count == 50_000)
            #expect(got.header("Transfer-Encoding") == "chunked")
        }
    }

    @Test("Connecting to a closed loopback port is kind .connect")
    func connectFailure() throws {
        let port = try closedPort()
        let url = "http://127.0.0.1:\(port)/nothing"
        let error = try #require(throws: HTTPError.self) {
            try client.send(HTTPRequest(url: url, connectTimeout: .seconds(2)))
        }
        #expect(error.kind == .connect)
        #expect(error.url == url)
        #expect(error.curlCode == 7)
        #expect(error.description.contains(url))
        #expect(error.message.contains("127.0.0.1"))
    }

    @Test("A server slower than the total timeout is kind .timeout, within bounded time")
    func totalTimeout() throws {
        try withServer({ _ in Server.Response.text(200, "late").delayed(by: .seconds(5)) }) { server in
            let clock = ContinuousClock()
            let start = clock.now
            let error = try #require(throws: HTTPError.self) {
                try client.send(HTTPRequest(url: server.baseURL + "/slow", timeout: .milliseconds(300)))
            }
            let elapsed = clock.now - start
            #expect(error.kind == .timeout)
            #expect(error.curlCode == 28)
            #expect(elapsed >= .milliseconds(250))
            #expect(elapsed < .seconds(3))
        }
    }

    @Test("A body over maxResponseBytes is kind .tooLarge", arguments: [false, true])
    func tooLarge(chunked: Bool) throws {
        let limit = 100_000
        let small = HTTPClient(maxResponseBytes: limit)
        try withServer({ request in
            var response = Server.Response(body: Data(count: request.path == "/exact" ? limit : limit + 1))
            response.chunked = chunked
            return response
        }) { server in
            let exact = try small.send(HTTPRequest(url: server.baseURL + "/exact"))
            #expect(exact.body.count == limit)

            let error = try #require(throws: HTTPError.self) {
                try small.send(HTTPRequest(url: server.baseURL + "/big"))
            }
            #expect(error.kind == .tooLarge)
        }
    }

    @Test("Non-http schemes are refused before anything is sent", arguments: [
        "file:///etc/passwd", "ftp://127.0.0.1/pub", "gopher://127.0.0.1/", "dict://127.0.0.1/d",
        "scp://127.0.0.1/x", "FILE:///etc/hostname",
    ])
    func unsupportedScheme(url: String) throws {
        let error = try #require(throws: HTTPError.self) { try client.send(HTTPRequest(url: url)) }
        #expect(error.kind == .unsupportedScheme)
        #expect(error.curlCode == nil)
        #expect(error.url == url)
    }

    @Test("Malformed URLs are kind .invalidURL", arguments: ["", "not a url", "javascript:alert(1)", "127.0.0.1/x", "http://", "http://exa mple/"])
    func invalidURL(url: String) throws {
        let error = try #require(throws: HTTPError.self) { try client.send(HTTPRequest(url: url)) }
        #expect(error.kind == .invalidURL)
    }

    @Test("Header injection and bad methods are refused and nothing reaches the server")
    func invalidRequest() throws {
        try withServer({ _ in .text(200, "should not happen") }) { server in
            let bad = [
                HTTPRequest(url: server.baseURL, headers: [HTTPHeader("X-A", "1\r\nX-Injected: 2")]),
                HTTPRequest(url: server.baseURL, headers: [HTTPHeader("Bad Name", "1")]),
                HTTPRequest(method: "GET /evil HTTP/1.1\r\n", url: server.baseURL),
                HTTPRequest(url: server.baseURL, timeout: .zero),
            ]
            for request in bad {
                let error = try #require(throws: HTTPError.self) { try client.send(request) }
                #expect(error.kind == .invalidRequest)
            }
            #expect(server.requests.isEmpty)
        }
    }

    @Test("Redirects are not followed by default")
    func redirectNotFollowed() throws {
        try withServer({ request in
            request.path == "/old" ? .redirect(to: "/new") : .text(200, "new")
        }) { server in
            let response = try client.send(HTTPRequest(url: server.baseURL + "/old"))
            #expect(response.status == 302)
            #expect(response.header("Location") == "/new")
            #expect(server.requests.map(\.path) == ["/old"])
        }
    }

    @Test("Followed redirects keep only the final response's headers")
    func redirectFollowed() throws {
        try withServer({ request in
            request.path == "/old"
                ? Server.Response(status: 301, headers: [("Location", "/new"), ("X-Hop", "1")])
                : .text(200, "new")
        }) { server in
            let response = try client.send(HTTPRequest(url: server.baseURL + "/old", followRedirects: true))
            #expect(response.status == 200)
            #expect(response.text == "new")
            #expect(response.header("X-Hop") == nil)
            #expect(server.requests.map(\.path) == ["/old", "/new"])
        }
    }

    @Test("A redirect to a non-http scheme is refused even when following", arguments: [
        "file:///etc/passwd", "ftp://127.0.0.1/pub",
    ])
    func redirectToOtherScheme(target: String) throws {
        try withServer({ _ in .redirect(to: target) }) { server in
            let error = try #require(throws: HTTPError.self) {
                try client.send(HTTPRequest(url: server.baseURL + "/go", followRedirects: true))
            }
            #expect(error.kind == .unsupportedScheme)
            #expect(error.curlCode == 1)
            #expect(server.requests.count == 1)
        }
    }

    @Test("Too many redirects is a transport error")
    func redirectLoop() throws {
        try withServer({ _ in .redirect(to: "/again") }) { server in
            let error = try #require(throws: HTTPError.self) {
                try client.send(HTTPRequest(url: server.baseURL + "/again", followRedirects: true, maxRedirects: 3))
            }
            #expect(error.kind == .transport)
            #expect(server.requests.count == 4)
        }
    }

    @Test("https to a plain-HTTP port fails TLS as kind .tls (verification cannot be skipped)")
    func tlsFailure() throws {
        try withServer({ _ in .text(200, "plain") }) { server in
            let error = try #require(throws: HTTPError.self) {
                try client.send(HTTPRequest(url: "https://127.0.0.1:\(server.port)/", timeout: .seconds(5)))
            }
            #expect(error.kind == .tls)
        }
    }

    @Test("Many concurrent sends from several threads all succeed")
    func concurrentSends() throws {
        try withServer({ request in .text(200, "echo " + request.path) }) { server in
            let failures = Mutex<[String]>([])
            let client = self.client
            DispatchQueue.concurrentPerform(iterations: 8) { thread in
                for index in 0..<25 {
                    let path = "/t\(thread)/r\(index)"
                    do {
                        let response = try client.send(HTTPRequest(url: server.baseURL + path))
                        if response.text != "echo " + path { failures.withLock { $0.append("\(path): \(response.text)") } }
                    } catch {
                        failures.withLock { $0.append("\(path): \(error)") }
                    }
                }
            }
            #expect(failures.withLock { $0 } == [])
            #expect(server.requests.count == 200)
            #expect(Set(server.requests.map(\.path)).count == 200)
        }
    }
}
