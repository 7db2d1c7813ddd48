#include "simtime/future.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <simtime/simtime.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace simtime {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;

Coro<std::string> wait_on(Future<int> future) {
  const int value = co_await future;
  co_return std::to_string(value) + " at " + format_time(now());
}

Coro<std::vector<std::string>> resolve_from_a_callback() {
  std::vector<std::string> seen;
  Future<int> reply = create_future<int>();
  Task<std::string> first = create_task(wait_on(reply));
  Task<std::string> second = create_task(wait_on(reply));
  call_later(2s, [reply]() mutable { reply.set_result(42); });
  seen.push_back(fmt::format("done {} at {}", reply.done(), format_time(now())));
  seen.push_back(co_await first);
  seen.push_back(co_await second);
  seen.push_back(fmt::format("done {}, result {}", reply.done(), reply.result()));
  co_return seen;
}

TEST(Future, ACallbackResolvesItAndEveryAwaiterGetsTheResult) {
  VirtualClock clock;
  EXPECT_THAT(run(resolve_from_a_callback(), clock),
              ElementsAre("done false at 0s", "42 at 2s", "42 at 2s", "done true, result 42"));
}

Coro<std::vector<std::string>> exceptions_and_cancellation() {
  std::vector<std::string> seen;
  Future<std::string> failing = create_future<std::string>();
  failing.set_exception(std::make_exception_ptr(std::domain_error("no reply")));
  try {
    co_await failing;
  } catch (const std::domain_error& error) {
    seen.push_back(std::string("awaited: ") + error.what());
  }
  Future<> cancelled = create_future();
  Task<> waiter = create_task([cancelled]() -> Coro<> { co_await cancelled; });
  co_await sleep(1s);
  EXPECT_TRUE(cancelled.cancel());
  EXPECT_TRUE(cancelled.cancelled());
  EXPECT_FALSE(cancelled.cancel());
  try {
    co_await waiter;
  } catch (const CancelledError&) {
    seen.push_back("the awaiter of a cancelled future: CancelledError");
  }
  try {
    failing.set_result("late");
  } catch (const InvalidStateError& error) {
    seen.push_back(error.what());
  }
  Future<int> pending = create_future<int>();
  try {
    (void)pending.result();
  } catch (const InvalidStateError& error) {
    seen.push_back(error.what());
  }
  pending.set_result(1);
  Future<> done = create_future();
  done.set_result();
  co_await done;
  seen.push_back(fmt::format("void future done {}", done.done()));
  co_return seen;
}

TEST(Future, CarriesExceptionsAndCancellationAndRefusesASecondResult) {
  VirtualClock clock;
  EXPECT_THAT(run(exceptions_and_cancellation(), clock),
              ElementsAre("awaited: no reply", "the awaiter of a cancelled future: CancelledError",
                          "Future: set_result of a future that is already done",
                          "Future: result() of a future that is not done", "void future done true"));
}

TEST(Future, CancellingTheOnlyAwaiterCancelsTheFutureAsInAsyncio) {
  VirtualClock clock;
  const std::string seen = run(
      []() -> Coro<std::string> {
        Future<int> future = create_future<int>();
        Task<std::string> waiter = create_task(wait_on(future));
        co_await sleep(1s);
        waiter.cancel();
        co_await sleep(1s);
        co_return fmt::format("future cancelled {}", future.cancelled());
      }(),
      clock);
  EXPECT_EQ(seen, "future cancelled true");
}

TEST(Future, AnEmptyHandleSaysSo) {
  Future<int> empty;
  try {
    (void)empty.done();
    ADD_FAILURE() << "no error";
  } catch (const InvalidStateError& error) {
    EXPECT_STREQ(error.what(), "Future: operation on an empty Future handle");
  }
  EXPECT_THROW(create_future<int>(), std::runtime_error);
}

}  // namespace
}  // namespace simtime
