// Section 3.1-3.2 facts, checked exactly in dyadic/rational arithmetic:
// hats at nodes, linearity on Kuhn simplices, partition of unity, patch in
// box, the cell-range fact used by the constructor, and the hat block.
#include <catch2/catch.hpp>

#include "constructive/block.hpp"
#include "constructive/approximant.hpp"
#include "kernel/network.hpp"

#include <algorithm>
#include <numeric>
#include <random>

using namespace mgdl;

namespace {
// All integer vectors in [0, n]^d.
std::vector<GridPoint> lattice(int d, std::int64_t n) {
  std::vector<GridPoint> out;
  GridPoint p(static_cast<std::size_t>(d), 0);
  for (;;) {
    out.push_back(p);
    int i = d - 1;
    for (; i >= 0; --i) {
      if (p[static_cast<std::size_t>(i)] < n) {
        ++p[static_cast<std::size_t>(i)];
        break;
      }
      p[static_cast<std::size_t>(i)] = 0;
    }
    if (i < 0) return out;
  }
}
Rational hat_q(int m, const GridPoint& z, const GridPoint& p, int L) {
  HatValue v = hat_at(m, z, p, L);
  return Rational(v.num, Integer(1) << v.shift);
}
std::vector<Rational> to_q(const GridPoint& p, int L) {
  std::vector<Rational> x;
  for (auto v : p) x.emplace_back(v, Integer(1) << L);
  return x;
}
// A random point of the Kuhn simplex (cell c, permutation perm) at level m.
std::vector<Rational> random_in_simplex(const GridPoint& c, const std::vector<std::size_t>& perm, int m, std::mt19937_64& rng,
                                        std::vector<GridPoint>& vertices, std::vector<Rational>& weights) {
  const std::size_t d = c.size();
  std::uniform_int_distribution<int> u(0, 1000);
  std::vector<Rational> w(d + 1);
  Rational total = 0;
  for (auto& x : w) x = u(rng), total += x;
  if (total == 0) w[0] = total = 1;
  for (auto& x : w) x /= total;
  vertices.assign(1, c);
  for (std::size_t k = 0; k < d; ++k) {
    GridPoint v = vertices.back();
    v[perm[k]] += 1;
    vertices.push_back(v);
  }
  std::vector<Rational> x(d, Rational(0));
  for (std::size_t k = 0; k <= d; ++k)
    for (std::size_t i = 0; i < d; ++i) x[i] += w[k] * Rational(vertices[k][i], Integer(1) << m);
  weights = w;
  return x;
}
}  // namespace

TEST_CASE("hats: phi_z(z') = [z = z'], 0 <= phi <= 1, partition of unity", "[hats]") {
  for (int d = 1; d <= 3; ++d) {
    for (int m = 0; m <= 2; ++m) {
      auto nodes = lattice(d, std::int64_t{1} << m);
      for (const auto& z : nodes)
        for (const auto& w : nodes) CHECK(hat_q(m, z, w, m) == (z == w ? 1 : 0));
      const int L = m + 2;
      for (const auto& p : lattice(d, std::int64_t{1} << L)) {
        Rational sum = 0;
        for (const auto& z : nodes) {
          Rational v = hat_q(m, z, p, L);
          CHECK(v >= 0);
          CHECK(v <= 1);
          sum += v;
        }
        CHECK(sum == 1);
      }
    }
  }
}

TEST_CASE("hats are linear on every Kuhn simplex, and simplex_weights gives their values", "[hats]") {
  std::mt19937_64 rng(5);
  for (int d = 1; d <= 3; ++d) {
    const int m = 1;
    auto nodes = lattice(d, 2);
    std::vector<std::size_t> perm(static_cast<std::size_t>(d));
    for (const auto& c : lattice(d, 1)) {
      std::iota(perm.begin(), perm.end(), 0);
      do {
        for (int t = 0; t < 5; ++t) {
          std::vector<GridPoint> verts;
          std::vector<Rational> w;
          auto x = random_in_simplex(c, perm, m, rng, verts, w);
          for (const auto& z : nodes) {
            Rational lin = 0;
            for (std::size_t k = 0; k < verts.size(); ++k) lin += w[k] * hat_q(m, z, verts[k], m);
            CHECK(hat_formula<Rational>(m, z, x) == lin);
          }
        }
      } while (std::next_permutation(perm.begin(), perm.end()));
    }
    // The sparse lookup agrees with the formula at every point of a finer grid.
    const int L = 3;
    for (const auto& p : lattice(d, 8)) {
      SimplexWeights sw = simplex_weights(m, p, L);
      for (const auto& z : nodes) {
        Rational expect = hat_q(m, z, p, L), got = 0;
        for (std::size_t k = 0; k < sw.vertex.size(); ++k)
          if (sw.vertex[k] == z) got += Rational(sw.weight[k], Integer(1) << sw.shift);
        CHECK(got == expect);
      }
    }
  }
}

TEST_CASE("the support of phi_{m,z} lies in z + [-h, h]^d, and skipped cells miss it", "[hats]") {
  for (int d = 1; d <= 3; ++d) {
    const int m = 1, s = 2, L = m + s;
    for (const auto& z : lattice(d, 2)) {
      for (const auto& p : lattice(d, 8)) {
        if (hat_at(m, z, p, L).num == 0) continue;
        for (std::size_t i = 0; i < p.size(); ++i) CHECK(std::abs(p[i] - (z[i] << s)) < (std::int64_t{1} << s));
      }
      // A cell whose gauge bound is >= 1 has phi = 0 on a fine grid inside it.
      for (const auto& q : lattice(d, 7)) {
        if (patch_gauge_lower(m, z, q, s) < (std::int64_t{1} << s)) continue;
        for (const auto& off : lattice(d, 4)) {
          GridPoint p(q.size());
          for (std::size_t i = 0; i < q.size(); ++i) p[i] = 4 * q[i] + off[i];
          CHECK(hat_at(m, z, p, L + 2).num == 0);
        }
      }
    }
  }
}

TEST_CASE("a sum of hats on a cell of a finer level ranges exactly between its corner values", "[hats]") {
  std::mt19937_64 rng(9);
  std::uniform_int_distribution<int> coef(-50, 50);
  for (int d = 1; d <= 3; ++d) {
    Approximant F(d);
    for (int m = 0; m <= 2; ++m)
      for (const auto& z : lattice(d, std::int64_t{1} << m)) F.add(m, z, Dyadic(Integer(coef(rng)), -3));
    const int L = 3;
    std::uniform_int_distribution<int> u(0, 1000);
    for (const auto& q : lattice(d, (1 << L) - 1)) {
      Rational lo_c, hi_c;
      bool first = true;
      for (const auto& off : lattice(d, 1)) {
        GridPoint p(q.size());
        for (std::size_t i = 0; i < q.size(); ++i) p[i] = q[i] + off[i];
        Rational v = F.at(p, L).to_rational();
        CHECK(v == F.at(to_q(p, L)));  // sparse lookup = sum of all hats
        if (first || v < lo_c) lo_c = v;
        if (first || v > hi_c) hi_c = v;
        first = false;
      }
      for (int t = 0; t < 3; ++t) {
        std::vector<Rational> x;
        for (std::size_t i = 0; i < q.size(); ++i) x.push_back((Rational(q[i]) + Rational(u(rng), 1000)) / (1 << L));
        Rational v = F.at(x);
        CHECK(lo_c <= v);
        CHECK(v <= hi_c);
      }
    }
  }
}

TEST_CASE("the hat block realises a * phi_{m,z}: width <= d+4, depth d+1", "[block]") {
  std::mt19937_64 rng(13);
  const Dyadic a(Integer(-37), -5);
  for (int d = 1; d <= 3; ++d) {
    CHECK(hat_block_width(d) <= d + 4);
    const int m = 2;
    for (const auto& z : lattice(d, 4)) {
      Network net;
      net.dim = d;
      net.width = hat_block_width(d);
      net.grades.push_back(hat_block(d, m, z, a, true));
      // A second grade reading H_1 (= [x, phi, 0...]) must realise its hat too.
      GridPoint z2(static_cast<std::size_t>(d), 1);
      net.grades.push_back(hat_block(d, 1, z2, Dyadic(3), false));
      for (const auto& g : net.grades) {
        CHECK(static_cast<int>(g.layers.size()) == d + 1);
        for (const auto& L : g.layers) CHECK(L.out == net.width);
      }
      // Vertices of every Kuhn simplex of level m (all level-m nodes), and
      // random interior points of every cell (the block is affine on each simplex).
      for (const auto& v : lattice(d, 4)) {
        auto x = to_q(v, m);
        auto g = grade_outputs<Rational>(net, x);
        CHECK(g[0] == a.to_rational() * (v == z ? 1 : 0));
        CHECK(g[1] == 3 * hat_formula<Rational>(1, z2, x));
      }
      std::uniform_int_distribution<int> u(0, 997);
      for (int t = 0; t < 20; ++t) {
        std::vector<Rational> x;
        for (int i = 0; i < d; ++i) x.emplace_back(u(rng), 997);
        auto g = grade_outputs<Rational>(net, x);
        CHECK(g[0] == a.to_rational() * hat_formula<Rational>(m, z, x));
        CHECK(g[1] == 3 * hat_formula<Rational>(1, z2, x));
      }
    }
  }
}
