// The replaced global operator new and delete (see failing_allocator.hpp).
#include "tests/faults/failing_allocator.hpp"

#include <cxxabi.h>
#include <dlfcn.h>
#include <execinfo.h>
#include <link.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

namespace simtime::faults {
namespace {

struct AllocationFaults {
  std::size_t total = 0;    // every allocation of the thread
  std::size_t counted = 0;  // since arming
  std::size_t fail_at = 0;  // 0: none fails
  bool armed = false;
  bool failed = false;
  bool and_after = false;  // every allocation from fail_at on fails
  bool record_sites = false;
  bool recording = false;  // inside backtrace(): its own allocations are not the run's
};

// Return addresses of the recorded allocations, in static storage: recording must not
// allocate.
constexpr std::size_t max_recorded = 16384;
constexpr int stack_depth = 14;
void* recorded_stacks[max_recorded][stack_depth];
int recorded_depths[max_recorded];
std::size_t recorded_count = 0;

// Constant-initialised: usable by operator new at any time, even before main.
thread_local AllocationFaults faults;

// Counts one allocation; true if it must fail.
bool must_fail() noexcept {
  if (faults.recording) return false;
  ++faults.total;
  if (!faults.armed) return false;
  ++faults.counted;
  if (faults.record_sites && faults.counted <= max_recorded) {
    faults.recording = true;
    recorded_depths[faults.counted - 1] = backtrace(recorded_stacks[faults.counted - 1], stack_depth);
    recorded_count = faults.counted;
    faults.recording = false;
  }
  if (faults.fail_at == 0 || (faults.and_after ? faults.counted < faults.fail_at : faults.counted != faults.fail_at)) {
    return false;
  }
  faults.failed = true;
  return true;
}

void* allocate(std::size_t size) noexcept { return std::malloc(size == 0 ? 1 : size); }

void* allocate_aligned(std::size_t size, std::align_val_t alignment) noexcept {
  const auto align = static_cast<std::size_t>(alignment);
  // aligned_alloc wants a size that is a multiple of the alignment.
  const std::size_t rounded = (size == 0 ? align : (size + align - 1) / align * align);
  return std::aligned_alloc(align, rounded);
}

// "simtime::detail::WaitTasks::await_suspend" out of a return address, or empty.
std::string function_at(void* address) {
  Dl_info info{};
  void* entry = nullptr;
  if (dladdr1(address, &info, &entry, RTLD_DL_SYMENT) == 0 || info.dli_sname == nullptr || entry == nullptr) return {};
  const auto* symbol = static_cast<const ElfW(Sym)*>(entry);
  // dladdr names the nearest exported symbol before the address: make sure it contains it.
  const auto start = reinterpret_cast<std::uintptr_t>(info.dli_saddr);
  const auto where = reinterpret_cast<std::uintptr_t>(address);
  if (where < start || where >= start + symbol->st_size) return {};
  int status = 0;
  char* demangled = abi::__cxa_demangle(info.dli_sname, nullptr, nullptr, &status);
  std::string name = status == 0 && demangled != nullptr ? demangled : info.dli_sname;
  std::free(demangled);
  // Keep the qualified name: no parameters, no return type.
  int depth = 0;
  std::size_t start_of_name = 0;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == '<') ++depth;
    if (c == '>') --depth;
    if (depth != 0) continue;
    if (c == '(' && i > 0) return name.substr(start_of_name, i - start_of_name);
    if (c == ' ') start_of_name = i + 1;
  }
  return name.substr(start_of_name);
}

}  // namespace

void arm_allocation_failure(std::size_t fail_at, bool record_sites, bool and_after) {
  faults.and_after = and_after;
  if (record_sites) {
    void* warm_up[1];
    backtrace(warm_up, 1);  // loads the unwinder now, not inside operator new
    recorded_count = 0;
  }
  faults.record_sites = record_sites;
  faults.counted = 0;
  faults.fail_at = fail_at;
  faults.failed = false;
  faults.armed = true;
}

std::size_t disarm_allocation_failure() {
  faults.armed = false;
  faults.record_sites = false;
  return faults.counted;
}

std::string allocation_site(std::size_t n) {
  if (n == 0 || n > recorded_count) return {};
  std::string site;
  int named = 0;
  for (int i = 1; i < recorded_depths[n - 1] && named < 4; ++i) {  // frame 0 is must_fail's caller
    const std::string name = function_at(recorded_stacks[n - 1][i]);
    if (name.empty() || name == "new" || name == "new[]" || name.rfind("std::", 0) == 0 ||
        name.rfind("__gnu_cxx::", 0) == 0) {
      continue;
    }
    if (!site.empty()) site += " < ";
    site += name;
    ++named;
  }
  return site;
}

bool allocation_failure_happened() { return faults.failed; }

std::size_t allocations_on_this_thread() { return faults.total; }

}  // namespace simtime::faults

using simtime::faults::allocate;
using simtime::faults::allocate_aligned;
using simtime::faults::must_fail;

void* operator new(std::size_t size) {
  if (must_fail()) throw std::bad_alloc();
  if (void* block = allocate(size)) return block;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  if (must_fail()) throw std::bad_alloc();
  if (void* block = allocate(size)) return block;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return must_fail() ? nullptr : allocate(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return must_fail() ? nullptr : allocate(size);
}
void* operator new(std::size_t size, std::align_val_t alignment) {
  if (must_fail()) throw std::bad_alloc();
  if (void* block = allocate_aligned(size, alignment)) return block;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size, std::align_val_t alignment) {
  if (must_fail()) throw std::bad_alloc();
  if (void* block = allocate_aligned(size, alignment)) return block;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
  return must_fail() ? nullptr : allocate_aligned(size, alignment);
}
void* operator new[](std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
  return must_fail() ? nullptr : allocate_aligned(size, alignment);
}

void operator delete(void* block) noexcept { std::free(block); }
void operator delete[](void* block) noexcept { std::free(block); }
void operator delete(void* block, std::size_t) noexcept { std::free(block); }
void operator delete[](void* block, std::size_t) noexcept { std::free(block); }
void operator delete(void* block, const std::nothrow_t&) noexcept { std::free(block); }
void operator delete[](void* block, const std::nothrow_t&) noexcept { std::free(block); }
void operator delete(void* block, std::align_val_t) noexcept { std::free(block); }
void operator delete[](void* block, std::align_val_t) noexcept { std::free(block); }
void operator delete(void* block, std::size_t, std::align_val_t) noexcept { std::free(block); }
void operator delete[](void* block, std::size_t, std::align_val_t) noexcept { std::free(block); }
void operator delete(void* block, std::align_val_t, const std::nothrow_t&) noexcept { std::free(block); }
void operator delete[](void* block, std::align_val_t, const std::nothrow_t&) noexcept { std::free(block); }
