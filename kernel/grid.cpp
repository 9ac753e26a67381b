// Grid indexing, exact hat values and Kuhn simplex location.
#include "kernel/grid.hpp"

#include <algorithm>
#include <numeric>

namespace mgdl {

int max_level_for_dim(int d) { return std::min(40, 62 / d - 1); }

std::uint64_t node_count(int m, int d) {
  std::uint64_t n = 1, side = (std::uint64_t{1} << m) + 1;
  for (int i = 0; i < d; ++i) n *= side;
  return n;
}

bool valid_node(int m, std::span<const std::int64_t> node, int d) {
  if (d < 1 || m < 0 || m > max_level_for_dim(d) || node.size() != static_cast<std::size_t>(d)) return false;
  const std::int64_t top = std::int64_t{1} << m;
  return std::all_of(node.begin(), node.end(), [&](std::int64_t z) { return z >= 0 && z <= top; });
}

void require_valid_node(int m, std::span<const std::int64_t> node, int d) {
  if (!valid_node(m, node, d))
    throw InternalError("not a node of the level-" + std::to_string(m) + " grid of [0,1]^" + std::to_string(d));
}

std::uint64_t node_key(int m, std::span<const std::int64_t> node) {
  require_valid_node(m, node, static_cast<int>(node.size()));
  std::uint64_t key = 0, side = (std::uint64_t{1} << m) + 1;
  for (std::int64_t j : node) key = key * side + static_cast<std::uint64_t>(j);
  return key;
}

GridPoint node_from_key(int m, int d, std::uint64_t key) {
  GridPoint z(static_cast<std::size_t>(d));
  std::uint64_t side = (std::uint64_t{1} << m) + 1;
  for (int i = d - 1; i >= 0; --i) {
    z[static_cast<std::size_t>(i)] = static_cast<std::int64_t>(key % side);
    key /= side;
  }
  return z;
}

HatValue hat_at(int m, std::span<const std::int64_t> node, std::span<const std::int64_t> p, int L) {
  const int sh = L - m;
  const std::int64_t one = std::int64_t{1} << sh;
  std::int64_t ymax = 0, ymin = 0;
  for (std::size_t i = 0; i < node.size(); ++i) {
    std::int64_t y = p[i] - (node[i] << sh);  // y_i in units of 2^-(L-m)
    ymax = std::max(ymax, y);
    ymin = std::min(ymin, y);
  }
  return {std::max<std::int64_t>(0, one - ymax + ymin), sh};
}

Dyadic hat_dyadic(int m, std::span<const std::int64_t> node, std::span<const std::int64_t> p, int L) {
  HatValue v = hat_at(m, node, p, L);
  return Dyadic(Integer(v.num), -v.shift);
}

template <class S>
S hat_formula(int m, std::span<const std::int64_t> node, std::span<const S> x) {
  S ymax(0), ymin(0);
  S scale(1);
  for (int i = 0; i < m; ++i) scale *= 2;
  for (std::size_t i = 0; i < node.size(); ++i) {
    S y = scale * x[i] - S(node[i]);
    if (ymax < y) ymax = y;
    if (y < ymin) ymin = y;
  }
  S v = S(1) - ymax + ymin;
  return v < S(0) ? S(0) : v;
}
template Rational hat_formula<Rational>(int, std::span<const std::int64_t>, std::span<const Rational>);

SimplexWeights simplex_weights(int m, std::span<const std::int64_t> p, int L) {
  const std::size_t d = p.size();
  const int sh = L - m;
  const std::int64_t one = std::int64_t{1} << sh, top = std::int64_t{1} << m;
  GridPoint c(d);
  std::vector<std::int64_t> frac(d);
  for (std::size_t i = 0; i < d; ++i) {
    c[i] = p[i] >> sh;
    frac[i] = p[i] & (one - 1);
    if (c[i] == top) {  // x_i = 1: use the last cell, at its upper face
      c[i] = top - 1;
      frac[i] = one;
    }
  }
  std::vector<std::size_t> perm(d);
  std::iota(perm.begin(), perm.end(), 0);
  std::stable_sort(perm.begin(), perm.end(), [&](std::size_t a, std::size_t b) { return frac[a] > frac[b]; });
  SimplexWeights out;
  out.shift = sh;
  out.vertex.reserve(d + 1);
  out.weight.reserve(d + 1);
  out.vertex.push_back(c);
  out.weight.push_back(one - (d ? frac[perm[0]] : 0));
  for (std::size_t k = 0; k < d; ++k) {
    GridPoint v = out.vertex.back();
    v[perm[k]] += 1;
    out.vertex.push_back(std::move(v));
    out.weight.push_back(frac[perm[k]] - (k + 1 < d ? frac[perm[k + 1]] : 0));
  }
  return out;
}

std::int64_t patch_gauge_lower(int m, std::span<const std::int64_t> node, std::span<const std::int64_t> q, int s) {
  (void)m;
  std::int64_t pos = 0, neg = 0;
  for (std::size_t i = 0; i < node.size(); ++i) {
    std::int64_t ylo = q[i] - (node[i] << s);  // cell spans [ylo, ylo + 1] in units of 2^-s
    pos = std::max(pos, ylo);
    neg = std::max(neg, -(ylo + 1));
  }
  return pos + neg;
}

void require_accurate_point(const Interval& v, const std::string& where, const Real& width_max) {
  if (hi(v) - lo(v) > width_max)
    throw InputError("the target's enclosure at " + where + " is [" + to_decimal(lo(v), 6) + ", " + to_decimal(hi(v), 6) +
                     "], too wide for the tolerance: it cannot be evaluated accurately enough there");
}

CellPoints cell_points(std::span<const std::int64_t> q, int L) {
  CellPoints c;
  c.box.resize(q.size());
  c.centre_box.resize(q.size());
  c.centre.resize(q.size());
  for (std::size_t i = 0; i < q.size(); ++i) {
    c.box[i] = dyadic_interval(q[i], q[i] + 1, L);
    c.centre[i] = 2 * q[i] + 1;
    c.centre_box[i] = dyadic_interval(c.centre[i], c.centre[i], L + 1);
  }
  return c;
}

std::string describe_cell(std::span<const std::int64_t> q, int L) {
  std::string s;
  for (std::size_t i = 0; i < q.size(); ++i) {
    if (i) s += " x ";
    s += "[" + to_string(Dyadic(Integer(q[i]), -L).to_rational()) + ", " +
         to_string(Dyadic(Integer(q[i] + 1), -L).to_rational()) + "]";
  }
  return s;
}

}  // namespace mgdl
