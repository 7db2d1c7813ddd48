// A client that retries a failing call with exponential backoff: wait `first_delay` after
// the first failure, twice that after the second, and so on up to `max_delay`, for at most
// `attempts` calls in all. Tested for its exact retry times in examples/retry_test.cc.
#pragma once

#include <chrono>
#include <functional>
#include <simtime/simtime.hpp>
#include <string>

namespace retry {

struct Backoff {
  int attempts = 4;
  simtime::Duration first_delay = std::chrono::milliseconds(100);
  simtime::Duration max_delay = std::chrono::seconds(1);
};

/// One call to the service; it throws std::runtime_error when the call fails.
using Call = std::function<simtime::Coro<std::string>()>;

/// Calls `call` until it returns, sleeping between failures as `backoff` says. Returns the
/// reply; rethrows the last failure after `backoff.attempts` calls.
/// Cancellation: the call or the sleep in progress is cancelled, and nothing is retried.
simtime::Coro<std::string> call_with_retry(Call call, Backoff backoff);

}  // namespace retry
