// The exceptions simtime throws, named as in asyncio.
//
// Each error derives from the standard exception a C++ user would catch for that kind of
// failure, and each message says what was wrong and with which values.
//
// CancelledError is not an error and is not a std::exception (rule 22): it derives from
// simtime::BaseException, as asyncio.CancelledError derives from BaseException since Python
// 3.8 (and Trio's Cancelled too), so that `catch (const std::exception&)` around an await
// never swallows a cancellation. `catch (const CancelledError&)`, `catch (const
// BaseException&)` and `catch (...)` see it. Code that reports any exception's message
// handles BaseException beside std::exception.
#pragma once

#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace simtime {

/// The root of the exceptions that are not errors and so not std::exceptions (Python's
/// BaseException); simtime throws one kind, CancelledError. Copying never throws, as for
/// std::exception.
class BaseException {
 public:
  explicit BaseException(const std::string& message);
  BaseException(const BaseException&) noexcept = default;
  BaseException& operator=(const BaseException&) noexcept = default;
  virtual ~BaseException();

  /// What happened, as std::exception::what() says it.
  [[nodiscard]] virtual const char* what() const noexcept;

 private:
  std::shared_ptr<const std::string> message_;  // shared, so that a copy allocates nothing
};

/// Thrown into a task at its suspension point by `Task::cancel()` (asyncio.CancelledError).
/// A task may catch it and carry on; a task it escapes from ends up cancelled. Not a
/// std::exception: `catch (const std::exception&)` lets it through (see above).
class CancelledError : public BaseException {
 public:
  CancelledError();
  explicit CancelledError(const std::string& message);
};

/// A time limit (`wait_for`, `timeout`) expired (asyncio.TimeoutError).
class TimeoutError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Nothing can ever run again but the main coroutine has not finished. The message names
/// every blocked task, where it was created, what it waits on, and the loop's time.
class DeadlockError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A run exceeded one of its budgets (RunLimits: virtual time, steps, steps at one instant).
/// The message names the budget, the time, the steps taken and the tasks that kept running.
class BudgetExceededError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// An operation was asked of a task (or other object) in a state that does not allow it,
/// e.g. `result()` of a task that has not finished (asyncio.InvalidStateError).
class InvalidStateError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

/// Several exceptions raised together, e.g. by the tasks of a TaskGroup (Python's
/// ExceptionGroup). `exceptions()` holds each one, in the order they happened.
class ExceptionGroup : public std::runtime_error {
 public:
  ExceptionGroup(const std::string& message, std::vector<std::exception_ptr> exceptions);
  [[nodiscard]] const std::vector<std::exception_ptr>& exceptions() const noexcept { return exceptions_; }

 private:
  std::vector<std::exception_ptr> exceptions_;
};

/// The message of `error`: the `what()` of a std::exception or of a BaseException (a
/// CancelledError), else "an exception not derived from std::exception". For reports of any
/// exception a task may end with.
[[nodiscard]] std::string exception_message(const std::exception_ptr& error);

}  // namespace simtime
