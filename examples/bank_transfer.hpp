// A bank with a check-then-act bug across an await: the program schedule exploration is for.
//
// Alice and Bob share the joint account (100). Alice withdraws 80 at once; Bob withdraws 50
// a millisecond later. A withdrawal checks the balance, records the transfer in the ledger
// (a 1 ms round trip: an await), then debits. In FIFO order Alice's debit, due at 1 ms,
// runs before Bob's check, due at the same instant, so Bob is refused and every test on
// the default schedule passes. In any order where Bob's check runs first, both
// withdrawals pass the check and the account ends at -30. Meanwhile Carol, Dave and Erin
// pay each other in a ring, each from an account only they draw on, which is safe in
// every order; they make the day's schedules many.
//
// Version::locked holds the account's Lock from the check to the debit (asyncio's
// `async with account.lock`), which is correct in every order.
#pragma once

#include <simtime/simtime.hpp>

namespace bank_transfer {

enum class Version : unsigned char { check_then_act, locked };

/// One business day of the bank. Throws std::logic_error naming the account, its balance
/// and the joint account's journal if an account is overdrawn or money is lost or made.
simtime::Coro<> business_day(Version version);

}  // namespace bank_transfer
