// asyncio_demo [--clock=real|virtual] [--mode=async|sync]
//
// On the real clock (the default) the program takes 10 s (17 s with --mode=sync); on the
// virtual clock it prints the same lines, with exactly 10.00 (17.00), and returns at once.
#include <fmt/format.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string_view>

#include "examples/asyncio_demo.hpp"

int main(int argc, char** argv) {
  bool virtual_clock = false;
  demo::Mode mode = demo::Mode::async;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--clock=real") {
      virtual_clock = false;
    } else if (arg == "--clock=virtual") {
      virtual_clock = true;
    } else if (arg == "--mode=async") {
      mode = demo::Mode::async;
    } else if (arg == "--mode=sync") {
      mode = demo::Mode::sync;
    } else {
      fmt::print(
          stderr,
          "asyncio_demo: unknown argument '{}'\nusage: asyncio_demo [--clock=real|virtual] [--mode=async|sync]\n", arg);
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
  simtime::run(demo::tutorial(mode, print), *clock);
  return 0;
}
