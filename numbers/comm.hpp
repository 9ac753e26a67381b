// The one collective the distributed checker needs: every rank contributes a
// byte string and every rank receives all of them in rank order. Everything
// else (maxima, sums, prefix counts, merged witnesses) is computed from that,
// the same way on every rank, so results never depend on message timing.
// No MPI header here: cluster/mpi_comm.cpp implements Comm with MPI, and the
// tests implement it with threads. A null Comm* means one process.
#pragma once

#include "numbers/numbers.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mgdl {

class Comm {
 public:
  virtual ~Comm() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // All ranks call it in the same order; returns the contributions of ranks
  // 0..size-1. Throws std::runtime_error when the transport fails.
  virtual std::vector<std::string> allgather(const std::string& mine) const = 0;
};

inline int comm_rank(const Comm* c) { return c ? c->rank() : 0; }
// n items dealt to `ranks` ranks in equal contiguous runs: rank r's run is
// [run_begin(n, r, ranks), run_begin(n, r + 1, ranks)).
inline std::uint64_t run_begin(std::uint64_t n, int r, int ranks) {
  return n * static_cast<std::uint64_t>(r) / static_cast<std::uint64_t>(ranks);
}
inline int comm_size(const Comm* c) { return c ? c->size() : 1; }
// allgather for a null Comm: one contribution, this process's.
inline std::vector<std::string> allgather(const Comm* c, const std::string& mine) {
  return c ? c->allgather(mine) : std::vector<std::string>{mine};
}

// Exact binary encoding of the values the checker exchanges. Reals keep
// their precision and every bit (NaN, infinities and signed zeros included).
class ByteWriter {
 public:
  void u64(std::uint64_t v);
  void i64(std::int64_t v);
  void str(std::string_view s);
  void real(const Real& x);
  void rational(const Rational& q);
  void dyadic(const Dyadic& x);
  const std::string& bytes() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void mpz(mpz_srcptr z);
  std::string out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}
  std::uint64_t u64();
  std::int64_t i64();
  std::string str();
  Real real();
  Rational rational();
  Dyadic dyadic();
  bool done() const { return pos_ == in_.size(); }
  std::size_t left() const { return in_.size() - pos_; }  // bytes not read yet

 private:
  void mpz(mpz_ptr z);
  std::string_view in_;
  std::size_t pos_ = 0;
};

// Sum over ranks of one count per rank, and the sum over ranks before this one.
struct CountScan {
  std::uint64_t total = 0, before = 0;
};
CountScan count_scan(const Comm* c, std::uint64_t mine);
// The largest of the ranks' values and the first rank holding it.
struct MaxAt {
  Real value;
  int rank = 0;
};
MaxAt max_at(const Comm* c, const Real& mine);
// Logical or over ranks.
bool any_rank(const Comm* c, bool mine);

}  // namespace mgdl
