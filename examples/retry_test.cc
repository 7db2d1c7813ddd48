// The retrying client, tested for the exact virtual times of its attempts: each call to the
// fake service is a mark in the trace, and HappenedAt pins when it happened.
#include "examples/retry.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <simtime/simtime.hpp>
#include <simtime/testing/co_test.hpp>
#include <simtime/testing/matchers.hpp>
#include <simtime/testing/run_virtual.hpp>
#include <stdexcept>
#include <string>

namespace {

using namespace std::chrono_literals;
using simtime::testing::Events;
using simtime::testing::HappenedAt;
using simtime::testing::marks_named;
using simtime::testing::run_virtual;
using simtime::testing::WokeInOrder;

// Fails its first `failures` calls; every call takes 10 ms and marks "attempt N" as it starts.
class FlakyService {
 public:
  explicit FlakyService(int failures) : failures_(failures) {}

  simtime::Coro<std::string> call() {
    const int attempt = ++calls_;
    simtime::testing::mark(fmt::format("attempt {}", attempt));
    co_await simtime::sleep(10ms);
    if (attempt <= failures_) throw std::runtime_error(fmt::format("503 on attempt {}", attempt));
    co_return "ok";
  }
  // The service outlives the run, so the member coroutine's `this` stays valid.
  retry::Call as_call() {
    return [this] { return call(); };
  }

 private:
  int failures_;
  int calls_ = 0;
};

TEST(Retry, BacksOffOneHundredThenTwoHundredMillisecondsAndSucceeds) {
  FlakyService service(/*failures=*/2);
  const auto r = run_virtual(retry::call_with_retry(service.as_call(), {.attempts = 4, .first_delay = 100ms}));
  EXPECT_EQ(r.value, "ok");
  EXPECT_THAT(r.trace, HappenedAt("attempt 1", 0ms));
  EXPECT_THAT(r.trace, HappenedAt("attempt 2", 110ms));  // failed at 10 ms, then 100 ms
  EXPECT_THAT(r.trace, HappenedAt("attempt 3", 320ms));  // failed at 120 ms, then 200 ms
  EXPECT_EQ(r.elapsed, 330ms);
}

TEST(Retry, CapsTheDelayAtTheMaximum) {
  FlakyService service(/*failures=*/4);
  const auto r =
      run_virtual(retry::call_with_retry(service.as_call(), {.attempts = 5, .first_delay = 300ms, .max_delay = 500ms}));
  EXPECT_EQ(r.value, "ok");
  EXPECT_THAT(r.trace, WokeInOrder("attempt 1", "attempt 2", "attempt 3", "attempt 4", "attempt 5"));
  EXPECT_THAT(r.trace, HappenedAt("attempt 2", 310ms));   // 10 + 300
  EXPECT_THAT(r.trace, HappenedAt("attempt 3", 820ms));   // 320 + 500 (not 600)
  EXPECT_THAT(r.trace, HappenedAt("attempt 4", 1330ms));  // 830 + 500
  EXPECT_THAT(r.trace, HappenedAt("attempt 5", 1840ms));
}

TEST(Retry, GivesUpAfterTheLastAttemptWithItsError) {
  FlakyService service(/*failures=*/10);
  try {
    run_virtual(retry::call_with_retry(service.as_call(), {.attempts = 3, .first_delay = 100ms}));
    FAIL() << "no error";
  } catch (const std::runtime_error& error) {
    EXPECT_STREQ(error.what(), "503 on attempt 3");
  }
}

// The same, as a coroutine test body: CO_TEST runs it with run_virtual.
CO_TEST(Retry, GivesUpAtThreeHundredThirtyMilliseconds) {
  FlakyService service(/*failures=*/5);  // each call takes 10 ms, then fails
  try {
    co_await retry::call_with_retry(service.as_call(), {.attempts = 3, .first_delay = 100ms});
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& error) {
    EXPECT_STREQ(error.what(), "503 on attempt 3");
  }
  EXPECT_EQ(simtime::now(), simtime::TimePoint{330ms});  // 10 + 100 + 10 + 200 + 10
}

simtime::Coro<> cancel_while_backing_off(FlakyService& service) {
  auto client = simtime::create_task(retry::call_with_retry(service.as_call(), {.attempts = 4}), "client");
  co_await simtime::sleep(50ms);  // the first call failed at 10 ms; the client sleeps until 110 ms
  client.cancel();
  try {
    co_await client;
  } catch (const simtime::CancelledError&) {
  }
}

TEST(Retry, StopsRetryingWhenCancelled) {
  FlakyService service(/*failures=*/10);
  const auto r = run_virtual(cancel_while_backing_off(service));
  EXPECT_THAT(r.trace, Events(marks_named("attempt 2"), ::testing::IsEmpty()));
  EXPECT_EQ(r.elapsed, 50ms);
}

}  // namespace
