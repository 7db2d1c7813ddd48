// The whole public API of simtime: #include <simtime/simtime.hpp>.
#pragma once

#include "simtime/call_later.hpp"       // IWYU pragma: export
#include "simtime/clock.hpp"            // IWYU pragma: export
#include "simtime/coro.hpp"             // IWYU pragma: export
#include "simtime/errors.hpp"           // IWYU pragma: export
#include "simtime/future.hpp"           // IWYU pragma: export
#include "simtime/gather.hpp"           // IWYU pragma: export
#include "simtime/live_objects.hpp"     // IWYU pragma: export
#include "simtime/loop.hpp"             // IWYU pragma: export
#include "simtime/schedule_policy.hpp"  // IWYU pragma: export
#include "simtime/shield.hpp"           // IWYU pragma: export
#include "simtime/sleep.hpp"            // IWYU pragma: export
#include "simtime/source_location.hpp"  // IWYU pragma: export
#include "simtime/sync/barrier.hpp"     // IWYU pragma: export
#include "simtime/sync/condition.hpp"   // IWYU pragma: export
#include "simtime/sync/event.hpp"       // IWYU pragma: export
#include "simtime/sync/lock.hpp"        // IWYU pragma: export
#include "simtime/sync/queue.hpp"       // IWYU pragma: export
#include "simtime/sync/semaphore.hpp"   // IWYU pragma: export
#include "simtime/task.hpp"             // IWYU pragma: export
#include "simtime/task_group.hpp"       // IWYU pragma: export
#include "simtime/thread.hpp"           // IWYU pragma: export
#include "simtime/timeout.hpp"          // IWYU pragma: export
#include "simtime/wait.hpp"             // IWYU pragma: export
