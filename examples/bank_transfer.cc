#include "examples/bank_transfer.hpp"

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace bank_transfer {
namespace {

using namespace std::chrono_literals;

struct Account {
  std::string name;
  std::int64_t balance;
  simtime::Lock lock;
};

struct Bank {
  std::array<Account, 6> accounts{{{"joint", 100, simtime::Lock("joint")},
                                   {"alice", 0, simtime::Lock("alice")},
                                   {"bob", 0, simtime::Lock("bob")},
                                   {"carol", 100, simtime::Lock("carol")},
                                   {"dave", 100, simtime::Lock("dave")},
                                   {"erin", 100, simtime::Lock("erin")}}};
  std::vector<std::string> journal;  // what happened to the joint account, with times
  std::vector<std::string> overdrafts;

  Account& operator[](std::size_t i) { return accounts[i]; }
  void note(const Account& account, std::string what) {
    if (account.name == "joint") journal.push_back(fmt::format("{} {}", simtime::format_time(simtime::now()), what));
  }
};

constexpr std::size_t joint = 0, alice = 1, bob = 2, carol = 3, dave = 4, erin = 5;

// Takes the bank by shared_ptr: every task holds it, so it outlives whichever ends last.
simtime::Coro<bool> transfer(std::shared_ptr<Bank> bank, std::size_t from, std::size_t to, std::int64_t amount,
                             std::string who, Version version) {
  Account& source = (*bank)[from];
  std::optional<simtime::LockGuard> guard;
  if (version == Version::locked) guard.emplace(co_await source.lock.lock());
  if (source.balance < amount) {
    bank->note(source, fmt::format("{} is refused {} from {} ({} left)", who, amount, source.name, source.balance));
    co_return false;
  }
  bank->note(source, fmt::format("{} checks {}: {} >= {}", who, source.name, source.balance, amount));
  co_await simtime::sleep(1ms);  // the ledger's round trip: other tasks run meanwhile
  source.balance -= amount;
  (*bank)[to].balance += amount;
  bank->note(source, fmt::format("{} takes {} from {}, which now holds {}", who, amount, source.name, source.balance));
  if (source.balance < 0) {
    bank->overdrafts.push_back(fmt::format("account '{}' is overdrawn: {} after {}'s withdrawal of {}", source.name,
                                           source.balance, who, amount));
  }
  co_return true;
}

simtime::Coro<> customer(std::shared_ptr<Bank> bank, std::size_t from, std::size_t to, std::int64_t amount,
                         simtime::Duration start, std::string who, Version version) {
  // Not even a sleep(0) when starting at once: that would yield, and give up the turn.
  if (start > simtime::Duration{0}) co_await simtime::sleep(start);
  co_await transfer(std::move(bank), from, to, amount, std::move(who), version);
}

// Pays `amount` to the next customer of the ring `times` times, one payment a millisecond.
simtime::Coro<> payer(std::shared_ptr<Bank> bank, std::size_t from, std::size_t to, int times, std::string who,
                      Version version) {
  for (int i = 0; i < times; ++i) {
    co_await transfer(bank, from, to, 10, who, version);
  }
}

}  // namespace

simtime::Coro<> business_day(Version version) {
  auto bank = std::make_shared<Bank>();
  std::int64_t total_before = 0;
  for (const Account& account : bank->accounts) total_before += account.balance;
  std::vector<simtime::Task<>> day;
  day.push_back(simtime::create_task(customer(bank, joint, alice, 80, 0ms, "alice", version), "alice"));
  day.push_back(simtime::create_task(customer(bank, joint, bob, 50, 1ms, "bob", version), "bob"));
  day.push_back(simtime::create_task(payer(bank, carol, dave, 10, "carol", version), "carol"));
  day.push_back(simtime::create_task(payer(bank, dave, erin, 10, "dave", version), "dave"));
  day.push_back(simtime::create_task(payer(bank, erin, carol, 10, "erin", version), "erin"));
  co_await simtime::gather(std::move(day));

  std::int64_t total_after = 0;
  for (const Account& account : bank->accounts) total_after += account.balance;
  const std::string journal =
      fmt::format("\n  the joint account's journal:\n    {}", fmt::join(bank->journal, "\n    "));
  if (!bank->overdrafts.empty()) throw std::logic_error(bank->overdrafts.front() + journal);
  if (total_after != total_before) {
    throw std::logic_error(fmt::format("the bank held {} and now holds {}{}", total_before, total_after, journal));
  }
}

}  // namespace bank_transfer
