#include "simtime/coro.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pthread.h>

#include <cstdint>
#include <memory>
#include <simtime/simtime.hpp>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "tests/timeline.hpp"

namespace simtime {
namespace {

using namespace std::chrono_literals;

Coro<> set_flag(bool& flag) {
  flag = true;
  co_return;
}

Coro<bool> create_without_awaiting() {
  bool ran = false;
  { auto lazy = set_flag(ran); }  // created and dropped: never runs
  auto lazy = set_flag(ran);
  const bool ran_before_await = ran;
  co_await std::move(lazy);
  co_return !ran_before_await && ran;
}

TEST(Coro, DoesNothingUntilAwaited) {
  VirtualClock clock;
  EXPECT_TRUE(run(create_without_awaiting(), clock));
}

Coro<int> forty_two() { co_return 42; }
Coro<std::unique_ptr<int>> boxed(int value) { co_return std::make_unique<int>(value); }
Coro<int&> reference_to(int& target) { co_return target; }
Coro<std::string> concatenate() {
  const int number = co_await forty_two();
  auto box = co_await boxed(7);
  co_return std::to_string(number) + "/" + std::to_string(*box);
}

TEST(Coro, ReturnsValuesMoveOnlyValuesAndReferences) {
  VirtualClock clock;
  EXPECT_EQ(run(concatenate(), clock), "42/7");
  int target = 1;
  int& same = run(reference_to(target), clock);
  EXPECT_EQ(&same, &target);
}

struct Pair32 {
  std::int32_t first;
  float second;
};
struct Wide {
  std::int64_t low;
  std::int64_t high;
};

template <class T>
Coro<T> after_a_sleep(T value) {
  co_await sleep(1ms);
  co_return value;
}
Coro<const char&> first_char_of(const std::string& text) {
  co_await sleep(1ms);
  co_return text.front();
}

// A result of a word or less shares its slot with the task's resume point, a larger one has
// its own: both kinds, as tasks awaited twice and as nested Coros.
Coro<std::string> small_and_large_results(const std::string& text) {
  auto number = create_task(after_a_sleep<std::int64_t>(-5'000'000'000));
  auto real = create_task(after_a_sleep(2.5));
  auto pair = create_task(after_a_sleep(Pair32{-7, 0.25F}));
  auto wide = create_task(after_a_sleep(Wide{1, -1}));
  auto letter = create_task(after_a_sleep('x'));
  auto pointer = create_task(after_a_sleep(&text));
  auto reference = create_task(first_char_of(text));
  std::string out;
  for (int pass = 0; pass < 2; ++pass) {
    const Pair32 p = co_await pair;
    const Wide w = co_await wide;
    out += fmt::format("{} {} {}/{} {}/{} {} {} {};", co_await number, co_await real, p.first, p.second, w.low, w.high,
                       co_await letter, *co_await pointer == text, &co_await reference == &text.front());
  }
  const Wide nested = co_await after_a_sleep(Wide{3, 4});
  out += fmt::format("{} {}/{} {}", co_await after_a_sleep(std::uint8_t{200}), nested.low, nested.high,
                     &co_await first_char_of(text) == &text.front());
  co_return out;
}

TEST(Coro, ResultsOfAWordOrLessAndLargerOnesSurviveAsTasksAndNestedCoros) {
  VirtualClock clock;
  const std::string text = "simtime";
  EXPECT_EQ(run(small_and_large_results(text), clock),
            "-5000000000 2.5 -7/0.25 1/-1 x true true;-5000000000 2.5 -7/0.25 1/-1 x true true;200 3/4 true");
}

Coro<int> throws_runtime_error() {
  throw std::runtime_error("inner failure");
  co_return 0;
}

Coro<std::string> catches_inner() {
  try {
    co_await throws_runtime_error();
  } catch (const std::runtime_error& error) {
    co_return error.what();
  }
  co_return "not thrown";
}

TEST(Coro, PropagatesExceptionsToTheAwaiter) {
  VirtualClock clock;
  EXPECT_EQ(run(catches_inner(), clock), "inner failure");
  EXPECT_THROW(run(throws_runtime_error(), clock), std::runtime_error);
}

Coro<> hold(test::LiveCounter counter) {
  co_await sleep(1s);
  (void)counter;
}

TEST(Coro, DroppingAnUnawaitedCoroDestroysItsFrame) {
  test::LiveCounter::live = 0;
  { auto coro = hold(test::LiveCounter{}); }
  EXPECT_EQ(test::LiveCounter::live, 0);
}

Coro<std::string> await_twice() {
  auto coro = forty_two();
  co_await coro;
  try {
    co_await coro;
  } catch (const InvalidStateError& error) {
    co_return error.what();
  }
  co_return "no error";
}

TEST(Coro, AwaitingTwiceIsAnError) {
  VirtualClock clock;
  EXPECT_EQ(run(await_twice(), clock), "Coro: awaiting a Coro that already completed");
}

Coro<int> immediately(int value) { co_return value; }

Coro<long> million_synchronous_awaits() {
  long sum = 0;
  for (int i = 0; i < 1'000'000; ++i) sum += co_await immediately(1);
  co_return sum;
}

Coro<long> recursive_sum(int depth) {
  if (depth == 0) co_return 0;
  co_return depth + co_await recursive_sum(depth - 1);
}

Coro<int> recursive_throw(int depth) {
  if (depth == 0) throw std::out_of_range("bottom");
  co_return co_await recursive_throw(depth - 1);
}

// Runs `body` on a thread with a 256 KiB stack: a chain of completions that grew the stack
// would overflow it.
template <class Body>
void on_small_stack(Body body) {
  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  pthread_attr_setstacksize(&attributes, 256 * 1024);
  pthread_t thread;
  auto run_body = [](void* argument) -> void* {
    (*static_cast<Body*>(argument))();
    return nullptr;
  };
  ASSERT_EQ(pthread_create(&thread, &attributes, run_body, &body), 0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attributes);
}

TEST(Coro, AMillionSynchronousAwaitsDoNotGrowTheStack) {
  long sum = 0;
  on_small_stack([&] {
    VirtualClock clock;
    sum = run(million_synchronous_awaits(), clock);
  });
  EXPECT_EQ(sum, 1'000'000);
}

TEST(Coro, ADeepRecursiveChainDoesNotGrowTheStack) {
  long sum = 0;
  on_small_stack([&] {
    VirtualClock clock;
    sum = run(recursive_sum(100'000), clock);
  });
  EXPECT_EQ(sum, 100'000L * 100'001L / 2);
}

TEST(Coro, AnExceptionThroughADeepChainDoesNotGrowTheStack) {
  std::string what;
  on_small_stack([&] {
    VirtualClock clock;
    try {
      run(recursive_throw(50'000), clock);
    } catch (const std::out_of_range& error) {
      what = error.what();
    }
  });
  EXPECT_EQ(what, "bottom");
}

// Task i waits for event i, then sets event i + 1: each set wakes the next task, 100,000 in
// a row, and the last task's wake is recorded.
Coro<std::size_t> chain_of_events(std::size_t length) {
  auto events = std::make_unique<Event[]>(length + 1);
  std::size_t woken = 0;
  std::vector<Task<>> tasks;
  tasks.reserve(length);
  for (std::size_t i = 0; i < length; ++i) {
    tasks.push_back(create_task([](Event& mine, Event& next, std::size_t& count) -> Coro<> {
      co_await mine.wait();
      ++count;
      next.set();
    }(events[i], events[i + 1], woken)));
  }
  events[0].set();
  co_await events[length].wait();
  for (auto& task : tasks) co_await task;
  co_return woken;
}

TEST(Coro, AHundredThousandTasksChainedThroughEventsDoNotGrowTheStack) {
  std::size_t woken = 0;
  TimePoint end{};
  on_small_stack([&] {
    VirtualClock clock;
    woken = run(chain_of_events(100'000), clock);
    end = clock.now();
  });
  EXPECT_EQ(woken, 100'000u);
  EXPECT_EQ(end, TimePoint{});
}

}  // namespace
}  // namespace simtime
