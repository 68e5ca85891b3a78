import Foundation
import LunaHTTP
import Testing
import TestSupport

@Suite("RetryPolicy and retrying sends")
struct RetryPolicyTests {
    let client = HTTPClient()
    let steady = RetryPolicy(maxRetries: 3, baseDelay: .milliseconds(100), maxDelay: .seconds(10), jitter: false)

    @Test("Retry-After in seconds is honoured")
    func retryAfterSeconds() throws {
        let script = Script([.json(429, #"{"retry_after":2}"#, headers: [("Retry-After", "2")])], then: .text(200, "ok"))
        try withServer(script.next) { server in
            let sleeps = SleepRecorder()
            let response = try client.send(HTTPRequest(url: server.baseURL + "/limited"), retry: steady, sleep: sleeps.sleep)
            #expect(response.status == 200)
            #expect(sleeps.durations == [.seconds(2)])
            #expect(server.requests.count == 2)
        }
    }

    @Test("retry-after-ms takes precedence over Retry-After")
    func retryAfterMilliseconds() throws {
        let script = Script([.text(503, "busy", headers: [("retry-after-ms", "150"), ("Retry-After", "9")])])
        try withServer(script.next) { server in
            let sleeps = SleepRecorder()
            let response = try client.send(HTTPRequest(url: server.baseURL + "/llm"), retry: steady, sleep: sleeps.sleep)
            #expect(response.status == 200)
            #expect(sleeps.durations == [.milliseconds(150)])
        }
    }

    @Test("5xx is retried at most maxRetries times with exponential backoff, then returned")
    func serverErrorsExhaustRetries() throws {
        try withServer({ _ in .text(500, "broken") }) { server in
            let sleeps = SleepRecorder()
            let response = try client.send(HTTPRequest(url: server.baseURL + "/down"), retry: steady, sleep: sleeps.sleep)
            #expect(response.status == 500)
            #expect(server.requests.count == 4)
            #expect(sleeps.durations == [.milliseconds(100), .milliseconds(200), .milliseconds(400)])
        }
    }

    @Test("Statuses outside retryStatuses are not retried", arguments: [200, 400, 401, 404, 501])
    func notRetried(status: Int) throws {
        try withServer({ _ in .text(status, "x") }) { server in
            let sleeps = SleepRecorder()
            let response = try client.send(HTTPRequest(url: server.baseURL + "/x"), retry: steady, sleep: sleeps.sleep)
            #expect(response.status == status)
            #expect(server.requests.count == 1)
            #expect(sleeps.durations.isEmpty)
        }
    }

    @Test("Connect failures are retried and then thrown")
    func connectFailureRetried() throws {
        let url = "http://127.0.0.1:\(try closedPort())/"
        let sleeps = SleepRecorder()
        let policy = RetryPolicy(maxRetries: 2, baseDelay: .milliseconds(10), jitter: false)
        let error = try #require(throws: HTTPError.self) {
            try client.send(HTTPRequest(url: url), retry: policy, sleep: sleeps.sleep)
        }
        #expect(error.kind == .connect)
        #expect(sleeps.durations == [.milliseconds(10), .milliseconds(20)])
    }

    @Test("Refused requests are never retried")
    func refusedNotRetried() throws {
        let sleeps = SleepRecorder()
        let error = try #require(throws: HTTPError.self) {
            try client.send(HTTPRequest(url: "file:///etc/passwd"), retry: steady, sleep: sleeps.sleep)
        }
        #expect(error.kind == .unsupportedScheme)
        #expect(sleeps.durations.isEmpty)
    }

    @Test("A Retry-After HTTP date counts from now")
    func retryAfterDate() throws {
        let now = Date(timeIntervalSince1970: 1_700_000_000)  // Tue, 14 Nov 2023 22:13:20 GMT
        let policy = RetryPolicy(maxDelay: .seconds(60), jitter: false)
        for date in ["Tue, 14 Nov 2023 22:13:50 GMT", "Tuesday, 14-Nov-23 22:13:50 GMT", "Tue Nov 14 22:13:50 2023"] {
            let response = HTTPResponse(status: 503, headers: [HTTPHeader("Retry-After", date)])
            #expect(policy.delay(forAttempt: 1, response: response, now: now) == .seconds(30), "\(date)")
        }
        let past = HTTPResponse(status: 503, headers: [HTTPHeader("Retry-After", "Tue, 14 Nov 2023 22:00:00 GMT")])
        #expect(policy.delay(forAttempt: 1, response: past, now: now) == .zero)
    }

    @Test("Server hints and backoff are capped at maxDelay")
    func capped() {
        let policy = RetryPolicy(maxRetries: 10, baseDelay: .seconds(1), maxDelay: .seconds(5), jitter: false)
        let hinted = HTTPResponse(status: 429, headers: [HTTPHeader("Retry-After", "3600")])
        #expect(policy.delay(forAttempt: 1, response: hinted) == .seconds(5))
        #expect(policy.delay(forAttempt: 8, response: nil) == .seconds(5))
        #expect(policy.delay(forAttempt: 3, response: nil) == .seconds(4))
    }

    @Test("Garbage hints fall back to backoff; attempts beyond maxRetries get nil")
    func fallbacksAndLimits() {
        let policy = RetryPolicy(maxRetries: 2, baseDelay: .milliseconds(250), jitter: false)
        let garbage = HTTPResponse(status: 503, headers: [HTTPHeader("Retry-After", "soon")])
        #expect(policy.delay(forAttempt: 1, response: garbage) == .milliseconds(250))
        #expect(policy.delay(forAttempt: 3, response: garbage) == nil)
        #expect(policy.delay(forAttempt: 0, response: nil) == nil)
        #expect(RetryPolicy.none.delay(forAttempt: 1, response: nil) == nil)
    }

    @Test("Jitter keeps backoff between half and all of its value")
    func jitterBounds() {
        let policy = RetryPolicy(maxRetries: 5, baseDelay: .milliseconds(400), maxDelay: .seconds(10), jitter: true)
        var seen = Set<Duration>()
        for _ in 0..<200 {
            let delay = try! #require(policy.delay(forAttempt: 2, response: nil))
            #expect(delay >= .milliseconds(400) && delay <= .milliseconds(800))
            seen.insert(delay)
        }
        #expect(seen.count > 1)
    }
}
