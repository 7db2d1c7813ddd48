#include "simtime/live_objects.hpp"

namespace simtime {

LiveObjects live_objects() noexcept { return detail::live_counts; }

}  // namespace simtime
