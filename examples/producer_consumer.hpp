// A producer/consumer program on a bounded simtime::Queue: a waiter takes six orders and
// puts each on the pass (a Queue holding one order); two cooks take orders off the pass and
// cook them. When the pass is full the waiter waits for a cook to take the order there
// (back-pressure); `join()` tells when every order is served, `shutdown()` sends the cooks
// home.
//
// The program only uses simtime::now(), sleep and the Queue, so it runs unchanged on either
// clock and prints the same lines (rule 12). Every pause ends at least 0.3 kitchen minutes
// away from any other, so the order of events does not depend on the real clock's jitter.
#pragma once

#include <functional>
#include <simtime/simtime.hpp>
#include <string>

namespace demo {

/// Receives each line the program prints.
using Print = std::function<void(const std::string&)>;

/// The kitchen's main coroutine. `minute` is how long a minute of kitchen time lasts.
simtime::Coro<> kitchen(Print print, simtime::Duration minute = std::chrono::seconds(1));

}  // namespace demo
