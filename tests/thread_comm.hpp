// N ranks in one process, one thread each: allgather through shared slots
// and a barrier (the MPI transport is cluster/mpi_comm.cpp; tests/mpi_test.sh
// runs it).
#pragma once

#include "numbers/comm.hpp"

#include <barrier>
#include <string>
#include <thread>
#include <vector>

namespace mgdl::testing {

class ThreadComm final : public Comm {
 public:
  struct Shared {
    explicit Shared(int n) : slots(static_cast<std::size_t>(n)), bar(n) {}
    std::vector<std::string> slots;
    std::barrier<> bar;
  };
  ThreadComm(Shared& s, int rank) : s_(s), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return static_cast<int>(s_.slots.size()); }
  std::vector<std::string> allgather(const std::string& mine) const override {
    s_.slots[static_cast<std::size_t>(rank_)] = mine;
    s_.bar.arrive_and_wait();
    std::vector<std::string> all = s_.slots;
    s_.bar.arrive_and_wait();
    return all;
  }

 private:
  Shared& s_;
  int rank_;
};

// Runs body(comm) for ranks 0..n-1, each on its own thread with working
// precision `bits` (per thread, as in every rank's main); returns when all
// have finished. body must not throw past a collective the others wait in.
template <class Body>
void run_ranks(int n, unsigned bits, Body body) {
  typename ThreadComm::Shared shared(n);
  std::vector<std::thread> ranks;
  for (int r = 0; r < n; ++r)
    ranks.emplace_back([&, r] {
      set_precision_bits(bits);
      ThreadComm comm(shared, r);
      body(static_cast<const Comm&>(comm));
    });
  for (auto& t : ranks) t.join();
}

}  // namespace mgdl::testing
