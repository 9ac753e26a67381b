// Dyadic grids on [0,1]^d, the Freudenthal (Kuhn) triangulation and the
// Courant hats phi_{m,z} (docs/theory.md, section "Grid, triangulation, hats"),
// with validated ranges: part of the trusted kernel.
// A point of the level-L grid is an integer vector p, standing for x = p / 2^L.
#pragma once

#include "numbers/numbers.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace mgdl {

using GridPoint = std::vector<std::int64_t>;

// Largest level m for which node keys of dimension d fit 63 bits.
int max_level_for_dim(int d);

// A node of the level-m grid of [0,1]^d: 0 <= m <= max_level_for_dim(d),
// node.size() == d and 0 <= z_i <= 2^m. Only such nodes have keys, hats in
// the checker, and norms; anything else (a hint off the grid, a level whose
// keys would overflow) is not a grid node.
bool valid_node(int m, std::span<const std::int64_t> node, int d);
// Throws InternalError unless valid_node(m, node, d).
void require_valid_node(int m, std::span<const std::int64_t> node, int d);

// Hash of an integer key such as [level, q_1, ..., q_d] (FNV-1a over the
// values), for unordered maps keyed by cells or nodes.
struct KeyHash {
  std::size_t operator()(const std::vector<std::int64_t>& v) const {
    std::uint64_t h = 1469598103934665603ull;
    for (auto x : v) h = (h ^ static_cast<std::uint64_t>(x)) * 1099511628211ull;
    return static_cast<std::size_t>(h);
  }
};

// (2^m + 1)^d nodes at level m; key = sum_i j_i (2^m+1)^(d-1-i) (lexicographic).
// Guarantee: distinct valid nodes of one level have distinct keys (the key
// is a base-(2^m+1) numeral below 2^63); an invalid node throws InternalError.
std::uint64_t node_count(int m, int d);
std::uint64_t node_key(int m, std::span<const std::int64_t> node);
GridPoint node_from_key(int m, int d, std::uint64_t key);

// phi_{m,z}(p / 2^L) = value / 2^(L-m) exactly, for L >= m.
struct HatValue {
  std::int64_t num;
  int shift;
};
HatValue hat_at(int m, std::span<const std::int64_t> node, std::span<const std::int64_t> p, int L);
Dyadic hat_dyadic(int m, std::span<const std::int64_t> node, std::span<const std::int64_t> p, int L);

// phi_{m,z}(x) for a general point, evaluated from the defining formula
// s(1 - max(0, y) + min(0, y)), y = 2^m x - z, in the scalar type S.
template <class S>
S hat_formula(int m, std::span<const std::int64_t> node, std::span<const S> x);

// The Kuhn simplex of level m containing p / 2^L (L >= m): its d+1 vertices
// (level-m nodes) and the barycentric weights num_k / 2^(L-m) of the point.
// The nonzero hats of level m at the point are exactly these weights.
struct SimplexWeights {
  std::vector<GridPoint> vertex;
  std::vector<std::int64_t> weight;
  int shift;
};
SimplexWeights simplex_weights(int m, std::span<const std::int64_t> p, int L);

// Calls visit(vertex, hat value as Dyadic) for each level-m node whose hat is
// nonzero at p / 2^L (L >= m): the vertices of the Kuhn simplex holding the point.
template <class Visit>
void for_each_hat_at(int m, std::span<const std::int64_t> p, int L, Visit&& visit) {
  SimplexWeights sw = simplex_weights(m, p, L);
  for (std::size_t k = 0; k < sw.vertex.size(); ++k)
    if (sw.weight[k] != 0) visit(sw.vertex[k], Dyadic(Integer(sw.weight[k]), -sw.shift));
}

// Calls fn(q) for every integer point q with lo <= q <= hi componentwise, in
// lexicographic order (last coordinate fastest).
template <class Fn>
void for_each_point(const GridPoint& lo, const GridPoint& hi, Fn&& fn) {
  GridPoint q = lo;
  for (;;) {
    fn(q);
    int i = static_cast<int>(q.size()) - 1;
    for (; i >= 0; --i) {
      auto k = static_cast<std::size_t>(i);
      if (q[k] < hi[k]) {
        ++q[k];
        break;
      }
      q[k] = lo[k];
    }
    if (i < 0) return;
  }
}

// Lower bound, in units of 2^-s, of max(0,y)-min(0,y) over the level-(m+s)
// cell with lower corner q: the cell misses the open support of phi_{m,z}
// when the result is >= 2^s.
std::int64_t patch_gauge_lower(int m, std::span<const std::int64_t> node, std::span<const std::int64_t> q, int s);

// The level-L cell q + [0,1]^d as a box of intervals, its centre as a point of
// level L + 1, and that centre as thin intervals (for point enclosures).
struct CellPoints {
  std::vector<Interval> box, centre_box;
  GridPoint centre;
};
CellPoints cell_points(std::span<const std::int64_t> q, int L);

// "[a, b] x [c, d]" for the cell q + [0,1]^d at level L, exact rationals.
std::string describe_cell(std::span<const std::int64_t> q, int L);

// Throws InputError when a point enclosure v of the target (at `where`) is
// wider than width_max: the target cannot be evaluated accurately enough for
// the tolerance (refining further would never certify it).
void require_accurate_point(const Interval& v, const std::string& where, const Real& width_max);

}  // namespace mgdl
