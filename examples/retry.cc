#include "examples/retry.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace retry {

simtime::Coro<std::string> call_with_retry(Call call, Backoff backoff) {
  simtime::Duration delay = backoff.first_delay;
  for (int attempt = 1;; ++attempt) {
    try {
      co_return co_await call();
    } catch (const std::runtime_error&) {
      if (attempt >= backoff.attempts) throw;
    }
    co_await simtime::sleep(delay);
    delay = std::min(delay * 2, backoff.max_delay);
  }
}

}  // namespace retry
