#include "examples/producer_consumer.hpp"

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <string>
#include <utility>

namespace demo {
namespace {

struct Order {
  int number = 0;
  std::string dish;
  int tenths = 0;  // cooking time, in tenths of a minute
};

// The waiter takes an order every minute and puts it on the pass, waiting while it is full.
simtime::Coro<> waiter(simtime::Queue<Order>& pass, std::array<Order, 6> orders, simtime::Duration minute,
                       Print print) {
  for (Order& order : orders) {
    co_await simtime::sleep(minute);
    print(fmt::format("waiter takes order #{}: {}", order.number, order.dish));
    const int number = order.number;
    co_await pass.put(std::move(order));
    print(fmt::format("waiter puts order #{} on the pass", number));
  }
}

// A cook takes orders off the pass until the kitchen shuts the pass down.
simtime::Coro<> cook(simtime::Queue<Order>& pass, std::string name, simtime::Duration minute, Print print) {
  for (;;) {
    Order order;
    try {
      order = co_await pass.get();
    } catch (const simtime::QueueShutDown&) {
      print(name + " goes home");
      co_return;
    }
    print(fmt::format("{} cooks order #{}: {}", name, order.number, order.dish));
    co_await simtime::sleep(minute * order.tenths / 10);
    print(fmt::format("{} serves order #{}: {}", name, order.number, order.dish));
    pass.task_done();
  }
}

// "8.3": tenths of a minute, rounded, in integer arithmetic.
std::string format_minutes(simtime::Duration elapsed, simtime::Duration minute) {
  const std::int64_t tenths = (elapsed.count() * 10 + minute.count() / 2) / minute.count();
  return fmt::format("{}.{}", tenths / 10, tenths % 10);
}

}  // namespace

simtime::Coro<> kitchen(Print print, simtime::Duration minute) {
  const simtime::TimePoint open = simtime::now();
  simtime::Queue<Order> pass(1, "pass");
  // Lifetime: the cooks and the waiter take `pass` by reference; this frame outlives them
  // because it awaits them all before returning.
  auto first = simtime::create_task(cook(pass, "cook-1", minute, print), "cook-1");
  auto second = simtime::create_task(cook(pass, "cook-2", minute, print), "cook-2");
  // A named array, not a braced list in the co_await expression: g++ 12 copies such a
  // temporary bitwise into the coroutine frame, corrupting the strings in it.
  std::array<Order, 6> orders{Order{1, "soup", 33},  Order{2, "steak", 40}, Order{3, "salad", 20},
                              Order{4, "pasta", 13}, Order{5, "cake", 14},  Order{6, "tea", 10}};
  co_await waiter(pass, std::move(orders), minute, print);
  co_await pass.join();
  print("all 6 orders served");
  pass.shutdown();
  co_await simtime::gather(first, second);
  print(fmt::format("kitchen closed after {} minutes", format_minutes(simtime::now() - open, minute)));
}

}  // namespace demo
