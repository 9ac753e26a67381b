// Exact forward pass in machine integers. When every hidden weight and bias
// is an integer and every readout weight a dyadic rational, a forward pass at
// a dyadic point x = p / 2^L is exact in integers: every hidden neuron holds
// an integer multiple of 2^-L. Values are kept as __int128 numerators with
// checked arithmetic; the readouts are summed exactly as dyadics (only the
// grades whose last layer is nonzero at x contribute).
//
// Overflow bound (hat blocks, docs/theory.md section 4): with level m and
// x in [0,1], |y_i| <= 2^m, every running maximum is <= 2^m, u_i, v_i <= 2^(m+1),
// and phi <= 1; so every numerator is at most 2^(m+L+2) and every product of
// a weight (|w| <= 2^m) and an input numerator (<= 2^L) at most 2^(m+L). With
// m <= 40 and L <= 62 all stay below 2^105 < 2^127. For other networks the
// checked arithmetic throws std::overflow_error instead of returning a wrong value.
#pragma once

#include "kernel/network.hpp"

#include <optional>

namespace mgdl {

class FastNetwork {
 public:
  // Empty (with the reason) when a weight or bias is not an integer fitting
  // 62 bits, or a readout weight is not dyadic.
  static std::optional<FastNetwork> compile(const Network& net, std::string* why_not = nullptr);

  // Exact F_k(p / 2^L) for k = upto grades (all by default). Throws
  // std::overflow_error if a numerator would leave 127 bits.
  Dyadic eval(std::span<const std::int64_t> p, int L, std::size_t upto = SIZE_MAX) const;
  std::size_t grades() const { return grades_.size(); }

 private:
  struct Entry {
    int row, col;
    std::int64_t w;
  };
  struct FLayer {
    int out;
    std::vector<Entry> W;
    std::vector<std::pair<int, std::int64_t>> b;
  };
  struct FGrade {
    std::vector<FLayer> layers;
    std::vector<std::pair<int, Dyadic>> c;
    Dyadic c0;
  };
  int dim_ = 0, width_ = 0;
  std::vector<FGrade> grades_;
};

}  // namespace mgdl
