// The asyncio tutorial's program in simtime: three tasks sleep 2, 10 and 5 seconds, either
// concurrently (create_task + gather: 10 s in all) or one after another (17 s).
#pragma once

#include <functional>
#include <simtime/simtime.hpp>
#include <string>

namespace demo {

enum class Mode { async, sync };

/// Receives each line the program prints.
using Print = std::function<void(const std::string&)>;

/// The tutorial's main coroutine. It only uses simtime::now() and sleep(), so it runs
/// unchanged on either clock. `unit` is how long "one second" of the tutorial lasts.
simtime::Coro<> tutorial(Mode mode, Print print, simtime::Duration unit = std::chrono::seconds(1));

/// "10.00": seconds with two decimals, rounded, computed in integer nanoseconds.
std::string format_seconds(simtime::Duration elapsed);

}  // namespace demo
