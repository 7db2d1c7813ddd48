// How simtime's queues store their items: first in first out (Queue), last in first out
// (LifoQueue), smallest first (PriorityQueue). See simtime/sync/queue.hpp.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

namespace simtime::detail {

struct FifoOrder {
  static constexpr const char* kind = "Queue";
  template <class T>
  class Store {
   public:
    void push(T&& item) { items_.push_back(std::move(item)); }
    T pop() {
      T item = std::move(items_.front());
      items_.pop_front();
      return item;
    }
    void clear() noexcept { items_.clear(); }

   private:
    std::deque<T> items_;
  };
};

struct LifoOrder {
  static constexpr const char* kind = "LifoQueue";
  template <class T>
  class Store {
   public:
    void push(T&& item) { items_.push_back(std::move(item)); }
    T pop() {
      T item = std::move(items_.back());
      items_.pop_back();
      return item;
    }
    void clear() noexcept { items_.clear(); }

   private:
    std::vector<T> items_;
  };
};

template <class Compare>
struct PriorityOrder {
  static constexpr const char* kind = "PriorityQueue";
  template <class T>
  class Store {
   public:
    void push(T&& item) {
      heap_.push_back(Entry{std::move(item), next_sequence_++});
      std::push_heap(heap_.begin(), heap_.end(), Later{compare_});
    }
    T pop() {
      std::pop_heap(heap_.begin(), heap_.end(), Later{compare_});
      T item = std::move(heap_.back().item);
      heap_.pop_back();
      return item;
    }
    void clear() noexcept { heap_.clear(); }

   private:
    struct Entry {
      T item;
      std::uint64_t sequence;  // breaks ties: equal items come out in insertion order
    };
    // std::push_heap keeps the "largest" on top: make that the entry to come out first.
    struct Later {
      const Compare& compare;
      bool operator()(const Entry& a, const Entry& b) const {
        if (compare(a.item, b.item)) return false;
        if (compare(b.item, a.item)) return true;
        return a.sequence > b.sequence;
      }
    };
    std::vector<Entry> heap_;
    std::uint64_t next_sequence_ = 0;
    [[no_unique_address]] Compare compare_{};
  };
};

}  // namespace simtime::detail
