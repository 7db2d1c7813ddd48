#include "fuzz/interpreter.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "fuzz/oracles.hpp"
#include "fuzz/program.hpp"
#include "simtime/clock.hpp"
#include "simtime/coro.hpp"
#include "simtime/errors.hpp"
#include "simtime/gather.hpp"
#include "simtime/live_objects.hpp"
#include "simtime/loop.hpp"
#include "simtime/shield.hpp"
#include "simtime/sleep.hpp"
#include "simtime/sync/queue.hpp"
#include "simtime/task.hpp"
#include "simtime/task_group.hpp"
#include "simtime/timeout.hpp"

namespace simtime::fuzz {
namespace {

using namespace std::chrono_literals;

// Where a body runs. Tasks are numbered in creation order; a body may only await tasks
// numbered after the task it runs in (its rank), so waits form no cycle and a program can
// never deadlock.
struct Frame {
  int rank = -1;                            // main and what runs in it: -1
  int self = Context::kMainTask;            // the task the body runs in (Context::cancelling)
  TaskGroup* group = nullptr;               // spawns join it (set only where it outlives the body)
  std::vector<int>* group_tasks = nullptr;  // the tasks created in `group`
  bool* started = nullptr;                  // set when the body starts
  bool* group_cancelled = nullptr;          // set by TaskGroup::cancel() of `group`
};

Coro<int> run_body(Context& ctx, int index, Frame frame);

Coro<int> spawned_task(Context& ctx, int index, int body, Frame frame) {
  ctx.task_started(index);
  co_return co_await run_body(ctx, body, frame);
}

Coro<int> sleeper_task(Context& ctx, int index, Duration d) {
  ctx.task_started(index);
  ++ctx.live_bodies;
  try {
    co_await checked_sleep(ctx, d);
  } catch (...) {
    --ctx.live_bodies;
    throw;
  }
  --ctx.live_bodies;
  co_return ctx.info[static_cast<std::size_t>(index)].value;
}

void add_task(Context& ctx, Task<int> task, TimePoint created, int value) {
  ctx.tasks.push_back(std::move(task));
  ctx.info.push_back(TaskInfo{created, value});
  ++ctx.report.tasks_created;
}

// What the body of a synchronisation op tells the op around it: a put's new item, and when
// a condition wait began.
struct SyncWait {
  int item = -1;
  std::optional<std::size_t> condition_wait_began;
};

// The ordered_queue op's mode, from bits 6-7 of its first argument.
enum class QueueMode : std::uint8_t { put, get, shutdown, shutdown_immediately };
QueueMode queue_mode(const Op& op) { return static_cast<QueueMode>(op.args[0] >> 6); }

// The body of a synchronisation op that waits, run under the op's time limit.
Coro<int> sync_wait(Context& ctx, const Op& op, int object, int invocation, SyncWait& wait) {
  switch (op.kind) {
    case OpKind::event_wait:
      return checked_event_wait(ctx, object);
    case OpKind::lock_hold:
      return checked_lock_hold(ctx, object, decode_duration(op.args[2]), invocation);
    case OpKind::semaphore_hold:
      return checked_semaphore_hold(ctx, object, decode_duration(op.args[2]));
    case OpKind::condition_wait:
      return checked_condition_wait(ctx, object, (op.args[0] & 0x80) != 0, wait.condition_wait_began);
    case OpKind::barrier_wait:
      return checked_barrier_wait(ctx, object);
    case OpKind::queue_put:
      wait.item = new_item(ctx, object, invocation);
      return checked_put(ctx, wait.item);
    case OpKind::ordered_queue:
      if (queue_mode(op) == QueueMode::put) {
        wait.item = new_item(ctx, object, invocation, op.args[2] % 4);
        return checked_put(ctx, wait.item);
      }
      return checked_get(ctx, object);
    default:
      return checked_get(ctx, object);
  }
}

const char* sync_name(const Op& op) {
  switch (op.kind) {
    case OpKind::event_wait:
      return "event_wait";
    case OpKind::lock_hold:
      return "lock_hold";
    case OpKind::semaphore_hold:
      return "semaphore_hold";
    case OpKind::condition_wait:
      return "condition_wait";
    case OpKind::barrier_wait:
      return "barrier_wait";
    case OpKind::queue_put:
      return "queue_put";
    case OpKind::ordered_queue:
      return queue_mode(op) == QueueMode::put ? "ordered_queue put" : "ordered_queue get";
    default:
      return "queue_get";
  }
}

Coro<> run_op(Context& ctx, const Op& op, Frame frame, int invocation) {
  const auto& args = op.args;
  switch (op.kind) {
    case OpKind::sleep:
      co_await checked_sleep(ctx, decode_duration(args[0]));
      break;

    case OpKind::yield:
      co_await checked_sleep(ctx, 0ns);
      break;

    case OpKind::sleep_until:
      co_await checked_sleep(ctx, 0ns, TimePoint{decode_duration(args[0])});
      break;

    case OpKind::huge_sleep: {
      if ((args[0] & 1) == 0) {
        co_await checked_sleep(ctx, Duration::max() - std::chrono::hours(args[1]));
        break;
      }
      // Hours around the largest count that fits in nanoseconds (2562047 h): the conversion
      // must refuse the ones past it.
      const std::chrono::hours h(2562047 + static_cast<int>(args[1]) - 128);
      if (h <= std::chrono::duration_cast<std::chrono::hours>(Duration::max())) {
        co_await checked_sleep(ctx, std::chrono::duration_cast<Duration>(h));
        break;
      }
      bool threw = false;
      try {
        (void)sleep(h);
      } catch (const std::invalid_argument&) {
        threw = true;
      }
      ctx.check(threw, "sleep({}h) does not fit the clock but did not throw", h.count());
      break;
    }

    case OpKind::spawn:
    case OpKind::spawn_sleeper: {
      const int index = static_cast<int>(ctx.tasks.size());
      const TimePoint now = ctx.observe("spawn");
      if (op.kind == OpKind::spawn_sleeper) {
        // Its value, below every body's, is read by the task once it starts.
        add_task(ctx, create_task(sleeper_task(ctx, index, decode_duration(args[0]))), now, value_of(-1 - index));
        break;
      }
      const int body = op.children[0];
      const bool join_group = frame.group != nullptr && (args[0] & 1) == 0;
      // A task of the group may create more tasks in it: the group outlives them all.
      const bool inherit = join_group && (args[0] & 2) != 0;
      const Frame child{.rank = index,
                        .self = index,
                        .group = inherit ? frame.group : nullptr,
                        .group_tasks = inherit ? frame.group_tasks : nullptr,
                        .group_cancelled = inherit ? frame.group_cancelled : nullptr};
      Task<int> task;
      try {
        task = join_group ? frame.group->create_task(spawned_task(ctx, index, body, child))
                          : create_task(spawned_task(ctx, index, body, child));
      } catch (const InvalidStateError&) {
        ctx.check(join_group, "create_task threw InvalidStateError");
        break;  // the group is shutting down
      }
      add_task(ctx, std::move(task), now, value_of(body));
      if (join_group) frame.group_tasks->push_back(index);
      break;
    }

    case OpKind::cancel: {
      if (ctx.tasks.empty()) break;
      const int index = pick(args[0], static_cast<int>(ctx.tasks.size()));
      Task<int> task = ctx.tasks[static_cast<std::size_t>(index)];
      const bool was_done = task.done();
      const bool accepted = task.cancel();
      ctx.check(accepted == !was_done, "cancel() of task {} returned {}, but done() was {}", index, accepted, was_done);
      auto& info = ctx.info[static_cast<std::size_t>(index)];
      if (accepted && !info.started) info.cancelled_before_start = true;
      break;
    }

    case OpKind::await_task:
    case OpKind::shield: {
      const int index = ctx.later_task(frame.rank, args[0]);
      if (index < 0) break;
      const char* what = op.kind == OpKind::shield ? "shield" : "await";
      Task<int> task = ctx.tasks[static_cast<std::size_t>(index)];
      try {
        int value = 0;  // g++ 12 miscompiles co_await in both arms of ?: (use after free)
        if (op.kind == OpKind::shield) {
          value = co_await shield(task);
        } else {
          value = co_await task;
        }
        ctx.observe(what);
        ctx.check(task.done(), "{} of task {} returned before it finished", what, index);
        ctx.check(value == ctx.info[static_cast<std::size_t>(index)].value, "{} of task {} gave {}", what, index,
                  value);
      } catch (const CancelledError&) {
        ctx.observe(what);
        throw;
      } catch (...) {
        ctx.observe(what);
        ctx.absorb(std::current_exception(), false, what);
      }
      break;
    }

    case OpKind::wait_for_task: {
      const int index = ctx.later_task(frame.rank, args[0]);
      if (index < 0) break;
      Task<int> task = ctx.tasks[static_cast<std::size_t>(index)];
      const LimitCheck limit{ctx, ctx.observe("wait_for"), decode_duration(args[1]), "wait_for(task)"};
      const bool was_done = task.done();
      try {
        const int value = co_await wait_for(task, limit.limit);
        limit.completed(value, ctx.info[static_cast<std::size_t>(index)].value);
        ctx.check(limit.limit > 0ns || was_done || ctx.swallowed, "wait_for(task, {}ns) completed",
                  limit.limit.count());
      } catch (const TimeoutError&) {
        limit.timed_out();
      } catch (...) {
        if (!limit.settle(std::current_exception())) throw;
      }
      break;
    }

    case OpKind::wait_for_coro:
    case OpKind::timeout: {
      const bool is_timeout = op.kind == OpKind::timeout;
      const int body = op.children[0];
      bool started = false;
      Frame inner = frame;  // a time limit runs its body in the awaiting task
      inner.started = &started;
      const LimitCheck limit{ctx, ctx.observe("time limit"), decode_duration(args[0]),
                             is_timeout ? "timeout" : "wait_for(coro)"};
      try {
        int value = 0;
        if (is_timeout) {
          value = co_await timeout(limit.limit, run_body(ctx, body, inner));
        } else {
          value = co_await wait_for(run_body(ctx, body, inner), limit.limit);
        }
        limit.completed(value, value_of(body));
        ctx.check(is_timeout || limit.limit > 0ns, "wait_for(coro, {}ns) completed", limit.limit.count());
      } catch (const TimeoutError&) {
        limit.timed_out();
        ctx.check(is_timeout || limit.limit > 0ns || !started, "wait_for(coro, {}ns) ran the coroutine",
                  limit.limit.count());
      } catch (...) {
        if (!limit.settle(std::current_exception())) throw;
      }
      break;
    }

    case OpKind::gather_tasks:
    case OpKind::gather_coros: {
      const bool settle = (args[0] & 0x80) != 0;  // return_exceptions
      std::vector<int> expected;
      std::vector<int> indices;  // gather_tasks: the tasks gathered
      std::vector<Task<int>> tasks;
      std::vector<Coro<int>> coros;
      if (op.kind == OpKind::gather_tasks) {
        const int count = 1 + args[0] % 4;
        for (int i = 0; i < count; ++i) {
          const int index = ctx.later_task(frame.rank, args[static_cast<std::size_t>(1 + i)]);
          if (index < 0) break;
          indices.push_back(index);
          tasks.push_back(ctx.tasks[static_cast<std::size_t>(index)]);
          expected.push_back(ctx.info[static_cast<std::size_t>(index)].value);
        }
        if (tasks.empty()) break;
      } else {
        for (int body : op.children) {
          // Each runs in a task the gather makes, which the program has no handle to.
          coros.push_back(run_body(ctx, body, Frame{.rank = frame.rank, .self = Context::kUnknownTask}));
          expected.push_back(value_of(body));
        }
      }
      try {
        if (settle) {
          std::vector<std::variant<int, std::exception_ptr>> outcomes;
          if (tasks.empty()) {
            outcomes = co_await gather(return_exceptions, std::move(coros));
          } else {
            outcomes = co_await gather(return_exceptions, std::move(tasks));
          }
          ctx.observe("gather");
          ctx.check(outcomes.size() == expected.size(), "gather gave {} outcomes for {}", outcomes.size(),
                    expected.size());
          for (std::size_t i = 0; i < outcomes.size() && i < expected.size(); ++i) {
            if (const int* value = std::get_if<int>(&outcomes[i])) {
              ctx.check(*value == expected[i], "gather outcome {} is {}, expected {}", i, *value, expected[i]);
            } else {
              const auto error = std::get<std::exception_ptr>(outcomes[i]);
              ctx.check(error != nullptr, "gather outcome {} is a null exception", i);
              if (error) ctx.absorb(error, true, "gather outcome");
            }
          }
        } else {
          std::vector<int> values;
          if (tasks.empty()) {
            values = co_await gather(std::move(coros));
          } else {
            values = co_await gather(std::move(tasks));
          }
          ctx.observe("gather");
          ctx.check(values == expected, "gather gave results out of order or wrong");
        }
        for (int index : indices) {
          ctx.check(ctx.tasks[static_cast<std::size_t>(index)].done(), "gather returned before task {} finished",
                    index);
        }
      } catch (const CancelledError&) {
        ctx.observe("gather");
        throw;
      } catch (...) {
        ctx.observe("gather");
        ctx.absorb(std::current_exception(), false, "gather");
      }
      break;
    }

    case OpKind::task_group: {
      const int body = op.children[0];
      std::vector<int> members;
      bool cancelled = false;
      const auto all_finished = [&] {
        for (int index : members) {
          ctx.check(ctx.tasks[static_cast<std::size_t>(index)].done(), "task_group ended before its task {} finished",
                    index);
        }
      };
      const auto body_frame = [&, rank = frame.rank, self = frame.self](TaskGroup& group) {
        return Frame{
            .rank = rank, .self = self, .group = &group, .group_tasks = &members, .group_cancelled = &cancelled};
      };
      const bool void_body = (args[0] & 1) != 0;
      try {
        if (void_body) {
          co_await task_group([&](TaskGroup& group) -> Coro<> { co_await run_body(ctx, body, body_frame(group)); });
          ctx.observe("task_group");
        } else {
          const int value =
              co_await task_group([&](TaskGroup& group) { return run_body(ctx, body, body_frame(group)); });
          ctx.observe("task_group");
          ctx.check(value == value_of(body), "task_group returned {}, expected {}", value, value_of(body));
        }
      } catch (const CancelledError&) {
        ctx.observe("task_group");
        all_finished();
        // A value body stopped by TaskGroup::cancel() has no value to give, so task_group
        // rethrows its CancelledError although nobody cancelled this task: that is the op's
        // outcome, and the body goes on. A cancellation of the task itself (pending requests,
        // as the group withdrew its own) propagates; so does any where the task is unknown.
        if (void_body || !cancelled || ctx.cancelling(frame.self).value_or(1) > 0) throw;
      } catch (...) {
        ctx.observe("task_group");
        ctx.absorb(std::current_exception(), false, "task_group");
      }
      all_finished();
      break;
    }

    case OpKind::group_cancel:
      if (frame.group != nullptr) {
        frame.group->cancel();
        *frame.group_cancelled = true;
      }
      break;

    case OpKind::event_set:
      ctx.events[args[0] % Context::kSyncObjects].set();
      ctx.event_set_times[args[0] % Context::kSyncObjects].push_back(ctx.observe("event_set"));
      break;

    case OpKind::event_clear:
      ctx.events[args[0] % Context::kSyncObjects].clear();
      break;

    case OpKind::queue_shutdown:
      shut_down_queue(ctx, args[0] % Context::kSyncObjects, (args[0] & 0x80) != 0);
      break;

    case OpKind::semaphore_release:
      release_semaphore(ctx, args[0] % Context::kSyncObjects);
      break;

    case OpKind::condition_notify:
      co_await checked_condition_notify(ctx, args[0] % Context::kSyncObjects, args[0], args[1]);
      break;

    case OpKind::barrier_abort:
      break_barrier(ctx, args[0] % Context::kSyncObjects, (args[0] & 0x80) != 0);
      break;

    case OpKind::ordered_queue:
    case OpKind::event_wait:
    case OpKind::lock_hold:
    case OpKind::queue_put:
    case OpKind::queue_get:
    case OpKind::semaphore_hold:
    case OpKind::condition_wait:
    case OpKind::barrier_wait: {
      const bool ordered = op.kind == OpKind::ordered_queue;
      const int object = ordered ? Context::kLifoQueue + (args[0] & 1) : args[0] % Context::kSyncObjects;
      if (ordered && queue_mode(op) >= QueueMode::shutdown) {
        shut_down_queue(ctx, object, queue_mode(op) == QueueMode::shutdown_immediately);
        break;
      }
      const LimitCheck limit{ctx, ctx.observe("sync"), decode_duration(args[1]), sync_name(op)};
      const std::size_t sets =
          op.kind == OpKind::event_wait ? ctx.event_set_times[static_cast<std::size_t>(object)].size() : 0;
      SyncWait wait;
      const auto failed = [&] {
        if (wait.item >= 0) put_failed(ctx, wait.item);
      };
      try {
        const int value = co_await timeout(limit.limit, sync_wait(ctx, op, object, invocation, wait));
        limit.completed(value, 0);
      } catch (const TimeoutError&) {
        failed();
        limit.timed_out();
        const TimePoint deadline = limit.start + std::max(limit.limit, Duration::zero());
        if (op.kind == OpKind::event_wait && !limit.overflow()) check_event_timeout(ctx, object, sets, deadline);
        if (op.kind == OpKind::condition_wait && !limit.overflow()) {
          check_condition_timeout(ctx, object, wait.condition_wait_began, deadline);
        }
      } catch (const std::invalid_argument& e) {
        failed();
        limit.invalid(e);
      } catch (const QueueShutDown&) {
        failed();
        ctx.observe(limit.what);
        ctx.check(ctx.queue_shut_down[static_cast<std::size_t>(object)], "{}: QueueShutDown, but queue {} is not",
                  limit.what, object);
      } catch (const CancelledError&) {
        failed();
        ctx.observe(limit.what);
        throw;
      } catch (...) {
        failed();
        ctx.observe(limit.what);
        ctx.absorb(std::current_exception(), false, limit.what);
      }
      check_queue_sizes(ctx);
      break;
    }

    case OpKind::raise:  // run_body throws it
    case OpKind::count:
      break;
  }
}

Coro<int> run_body(Context& ctx, int index, Frame frame) {
  ++ctx.live_bodies;
  const int invocation = ctx.invocations++;
  if (frame.started != nullptr) *frame.started = true;
  const Body& body = ctx.program.bodies[static_cast<std::size_t>(index)];
  for (const Op& op : body.ops) {
    ++ctx.report.ops_run;
    if (op.kind == OpKind::raise) {
      --ctx.live_bodies;
      throw FuzzError(fmt::format("body {} raised", index));
    }
    try {
      co_await run_op(ctx, op, frame, invocation);
    } catch (const CancelledError&) {
      if (!body.swallows_cancellation) {
        --ctx.live_bodies;
        throw;
      }
      ctx.swallowed = true;
    } catch (...) {
      ctx.check(false, "an op of body {} let an unexpected exception out", index);
      --ctx.live_bodies;
      throw;
    }
  }
  --ctx.live_bodies;
  co_return value_of(index);
}

Coro<> main_coroutine(Context& ctx) {
  // Body 0 runs in a task of its own, so that its cancelling() can be read like any other's.
  ctx.main_task = create_task(run_body(ctx, 0, Frame{}));
  try {
    co_await ctx.main_task;
  } catch (...) {
    ctx.absorb(std::current_exception(), true, "main");
  }
}

}  // namespace

Report run_program(std::span<const std::uint8_t> input) {
  const Program program = decode(input);
  const LiveObjects before = live_objects();
  VirtualClock clock;
  int unretrieved = 0;  // outlives the loop, which may report at close
  Report report;
  {
    Loop loop(clock);
    loop.set_exception_handler([&unretrieved](const UnretrievedException&) { ++unretrieved; });
    Context ctx(program, loop, clock);
    try {
      loop.run(main_coroutine(ctx));
    } catch (const std::exception& e) {
      ctx.check(false, "run() threw: {}", e.what());
    } catch (const BaseException& e) {
      ctx.check(false, "run() threw: {}", e.what());
    }
    check_after_run(ctx);
    report = std::move(ctx.report);
  }
  report.unretrieved_exceptions = unretrieved;
  // Every handle is dropped and the loop closed: nothing of this run may be left.
  const LiveObjects after = live_objects();
  if (after != before) {
    report.violations.push_back(fmt::format("left alive after the loop closed: {} frames, {} tasks, {} timers",
                                            after.frames - before.frames, after.tasks - before.tasks,
                                            after.timers - before.timers));
  }
  return report;
}

}  // namespace simtime::fuzz
