// CO_TEST(Suite, Name): a GoogleTest test whose body is a coroutine, run by run_virtual on a
// fresh virtual clock (folly's CO_TEST).
//
//   CO_TEST(Retry, BacksOffTwiceThenSucceeds) {
//     const int attempts = co_await client.fetch();
//     EXPECT_EQ(attempts, 3);
//     EXPECT_EQ(simtime::now(), simtime::TimePoint{3s});
//   }
//
// Inside the body EXPECT_* works; ASSERT_* does not compile in a coroutine (it returns).
// When the test fails, run_virtual's trace goes to TEST_UNDECLARED_OUTPUTS_DIR.
#pragma once

#include <gtest/gtest.h>

#include "simtime/coro.hpp"
#include "simtime/testing/run_virtual.hpp"

#define CO_TEST(suite, name)                                                                  \
  static ::simtime::Coro<> SIMTIME_CO_TEST_BODY(suite, name)();                               \
  TEST(suite, name) { ::simtime::testing::run_virtual(SIMTIME_CO_TEST_BODY(suite, name)()); } \
  static ::simtime::Coro<> SIMTIME_CO_TEST_BODY(suite, name)()

// ---------------------------------------------------------------------------------------
// Implementation details
// ---------------------------------------------------------------------------------------
#define SIMTIME_CO_TEST_BODY(suite, name) suite##_##name##_co_test_body
