#include "simtime/errors.hpp"

namespace simtime {

CancelledError::CancelledError() : std::runtime_error("the task was cancelled") {}
CancelledError::CancelledError(const std::string& message) : std::runtime_error(message) {}

}  // namespace simtime
