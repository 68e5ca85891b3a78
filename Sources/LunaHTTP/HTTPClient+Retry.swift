import LunaSystem
import Foundation

extension HTTPClient {
    /// Sends a request, repeating it as `retry` allows.
    ///
    /// A response with a retryable status is retried until the policy's retries are
    /// used up, and then returned as is (the caller sees the last 429 or 503). A
    /// failure of a retryable kind is retried likewise and then thrown. Other
    /// responses return at once and other failures throw at once.
    ///
    /// - Parameters:
    ///   - request: The request to send (sent unchanged on every attempt).
    ///   - retry: When and how long to wait between attempts.
    ///   - sleep: Waits for the given duration; injectable so tests need not wait.
    /// - Returns: The last response received.
    /// - Throws: The last ``HTTPError`` when no attempt produced a response.
    public func send(
        _ request: HTTPRequest,
        retry: RetryPolicy,
        sleep: (Duration) -> Void = SystemClock.sleep
    ) throws(HTTPError) -> HTTPResponse {
        var attempt = 0
        while true {
            attempt += 1
            let wait: Duration
            do {
                let response = try send(request)
                guard let delay = retry.delay(forAttempt: attempt, response: response) else { return response }
                wait = delay
            } catch {
                guard retry.retryErrorKinds.contains(error.kind),
                      let delay = retry.delay(forAttempt: attempt, response: nil) else { throw error }
                wait = delay
            }
            sleep(wait)
        }
    }
}
