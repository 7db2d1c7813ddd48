#!/usr/bin/env python3
"""Writes the hand-made seed programs of the loop fuzzer into fuzz/corpus/ (seed_*).

Each seed is a small program in the fuzzer's input language (fuzz/program.hpp): the main
body is a plain list of ops; a nested body is a header byte (op count, bit 7 = swallows
CancelledError) then its ops; an op is its opcode, its argument bytes, then its child
bodies. Keep OPS and ARGS in step with OpKind and kOpSpecs (fuzz/program.cc).

    python3 fuzz/make_seeds.py          # rewrites fuzz/corpus/seed_*
"""
import pathlib

OPS = ["sleep", "yield", "spawn", "spawn_sleeper", "cancel", "await_task", "wait_for_task",
       "wait_for_coro", "gather_tasks", "gather_coros", "shield", "task_group", "timeout",
       "raise", "sleep_until", "huge_sleep", "group_cancel", "event_set", "event_clear", "event_wait",
       "lock_hold", "queue_put", "queue_get", "queue_shutdown", "semaphore_hold", "semaphore_release",
       "condition_wait", "condition_notify", "barrier_wait", "barrier_abort", "ordered_queue"]
ARGS = {"sleep": 1, "yield": 0, "spawn": 1, "spawn_sleeper": 1, "cancel": 1, "await_task": 1,
        "wait_for_task": 2, "wait_for_coro": 1, "gather_tasks": 5, "gather_coros": 1, "shield": 1,
        "task_group": 1, "timeout": 1, "raise": 0, "sleep_until": 1, "huge_sleep": 2,
        "group_cancel": 0, "event_set": 1, "event_clear": 1, "event_wait": 2, "lock_hold": 3,
        "queue_put": 2, "queue_get": 2, "queue_shutdown": 1, "semaphore_hold": 3, "semaphore_release": 1,
        "condition_wait": 2, "condition_notify": 2, "barrier_wait": 2, "barrier_abort": 1, "ordered_queue": 3}


def ns(n): return n & 31
def us(n): return 1 << 5 | n
def ms(n): return 2 << 5 | n
def s(n): return 3 << 5 | n
def minutes(n): return 5 << 5 | n
def h(n): return 6 << 5 | n
def neg(n): return 7 << 5 | (n - 1)  # -n ns, 1 <= n <= 32


def op(name, *args, children=()):
    assert len(args) == ARGS[name], (name, args)
    return bytes([OPS.index(name), *args]) + b"".join(children)


def body(*ops, swallow=False):
    assert len(ops) <= 15
    return bytes([len(ops) | (0x80 if swallow else 0)]) + b"".join(ops)


def tasks_gathered(count, settle=False):
    """gather_tasks of tasks 0..count-1 (as main, whose candidates are every task)."""
    return op("gather_tasks", (count - 1) | (0x80 if settle else 0), *range(count), *[0] * (4 - count))


def spawn(*ops, swallow=False, flags=0):
    return op("spawn", flags, children=[body(*ops, swallow=swallow)])


LIFO, PRIORITY = 0, 1  # ordered_queue's queues
PUT, GET, SHUTDOWN, SHUTDOWN_IMMEDIATELY = 0, 1, 2, 3  # its modes


def ordered(queue, mode, limit=0, priority=0):
    return op("ordered_queue", queue | mode << 6, limit, priority)


SEEDS = {
    # The asyncio tutorial: three tasks sleep 2, 10 and 5 s; gathered, they end at 10 s.
    "asyncio_demo": [op("spawn_sleeper", s(2)), op("spawn_sleeper", s(10)), op("spawn_sleeper", s(5)),
                     tasks_gathered(3)],
    "sequential_sleeps": [op("sleep", s(2)), op("sleep", s(10)), op("sleep", s(5))],
    "equal_deadlines": [op("spawn_sleeper", s(3)), op("spawn_sleeper", s(1)), op("spawn_sleeper", s(3)),
                        op("spawn_sleeper", s(2)), op("spawn_sleeper", s(3)), tasks_gathered(4), op("sleep", s(3))],
    "yields": [spawn(op("yield"), op("yield"), op("sleep", 0)), spawn(op("yield"), op("sleep", neg(5))),
               op("yield"), op("yield"), op("yield")],
    "negative_and_tiny": [op("sleep", neg(1)), op("sleep", neg(32)), op("sleep", ns(1)), op("sleep", us(1)),
                          op("sleep", ms(1)), op("sleep", h(1)), op("sleep", minutes(3))],
    "cancel_before_start": [op("spawn_sleeper", s(5)), op("cancel", 0), op("await_task", 0), op("sleep", s(1))],
    "cancel_while_sleeping": [op("spawn_sleeper", s(5)), op("sleep", s(1)), op("cancel", 0), op("await_task", 0),
                              op("cancel", 0)],
    "cancel_finished": [op("spawn_sleeper", s(1)), op("sleep", s(2)), op("cancel", 0), op("await_task", 0)],
    "await_twice": [op("spawn_sleeper", ms(7)), op("await_task", 0), op("await_task", 0), op("shield", 0)],
    "wait_for_times_out": [op("spawn_sleeper", s(10)), op("wait_for_task", 0, s(5)), op("await_task", 0)],
    "wait_for_in_time": [op("spawn_sleeper", s(1)), op("wait_for_task", 0, s(5))],
    "wait_for_same_instant": [op("spawn_sleeper", s(5)), op("wait_for_task", 0, s(5))],
    "wait_for_zero": [op("spawn_sleeper", s(5)), op("wait_for_task", 0, 0), op("spawn_sleeper", 0),
                      op("yield"), op("yield"), op("wait_for_task", 1, neg(3))],
    "wait_for_coro": [op("wait_for_coro", s(5), children=[body(op("sleep", s(5)))]),
                      op("wait_for_coro", s(5), children=[body(op("sleep", s(4)))]),
                      op("wait_for_coro", 0, children=[body(op("sleep", s(1)))])],
    "timeout_scope": [op("timeout", s(10), children=[body(op("sleep", s(3)), op("sleep", s(3)), op("sleep", s(3)),
                                                          op("sleep", s(3)))]),
                      op("timeout", neg(1), children=[body(op("yield"))]),
                      op("timeout", 0, children=[body()])],
    "nested_timeouts": [op("timeout", s(5), children=[body(
        op("timeout", s(3), children=[body(op("sleep", s(4)))]),
        op("sleep", s(1)),
        op("wait_for_coro", s(9), children=[body(op("sleep", s(9)))]))])],
    "gather_coros": [op("gather_coros", 2, children=[body(op("sleep", s(3))), body(op("sleep", s(1))),
                                                     body(op("yield"))])],
    "gather_failure": [op("gather_coros", 1, children=[body(op("sleep", s(1)), op("raise")),
                                                       body(op("sleep", s(2)))]),
                       op("sleep", s(5))],
    "gather_return_exceptions": [op("gather_coros", 0x82, children=[body(op("raise")), body(op("sleep", s(2))),
                                                                    body(op("sleep", s(1)), op("raise"))])],
    "gather_duplicates": [op("spawn_sleeper", s(1)), op("spawn_sleeper", s(2)),
                          op("gather_tasks", 3, 0, 1, 0, 1)],
    "gather_cancelled_child": [op("spawn_sleeper", s(4)), op("spawn", 0, children=[body(op("cancel", 0))]),
                               op("gather_tasks", 0x81, 0, 1, 0, 0)],
    "shield_then_cancel": [op("spawn_sleeper", s(3)),
                           spawn(op("shield", 0), op("sleep", s(1))),
                           op("sleep", s(1)), op("cancel", 1), op("await_task", 0)],
    "task_group": [op("task_group", 0, children=[body(spawn(op("sleep", s(2))), spawn(op("sleep", s(1))),
                                                      op("sleep", s(1)))])],
    "task_group_failure": [op("task_group", 0, children=[body(spawn(op("sleep", s(2))),
                                                              spawn(op("sleep", s(1)), op("raise")),
                                                              op("sleep", s(5)))])],
    "task_group_two_failures": [op("task_group", 1, children=[body(spawn(op("sleep", s(1)), op("raise")),
                                                                   spawn(op("sleep", s(1)), op("raise")),
                                                                   spawn(op("sleep", s(9))))])],
    "task_group_body_raises": [op("task_group", 0, children=[body(spawn(op("sleep", s(2))), op("raise"))])],
    "task_group_cancel": [op("task_group", 1, children=[body(spawn(op("sleep", s(2))), op("sleep", s(1)),
                                                             op("group_cancel"), op("yield"))])],
    "task_group_nested": [op("task_group", 0, children=[body(
        spawn(op("task_group", 1, children=[body(spawn(op("sleep", s(1))), spawn(op("sleep", s(2))))]),
              flags=2),
        spawn(op("spawn", 0, children=[body(op("sleep", s(3)))]), flags=2))])],
    "task_group_cancelled_from_outside": [
        spawn(op("task_group", 1, children=[body(spawn(op("sleep", s(5))), spawn(op("sleep", s(6))))])),
        op("sleep", s(1)), op("cancel", 0), op("await_task", 0)],
    "huge_sleeps": [op("huge_sleep", 1, 200), op("huge_sleep", 1, 10), op("huge_sleep", 0, 0),
                    op("sleep", s(1)), op("wait_for_coro", s(1), children=[body()]),
                    op("timeout", s(1), children=[body()])],
    "huge_sleep_to_the_edge": [op("huge_sleep", 0, 0), op("sleep", ns(1)), op("yield")],
    "sleep_until": [op("sleep_until", s(3)), op("sleep_until", s(1)), op("sleep_until", s(3)),
                    op("sleep_until", 0)],
    "swallowing_task": [spawn(op("sleep", s(5)), op("sleep", s(5)), swallow=True), op("sleep", s(1)),
                        op("cancel", 0), op("wait_for_task", 0, s(2))],
    "self_cancel": [spawn(op("cancel", 0), op("sleep", s(1)), op("sleep", s(1))), op("await_task", 0)],
    "deep_chain": [spawn(spawn(spawn(spawn(spawn(op("sleep", s(1))), op("await_task", 0)),
                                     op("await_task", 0)), op("await_task", 0)), op("await_task", 0)),
                   op("await_task", 0)],
    "await_chain": [spawn(op("sleep", s(1))), spawn(op("await_task", 0)), spawn(op("await_task", 0)),
                    op("await_task", 2), op("gather_tasks", 0x82, 0, 1, 2, 0)],
    "main_raises_with_pending": [op("spawn_sleeper", h(1)), spawn(op("sleep", minutes(1))), op("yield"),
                                 op("raise")],
    "pending_at_end": [op("spawn_sleeper", h(2)), spawn(op("sleep", s(1)), op("sleep", h(1))),
                       spawn(op("sleep", s(1)), swallow=True), op("sleep", s(2))],
    "wait_for_group": [op("wait_for_coro", s(3), children=[body(op("task_group", 0, children=[body(
        spawn(op("sleep", s(5))), spawn(op("sleep", s(1))))]))])],
    "timeout_around_gather": [op("timeout", s(2), children=[body(op("gather_coros", 1, children=[
        body(op("sleep", s(1))), body(op("sleep", s(3)))]))])],
    # Synchronisation: events 0-1, locks 0-1, queue 0 (unbounded) and queue 1 (at most 2).
    "event_broadcast": [spawn(op("event_wait", 0, s(10))), spawn(op("event_wait", 0, s(10))),
                        spawn(op("event_wait", 0, s(1))), op("sleep", s(2)), op("event_set", 0),
                        op("event_wait", 0, s(1)), op("event_clear", 0), op("event_wait", 0, 0)],
    "event_set_then_cleared": [spawn(op("event_wait", 1, s(5))), op("yield"), op("event_set", 1),
                               op("event_clear", 1), op("sleep", s(1))],
    "event_wait_cancelled": [spawn(op("event_wait", 0, h(1))), op("sleep", s(1)), op("event_set", 0),
                             op("cancel", 0), op("await_task", 0)],
    "lock_contention": [spawn(op("lock_hold", 0, s(10), s(2))), spawn(op("lock_hold", 0, s(10), s(2))),
                        spawn(op("lock_hold", 0, s(3), s(2))), op("lock_hold", 0, s(10), s(1)),
                        op("lock_hold", 1, 0, 0)],
    "lock_holder_cancelled": [spawn(op("lock_hold", 1, s(10), s(5))), spawn(op("lock_hold", 1, s(10), s(1))),
                              op("sleep", s(1)), op("cancel", 0), op("lock_hold", 1, s(10), s(1))],
    "producer_consumer": [spawn(op("queue_put", 1, s(9)), op("queue_put", 1, s(9)), op("queue_put", 1, s(9)),
                                op("queue_put", 1, s(9))),
                          spawn(op("queue_get", 1, s(9)), op("sleep", s(1)), op("queue_get", 1, s(9)),
                                op("queue_get", 1, s(9))),
                          op("sleep", s(3)), op("queue_get", 1, s(1)), op("queue_get", 1, s(1))],
    "queue_timeouts": [op("queue_get", 0, s(1)), op("queue_put", 0, s(1)), op("queue_put", 1, 0),
                       op("queue_put", 1, 0), op("queue_put", 1, s(2)), op("queue_get", 0, 0)],
    "queue_shutdown": [spawn(op("queue_get", 0, s(5))), spawn(op("queue_put", 1, s(5)), op("queue_put", 1, s(5)),
                                                             op("queue_put", 1, s(5))),
                       op("sleep", s(1)), op("queue_shutdown", 0), op("queue_shutdown", 0x81),
                       op("queue_get", 1, s(1)), op("queue_put", 0, s(1))],
    "event_set_before_deadline": [spawn(op("event_wait", 0, s(5))), op("sleep", s(4)), op("event_set", 0),
                                  op("sleep", s(5))],
    # The set comes at the very instant the wait's deadline fires: the timeout wins (rule 13).
    "event_set_at_deadline": [spawn(op("event_wait", 1, s(3))), op("sleep", s(3)), op("event_set", 1),
                              op("await_task", 0)],
    "queue_fifo_two_producers": [spawn(op("queue_put", 0, s(1)), op("yield"), op("queue_put", 0, s(1)),
                                       op("queue_put", 0, s(1))),
                                 spawn(op("queue_put", 0, s(1)), op("queue_put", 0, s(1)), op("yield"),
                                       op("queue_put", 0, s(1))),
                                 spawn(op("queue_get", 0, s(2)), op("queue_get", 0, s(2)), op("yield"),
                                       op("queue_get", 0, s(2)), op("queue_get", 0, s(2))),
                                 op("sleep", s(3))],
    "queue_shutdown_immediate_drops": [op("queue_put", 0, 0), op("queue_put", 0, 0), op("queue_put", 1, 0),
                                       op("queue_put", 1, 0), spawn(op("queue_put", 1, s(5))), op("yield"),
                                       op("queue_shutdown", 0x81), op("queue_get", 1, s(1)),
                                       op("queue_get", 0, s(1)), op("queue_shutdown", 0),
                                       op("queue_get", 0, s(1)), op("queue_get", 0, s(1))],
    # TaskGroup::cancel() stops a value body: task_group throws CancelledError, and the body
    # that awaited it goes on; unless its task was cancelled from outside too.
    "task_group_cancel_value_goes_on": [op("task_group", 0, children=[body(op("group_cancel"), op("yield"))]),
                                        op("sleep", s(1))],
    "task_group_cancel_value_after_outside_cancel": [
        spawn(op("sleep", s(2)), op("task_group", 0, children=[body(op("group_cancel"), op("yield"))]),
              op("sleep", s(1)), swallow=True),
        op("sleep", s(1)), op("cancel", 0), op("await_task", 0)],
    # Semaphore 0 (2 permits), BoundedSemaphore 1 (2 permits), conditions 0 (own lock) and 1
    # (over lock 1), barriers 0 (2 parties) and 1 (3), the LifoQueue (at most 2) and the
    # PriorityQueue.
    "semaphore_fifo": [spawn(op("semaphore_hold", 0, s(10), s(2))), spawn(op("semaphore_hold", 0, s(10), s(2))),
                       spawn(op("semaphore_hold", 0, s(10), s(1))), spawn(op("semaphore_hold", 0, s(10), s(1))),
                       spawn(op("semaphore_hold", 0, s(1), s(1))), op("yield"), op("semaphore_hold", 0, s(10), 0)],
    "semaphore_release_adds_a_permit": [spawn(op("semaphore_hold", 0, s(9), s(3))),
                                        spawn(op("semaphore_hold", 0, s(9), s(3))),
                                        spawn(op("semaphore_hold", 0, s(9), s(3))), op("yield"),
                                        op("semaphore_release", 0), op("sleep", s(1)),
                                        op("semaphore_hold", 0, s(9), s(1))],
    "bounded_semaphore_refuses": [op("semaphore_release", 1), spawn(op("semaphore_hold", 1, s(5), s(2))),
                                  op("yield"), op("semaphore_release", 1), op("semaphore_release", 1),
                                  op("sleep", s(3)), op("semaphore_release", 1)],
    "semaphore_waiter_cancelled_when_woken": [spawn(op("semaphore_hold", 1, s(9), s(2))),
                                              spawn(op("semaphore_hold", 1, s(9), s(2))),
                                              spawn(op("semaphore_hold", 1, s(2), s(1))),
                                              spawn(op("semaphore_hold", 1, s(9), s(1))), op("sleep", s(1)),
                                              op("cancel", 1), op("sleep", s(5))],
    "condition_notify_one_by_one": [spawn(op("condition_wait", 0, s(10))), spawn(op("condition_wait", 0, s(10))),
                                    spawn(op("condition_wait", 0, s(10))), op("sleep", s(1)),
                                    op("condition_notify", 0, 1), op("sleep", s(1)), op("condition_notify", 0, 2),
                                    op("sleep", s(1)), op("condition_notify", 0, 1)],
    "condition_notify_all": [spawn(op("condition_wait", 0, s(5))), spawn(op("condition_wait", 0, s(5))),
                             spawn(op("condition_wait", 0, s(1))), op("sleep", s(2)),
                             op("condition_notify", 0x80, 0), op("condition_wait", 0, s(1))],
    "condition_notified_waiter_cancelled": [spawn(op("condition_wait", 0, s(9))),
                                            spawn(op("condition_wait", 0, s(9))), op("sleep", s(1)),
                                            op("condition_notify", 0, 1), op("cancel", 0), op("sleep", s(1)),
                                            op("await_task", 1)],
    "condition_over_a_held_lock": [spawn(op("lock_hold", 1, s(9), s(3))), spawn(op("condition_wait", 1, s(9))),
                                   op("yield"), op("condition_notify", 0x41, 1), op("condition_wait", 0x81, 0),
                                   op("condition_notify", 1, 3), op("sleep", s(4)), op("condition_notify", 0x40, 0)],
    "condition_without_the_lock": [op("condition_wait", 0x80, s(1)), op("condition_notify", 0x40, 1),
                                   op("condition_notify", 0xc0, 0)],
    "barrier_rounds": [spawn(op("barrier_wait", 1, s(9)), op("barrier_wait", 1, s(9))),
                       spawn(op("barrier_wait", 1, s(9)), op("sleep", s(1)), op("barrier_wait", 1, s(9))),
                       spawn(op("barrier_wait", 1, s(9)), op("barrier_wait", 1, s(9))),
                       spawn(op("barrier_wait", 0, s(3))), op("sleep", s(1)), op("barrier_wait", 0, s(3)),
                       op("sleep", s(9))],
    "barrier_abort_and_reset": [spawn(op("barrier_wait", 1, s(9))), spawn(op("barrier_wait", 1, s(9))),
                                op("sleep", s(1)), op("barrier_abort", 1), op("barrier_wait", 1, s(1)),
                                op("barrier_abort", 0x81), spawn(op("barrier_wait", 1, s(9))),
                                op("yield"), op("barrier_abort", 0x81), op("sleep", s(1))],
    "barrier_waiter_leaves": [spawn(op("barrier_wait", 0, s(1))), op("sleep", s(2)),
                              spawn(op("barrier_wait", 0, s(5))), spawn(op("barrier_wait", 0, s(5))),
                              op("sleep", s(1))],
    "lifo_queue": [ordered(LIFO, PUT, s(5)), ordered(LIFO, PUT, s(5)),
                   spawn(ordered(LIFO, PUT, s(5)), ordered(LIFO, PUT, s(5))), op("yield"),
                   ordered(LIFO, GET, s(5)), op("sleep", s(1)), ordered(LIFO, GET, s(5)),
                   spawn(ordered(LIFO, GET, s(9)), ordered(LIFO, GET, s(9)), ordered(LIFO, GET, s(9)))],
    "priority_queue": [ordered(PRIORITY, PUT, 0, 3), ordered(PRIORITY, PUT, 0, 1), ordered(PRIORITY, PUT, 0, 2),
                       ordered(PRIORITY, PUT, 0, 1), spawn(ordered(PRIORITY, GET, s(5)), ordered(PRIORITY, GET, s(5))),
                       ordered(PRIORITY, GET, s(1)), op("sleep", s(1)), ordered(PRIORITY, GET, s(1)),
                       spawn(ordered(PRIORITY, GET, s(5))), op("yield"), ordered(PRIORITY, PUT, 0, 0)],
    "ordered_queues_shut_down": [ordered(PRIORITY, PUT, 0, 2), ordered(PRIORITY, PUT, 0, 1),
                                 ordered(LIFO, PUT, 0), ordered(LIFO, PUT, 0), spawn(ordered(LIFO, PUT, s(5))),
                                 spawn(ordered(PRIORITY, GET, s(5)), ordered(PRIORITY, GET, s(5)),
                                       ordered(PRIORITY, GET, s(5))),
                                 op("yield"), ordered(LIFO, SHUTDOWN), ordered(LIFO, GET, s(1)),
                                 ordered(LIFO, PUT, s(1)), ordered(PRIORITY, SHUTDOWN_IMMEDIATELY),
                                 ordered(PRIORITY, GET, s(1))],
}


def main():
    corpus = pathlib.Path(__file__).resolve().parent / "corpus"
    corpus.mkdir(exist_ok=True)
    for old in corpus.glob("seed_*"):
        old.unlink()
    for name, ops in SEEDS.items():
        (corpus / f"seed_{name}").write_bytes(b"".join(ops))
    print(f"wrote {len(SEEDS)} seeds to {corpus}")


if __name__ == "__main__":
    main()
