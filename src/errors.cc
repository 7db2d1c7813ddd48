#include "simtime/errors.hpp"

namespace simtime {

BaseException::BaseException(const std::string& message) : message_(std::make_shared<const std::string>(message)) {}
BaseException::~BaseException() = default;
const char* BaseException::what() const noexcept { return message_->c_str(); }

CancelledError::CancelledError() : BaseException("the task was cancelled") {}
CancelledError::CancelledError(const std::string& message) : BaseException(message) {}

std::string exception_message(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& caught) {
    return caught.what();
  } catch (const BaseException& caught) {  // a CancelledError
    return caught.what();
  } catch (...) {
    return "an exception not derived from std::exception";
  }
}

namespace {

std::string describe_group(const std::string& message, const std::vector<std::exception_ptr>& exceptions) {
  std::string text =
      message + " (" + std::to_string(exceptions.size()) + " sub-exception" + (exceptions.size() == 1 ? "" : "s") + ")";
  for (const auto& exception : exceptions) text += "\n  " + exception_message(exception);
  return text;
}

}  // namespace

ExceptionGroup::ExceptionGroup(const std::string& message, std::vector<std::exception_ptr> exceptions)
    : std::runtime_error(describe_group(message, exceptions)), exceptions_(std::move(exceptions)) {}

}  // namespace simtime
