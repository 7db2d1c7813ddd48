// The libFuzzer entry point of simtime's loop fuzzer, and how it reports a failed oracle.
//
// LLVMFuzzerTestOneInput runs one input with run_program (interpreter.hpp). When an oracle
// fails it calls the violation handler, which by default prints the violations and the
// decoded program to stderr and aborts, so that libFuzzer saves the input as a crash. The
// corpus replay test installs its own handler to turn violations into test failures.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz/interpreter.hpp"

namespace simtime::fuzz {

using ViolationHandler = void (*)(std::span<const std::uint8_t> input, const Report& report);

/// Installs `handler` (null: the default, print and abort) and returns the previous one.
ViolationHandler set_violation_handler(ViolationHandler handler);

}  // namespace simtime::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
