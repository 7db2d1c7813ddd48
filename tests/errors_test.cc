#include "simtime/errors.hpp"

#include <gtest/gtest.h>

#include <exception>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace simtime {
namespace {

// Rule 22: a cancellation is not an error. CancelledError stands apart from std::exception,
// as asyncio's CancelledError is a BaseException and not an Exception (Python 3.8+).
static_assert(!std::is_base_of_v<std::exception, BaseException>);
static_assert(!std::is_base_of_v<std::exception, CancelledError>);
static_assert(std::is_base_of_v<BaseException, CancelledError>);
static_assert(std::is_nothrow_copy_constructible_v<CancelledError>);
static_assert(std::is_nothrow_copy_assignable_v<CancelledError>);
// The errors stay standard exceptions.
static_assert(std::is_base_of_v<std::runtime_error, TimeoutError>);
static_assert(std::is_base_of_v<std::runtime_error, DeadlockError>);
static_assert(std::is_base_of_v<std::logic_error, InvalidStateError>);
static_assert(std::is_base_of_v<std::runtime_error, ExceptionGroup>);

std::string how_it_is_caught(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return std::string("std::exception: ") + e.what();
  } catch (const BaseException& e) {
    return std::string("BaseException: ") + e.what();
  }
}

TEST(CancelledError, IsNotCaughtAsAStdExceptionButAsABaseException) {
  EXPECT_EQ(how_it_is_caught(std::make_exception_ptr(CancelledError())), "BaseException: the task was cancelled");
  EXPECT_EQ(how_it_is_caught(std::make_exception_ptr(TimeoutError("late"))), "std::exception: late");
}

TEST(CancelledError, CarriesTheMessageItWasGivenThroughCopies) {
  const CancelledError original("the loop closed before the task finished");
  CancelledError copy;
  EXPECT_STREQ(copy.what(), "the task was cancelled");
  copy = original;
  EXPECT_STREQ(copy.what(), "the loop closed before the task finished");
  EXPECT_STREQ(CancelledError(copy).what(), "the loop closed before the task finished");
}

TEST(ExceptionGroup, ListsTheMessageOfACancelledErrorItHolds) {
  const ExceptionGroup group("two things went wrong", {std::make_exception_ptr(std::runtime_error("disk full")),
                                                       std::make_exception_ptr(CancelledError("stopped"))});
  EXPECT_STREQ(group.what(), "two things went wrong (2 sub-exceptions)\n  disk full\n  stopped");
}

}  // namespace
TEST(ExceptionMessage, IsTheWhatOfAnyExceptionATaskMayEndWith) {
  EXPECT_EQ(exception_message(std::make_exception_ptr(std::domain_error("disk full"))), "disk full");
  EXPECT_EQ(exception_message(std::make_exception_ptr(CancelledError())), "the task was cancelled");
  EXPECT_EQ(exception_message(std::make_exception_ptr(42)), "an exception not derived from std::exception");
}

}  // namespace simtime
