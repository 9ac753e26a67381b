// Sparse representation of an approximant F = sum_{m,z} c_{m,z} phi_{m,z}:
// per level m, a hash map from node to coefficient. Evaluating F at a point
// touches only the d+1 hats per level that are nonzero there, so the cost is
// O(levels * d) and never depends on the number of grades.
#pragma once

#include "kernel/enclose.hpp"
#include "kernel/grid.hpp"

#include <unordered_map>

namespace mgdl {

class Approximant {
 public:
  explicit Approximant(int dim) : dim_(dim) {}

  int dim() const { return dim_; }
  // Adds a * phi_{m,z}.
  void add(int m, std::span<const std::int64_t> node, const Dyadic& a);
  // Exact F(p / 2^L) for any L >= 0.
  Dyadic at(std::span<const std::int64_t> p, int L) const;
  // Exact F at a rational point of [0,1]^d (for tests and cross-checks).
  Rational at(std::span<const Rational> x) const;
  // Coefficient sum stored for (m, z) (zero when absent).
  Dyadic coefficient(int m, std::span<const std::int64_t> node) const;
  int finest_level() const { return static_cast<int>(by_level_.size()) - 1; }

 private:
  int dim_;
  std::vector<std::unordered_map<std::uint64_t, Dyadic>> by_level_;
};

// F on all nodes of a level m >= F.finest_level(). F is affine on every
// level-m Kuhn simplex (Fact N), so F at a point of a finer grid is the
// barycentric interpolation of these values: O(d) work instead of O(levels d).
class NodalValues {
 public:
  NodalValues(const Approximant& F, int m);
  // From any exact evaluator F_at(p, L) of a sum of hats of levels <= m.
  template <class FAt>
  NodalValues(int m, int d, FAt&& F_at) : m_(m) {
    const std::uint64_t n = node_count(m, d);
    v_.resize(n);
    for (std::uint64_t key = 0; key < n; ++key) v_[key] = F_at(node_from_key(m, d, key), m);
  }
  int level() const { return m_; }
  Dyadic at(std::span<const std::int64_t> p, int L) const;  // exact, L >= level()

 private:
  int m_;
  std::vector<Dyadic> v_;
};

}  // namespace mgdl
