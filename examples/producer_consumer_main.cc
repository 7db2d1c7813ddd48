// producer_consumer [--clock=real|virtual]
//
// On the real clock (the default) a kitchen minute lasts one second and the program takes
// about 8 s; on the virtual clock it prints the same lines and returns at once.
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <string_view>

#include "examples/producer_consumer.hpp"

int main(int argc, char** argv) {
  bool virtual_clock = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--clock=real") {
      virtual_clock = false;
    } else if (arg == "--clock=virtual") {
      virtual_clock = true;
    } else {
      fmt::print(stderr, "producer_consumer: unknown argument '{}'\nusage: producer_consumer [--clock=real|virtual]\n",
                 arg);
      return 2;
    }
  }
  auto print = [](const std::string& line) {
    fmt::print("{}\n", line);
    std::fflush(stdout);  // show each line when it happens on the real clock, even in a pipe
  };
  std::unique_ptr<simtime::Clock> clock;
  if (virtual_clock) {
    clock = std::make_unique<simtime::VirtualClock>();
  } else {
    clock = std::make_unique<simtime::RealClock>();
  }
  simtime::run(demo::kitchen(print), *clock);
  return 0;
}
