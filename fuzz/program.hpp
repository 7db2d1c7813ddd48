// The fuzzer's input language: bytes decoded into a small tree of coroutine bodies.
//
// A Program is a list of Bodies; body 0 is the main coroutine. A Body is a list of Ops run in
// order; some Ops own child Bodies (the coroutine of a new task, the body of a wait_for, a
// timeout or a task_group). Every child body belongs to exactly one Op, so each body runs at
// most once and its return value (`value_of`) identifies it.
//
// Decoding never fails: any byte string is a program. Reading past the end yields zeros.
// The main body takes ops until the input runs out; a nested body starts with a header byte
// (op count in the low 4 bits, bit 7: it swallows CancelledError). An op is an opcode byte,
// then its argument bytes, then its child bodies, as `kOpSpecs` says. Budgets cap the work of
// one input: at most `kMaxOps` ops in all and `kMaxDepth` levels of nesting, so every
// execution is short.
//
// Opcodes are taken modulo kOpcodes (fixed at 32); a code past the last kind is a yield, so
// adding an op changes the meaning of no input but those that used that spare code (rewrite
// them with code 1, the yield, to keep their meaning; docs/fuzzing.md). One spare code is
// left, 31.
//
// Adding an op (more sync primitives, ...): append a kind to OpKind, before `count`; give it a
// row in kOpSpecs (program.cc) and a case in the interpreter's run_op (interpreter.cc).
// Shared objects such as events belong in Context (oracles.hpp), chosen by an argument byte.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "simtime/clock.hpp"

namespace simtime::fuzz {

enum class OpKind : std::uint8_t {
  sleep,          // args: duration. co_await sleep(d)
  yield,          // co_await sleep(0)
  spawn,          // args: flags; child: body. create_task (or the enclosing group's)
  spawn_sleeper,  // args: duration. create_task of a coroutine that only sleeps d
  cancel,         // args: task. Task::cancel() of any task created so far
  await_task,     // args: task. co_await a later-created task
  wait_for_task,  // args: task, limit. co_await wait_for(task, limit)
  wait_for_coro,  // args: limit; child: body. co_await wait_for(body(), limit)
  gather_tasks,   // args: flags, 4 tasks. co_await gather(vector of 1-4 tasks)
  gather_coros,   // args: flags; children: 1-3 bodies. co_await gather(vector of Coros)
  shield,         // args: task. co_await shield(task)
  task_group,     // args: flags; child: body. co_await task_group(body); spawns join the group
  timeout,        // args: limit; child: body. co_await timeout(limit, body())
  raise,          // the body throws FuzzError here (the rest of it does not run)
  sleep_until,    // args: time. co_await sleep_until(TimePoint{time})
  huge_sleep,     // args: flags, offset. a sleep near the clock's limit (overflow checks)
  group_cancel,   // TaskGroup::cancel() of the enclosing group, if any
  // Synchronisation, on two objects of each kind shared by the whole program. Every wait is
  // under a time limit, so that a wait nothing ends cannot deadlock the program.
  event_set,       // args: event. Event::set()
  event_clear,     // args: event. Event::clear()
  event_wait,      // args: event, limit. co_await timeout(limit, event.wait())
  lock_hold,       // args: lock, limit, d. take the lock (within limit), hold it for sleep(d)
  queue_put,       // args: queue, limit. co_await timeout(limit, queue.put(a new item))
  queue_get,       // args: queue, limit. co_await timeout(limit, queue.get())
  queue_shutdown,  // args: queue and flags. Queue::shutdown(immediate = bit 7)
  // Semaphore 0 is a Semaphore(2), semaphore 1 a BoundedSemaphore(2); condition 0 has a lock
  // of its own, condition 1 is over lock 1 (which lock_hold takes too); barrier 0 is for 2
  // parties, barrier 1 for 3. condition_notify takes the lock with no time limit: nobody
  // holds a lock across a suspension but lock_hold, and its hold ends. Codes 24-30: corpus
  // files from before these ops read them as yields and were rewritten with code 1
  // (docs/fuzzing.md).
  semaphore_hold,     // args: semaphore, limit, d. take a permit (within limit), hold it for sleep(d)
  semaphore_release,  // args: semaphore. Semaphore::release() without taking a permit
  condition_wait,     // args: condition and flags, limit. take the lock, co_await wait() (within
                      // limit); with bit 7, wait() without the lock (InvalidStateError)
  condition_notify,   // args: condition and flags, n. take the lock, notify(n % 4), or
                      // notify_all() if bit 7; with bit 6, without the lock
  barrier_wait,       // args: barrier, limit. co_await timeout(limit, barrier.wait())
  barrier_abort,      // args: barrier and flags. Barrier::abort(), or reset() if bit 7
  ordered_queue,      // args: queue and mode, limit, priority. On the LifoQueue (queue bit 0
                      // clear, at most 2 items) or the PriorityQueue (set, unbounded), by bits
                      // 6-7: put (within limit), get (within limit), shutdown(), shutdown(true)
  count,              // not an op: the number of kinds
};

inline constexpr int kOpcodes = 32;  // room for this many kinds
static_assert(static_cast<int>(OpKind::count) <= kOpcodes);
inline constexpr int kMaxOps = 128;  // ops in a whole program
inline constexpr int kMaxDepth = 5;  // nesting of bodies below main
inline constexpr int kMaxOpsPerBody = 15;
inline constexpr std::size_t kMaxInputSize = 4096;  // the rest of a longer input is ignored

struct Op {
  OpKind kind = OpKind::yield;
  std::array<std::uint8_t, 5> args{};  // as many as the widest op
  std::vector<int> children;           // indices into Program::bodies
};

struct Body {
  std::vector<Op> ops;
  bool swallows_cancellation = false;  // catches CancelledError at each op and goes on
};

struct Program {
  std::vector<Body> bodies;  // bodies[0] is main
};

Program decode(std::span<const std::uint8_t> input);

/// The program as indented text, for reports and for writing seeds.
std::string describe(const Program& program);

/// What a body's coroutine returns: tells every body apart.
inline int value_of(int body) { return 1000 + body; }

/// A duration byte: 0-31 in units chosen by the top 3 bits (ns, us, ms, s, s, min, h), or a
/// negative one (top bits 111), which yields. Small ranges make equal deadlines common.
Duration decode_duration(std::uint8_t byte);

/// A task argument byte: which of `candidates` tasks (0 if there are none).
inline int pick(std::uint8_t byte, int candidates) { return candidates > 0 ? byte % candidates : 0; }

}  // namespace simtime::fuzz
