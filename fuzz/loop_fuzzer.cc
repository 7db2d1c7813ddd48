#include "fuzz/loop_fuzzer.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "fuzz/program.hpp"

namespace simtime::fuzz {
namespace {

void print_and_abort(std::span<const std::uint8_t> input, const Report& report) {
  std::string message = "simtime loop fuzzer: an oracle failed\n";
  for (const auto& violation : report.violations) message += fmt::format("  {}\n", violation);
  message += fmt::format("program ({} bytes):\n{}", input.size(), describe(decode(input)));
  std::fputs(message.c_str(), stderr);
  std::abort();
}

ViolationHandler handler = &print_and_abort;

}  // namespace

ViolationHandler set_violation_handler(ViolationHandler replacement) {
  const ViolationHandler previous = handler;
  handler = replacement != nullptr ? replacement : &print_and_abort;
  return previous;
}

}  // namespace simtime::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  // SIMTIME_FUZZ_DESCRIBE=1 prints each program before running it (with --repro).
  static const bool describe_inputs = std::getenv("SIMTIME_FUZZ_DESCRIBE") != nullptr;
  if (describe_inputs) std::fputs(simtime::fuzz::describe(simtime::fuzz::decode(input)).c_str(), stderr);
  const simtime::fuzz::Report report = simtime::fuzz::run_program(input);
  if (!report.violations.empty()) simtime::fuzz::handler(input, report);
  return 0;
}
