// The trusted kernel, tested in the style of FLINT/Arb: each function's
// stated guarantee (kernel/*.hpp) against an exact or much more precise
// reference on random inputs, at two precisions whose results must overlap,
// and at the extremes (boundary nodes, the deepest level, d = 1..4).
#include <catch2/catch.hpp>

#include "kernel/enclose.hpp"
#include "kernel/grid.hpp"
#include "kernel/network.hpp"
#include "kernel/realise.hpp"
#include "kernel/small_dyadic.hpp"
#include "kernel/rounding.hpp"
#include "kernel/scheme.hpp"

#include <bit>
#include <functional>
#include <random>
#include <set>

using namespace mgdl;

namespace {

Rational exact(const Real& x) {
  Rational q;
  mpfr_get_q(q.backend().data(), x.backend().data());
  return q;
}

// A random real with a random exponent in [-e, e] and full-precision mantissa.
Real random_real(std::mt19937_64& rng, int e = 40) {
  std::uniform_int_distribution<long long> m(-(1LL << 62), 1LL << 62);
  std::uniform_int_distribution<int> ex(-e, e);
  Real x = Real(m(rng)) * Real(m(rng));
  return ldexp(x, ex(rng) - 124);
}

Rational random_rational(std::mt19937_64& rng) {
  std::uniform_int_distribution<long long> n(-1000000007LL, 1000000007LL), d(1, 999999937LL);
  return Rational(n(rng), d(rng));
}

// A random node of the level-m grid, with the boundary values 0 and 2^m
// drawn one time in four each.
GridPoint random_node(int d, int m, std::mt19937_64& rng) {
  const std::int64_t top = std::int64_t{1} << m;
  std::uniform_int_distribution<std::int64_t> u(0, top);
  std::uniform_int_distribution<int> edge(0, 3);
  GridPoint z(static_cast<std::size_t>(d));
  for (auto& v : z) {
    int e = edge(rng);
    v = e == 0 ? 0 : e == 1 ? top : u(rng);
  }
  return z;
}

// An exact rational point of the level-L cell q (q + random offsets in [0, 1]).
std::vector<Rational> point_in(const GridPoint& q, int L, std::mt19937_64& rng) {
  std::uniform_int_distribution<int> u(0, 1 << 20);
  std::vector<Rational> x;
  for (auto v : q) x.push_back((Rational(v) + Rational(u(rng), 1 << 20)) / Rational(Integer(1) << L));
  return x;
}

// The value at x (in the cell q of level L) of the function affine on each
// Kuhn simplex of the cell with the given corner values: barycentric
// interpolation along the sorted fractional parts (the Kuhn simplex holding x).
Rational interpolate(const std::vector<Dyadic>& corners, const GridPoint& q, int L, const std::vector<Rational>& x) {
  const std::size_t d = q.size();
  std::vector<Rational> t(d);
  for (std::size_t i = 0; i < d; ++i) t[i] = x[i] * Rational(Integer(1) << L) - q[i];
  std::vector<std::size_t> order(d);
  for (std::size_t i = 0; i < d; ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return t[a] > t[b]; });
  std::size_t mask = 0;
  Rational v = corners[0].to_rational() * (1 - (d ? t[order[0]] : Rational(0)));
  for (std::size_t k = 0; k < d; ++k) {
    mask |= std::size_t{1} << order[k];
    Rational w = t[order[k]] - (k + 1 < d ? t[order[k + 1]] : Rational(0));
    v += corners[mask].to_rational() * w;
  }
  return v;
}

Interval f_at(const Target& f, const std::vector<Rational>& x) {
  std::vector<Interval> xi;
  for (const auto& v : x) xi.push_back(enclose(v));
  return f.box(xi);
}

bool contains(const Interval& v, const Rational& q) { return cmp(lo(v), q) <= 0 && cmp(hi(v), q) >= 0; }
bool overlap(const Interval& a, const Interval& b) { return !(hi(a) < lo(b) || hi(b) < lo(a)); }

Real nextafter_up(Real x) {
  mpfr_nextabove(x.backend().data());
  return x;
}

struct PrecisionGuard {
  unsigned bits = precision_bits();
  ~PrecisionGuard() { set_precision_bits(bits); }
};

}  // namespace

TEST_CASE("kernel rounding: every directed result brackets the exact one", "[kernel]") {
  PrecisionGuard guard;
  std::mt19937_64 rng(1);
  for (unsigned bits : {24u, 128u}) {
    set_precision_bits(bits);
    for (int t = 0; t < 2000; ++t) {
      Real a = random_real(rng), b = random_real(rng);
      if (t % 7 == 0) b = a;  // exact cancellations
      const Rational A = exact(a), B = exact(b);
      CHECK(exact(add_down(a, b)) <= A + B);
      CHECK(exact(add_up(a, b)) >= A + B);
      CHECK(exact(sub_down(a, b)) <= A - B);
      CHECK(exact(sub_up(a, b)) >= A - B);
      CHECK(exact(mul_down(a, b)) <= A * B);
      CHECK(exact(mul_up(a, b)) >= A * B);
      if (!b.is_zero()) {
        CHECK(exact(div_down(a, b)) <= A / B);
        CHECK(exact(div_up(a, b)) >= A / B);
      }
      const Real s = abs(a);
      const Rational lo2 = exact(sqrt_down(s)), hi2 = exact(sqrt_up(s));
      CHECK(lo2 * lo2 <= exact(s));
      CHECK(hi2 * hi2 >= exact(s));
      const Rational q = random_rational(rng);
      CHECK(exact(down(q)) <= q);
      CHECK(exact(up(q)) >= q);
      CHECK(cmp(a, q) == (A < q ? -1 : A > q ? 1 : 0));
      CHECK(cmp(a, A) == 0);
    }
    // The tightest brackets: down and up of a non-representable rational are neighbours.
    Real l = down(Rational(1, 3)), h = up(Rational(1, 3));
    CHECK(l < h);
    Real next = l;
    mpfr_nextabove(next.backend().data());
    CHECK(next == h);
  }
}

TEST_CASE("kernel rounding: pow_down is a lower bound of |a|^p, tight, and fast for any p", "[kernel]") {
  PrecisionGuard guard;
  std::mt19937_64 rng(2);
  std::uniform_int_distribution<int> num(1, 400), den(1, 400), pint(1, 9);
  for (unsigned bits : {32u, 128u}) {
    set_precision_bits(bits);
    for (int t = 0; t < 300; ++t) {
      Rational a(num(rng) * (t % 2 ? -1 : 1), den(rng));
      // Integer p: compare with the exact rational power.
      const int pi = pint(rng);
      Rational exact_pow = 1;
      for (int i = 0; i < pi; ++i) exact_pow *= bmp::abs(a);
      const Rational got = exact(pow_down(a, Rational(pi)));
      CHECK(got <= exact_pow);
      CHECK(got >= exact_pow * (1 - Rational(1, Integer(1) << (bits - 8))));
      // Rational p: below a 512-bit reference, and close to it; p = k/3 is not
      // representable, so the direction p is rounded in matters.
      const Rational p = t % 2 ? Rational(2 * pi + 1, 2) : Rational(3 * pi + 1, 3);
      const Real r = pow_down(a, p);
      set_precision_bits(512);
      Real absa, pe, ref;
      mpfr_set_q(absa.backend().data(), Rational(bmp::abs(a)).backend().data(), MPFR_RNDN);
      mpfr_set_q(pe.backend().data(), p.backend().data(), MPFR_RNDN);  // 512 bits: far closer than the tolerance below
      mpfr_pow(ref.backend().data(), absa.backend().data(), pe.backend().data(), MPFR_RNDN);
      const Rational R = exact(ref);
      set_precision_bits(bits);
      CHECK(exact(r) <= R * (1 + Rational(1, Integer(1) << 400)));
      INFO("a = " << a << ", p = " << p << ", bits " << bits);
      CHECK(exact(r) >= R * (1 - Rational(1, Integer(1) << (bits - 12))));
    }
  }
  // Huge exponents end at once: underflow to 0 (below 1), huge but finite (above 1).
  CHECK(pow_down(Rational(1, 3), parse_decimal("1e30")) == 0);
  CHECK(pow_down(Rational(1, 3), Rational(30000)) > 0);
  CHECK(pow_down(Rational(3), parse_decimal("1e30")) > 1);
  CHECK_THROWS_AS(pow_down(Rational(1, 2), Rational(1, 2)), InternalError);
}

TEST_CASE("kernel rounding: printed lower and upper bounds are still bounds", "[kernel]") {
  PrecisionGuard guard;
  set_precision_bits(128);
  std::mt19937_64 rng(3);
  for (int t = 0; t < 1000; ++t) {
    Real x = random_real(rng, 60);
    for (int digits : {2, 4, 6, 12}) {
      CHECK(parse_decimal(decimal_down(x, digits)) <= exact(x));
      CHECK(parse_decimal(decimal_up(x, digits)) >= exact(x));
    }
  }
  CHECK(decimal_down(Real(0)) == "0");
  CHECK(decimal_up(infinity()) == "inf");
  CHECK(decimal_up(Real(1)) == "1.00000e+00");
  CHECK(decimal_down(down(Rational(2, 3)), 4) == "6.666e-01");
  CHECK(decimal_up(up(Rational(2, 3)), 4) == "6.667e-01");
}

TEST_CASE("kernel grid: valid nodes have distinct keys up to the deepest level, others are refused", "[kernel]") {
  std::mt19937_64 rng(4);
  for (int d = 1; d <= 4; ++d) {
    const int M = max_level_for_dim(d);
    // The deepest level fits: (2^M + 1)^d < 2^63.
    CHECK(node_count(M, d) < (std::uint64_t{1} << 63));
    for (int m : {0, 1, M / 2, M}) {
      std::set<std::uint64_t> keys;
      std::set<GridPoint> nodes;
      for (int t = 0; t < 400; ++t) {
        GridPoint z = random_node(d, m, rng);
        REQUIRE(valid_node(m, z, d));
        const std::uint64_t k = node_key(m, z);
        CHECK(k < node_count(m, d));
        CHECK(node_from_key(m, d, k) == z);
        if (nodes.insert(z).second) CHECK(keys.insert(k).second);  // a new node has a new key
      }
    }
    GridPoint z(static_cast<std::size_t>(d), 0);
    CHECK_FALSE(valid_node(M + 1, z, d));
    CHECK_FALSE(valid_node(-1, z, d));
    z[0] = -1;
    CHECK_FALSE(valid_node(2, z, d));
    z[0] = 5;
    CHECK_FALSE(valid_node(2, z, d));
    CHECK_THROWS_AS(node_key(2, z), InternalError);
    z[0] = 4;
    CHECK(valid_node(2, z, d));
    CHECK_FALSE(valid_node(2, GridPoint(static_cast<std::size_t>(d) + 1, 0), d));
  }
}

TEST_CASE("kernel grid: exact hat values equal the defining formula, also at the boundary and the deepest level", "[kernel]") {
  std::mt19937_64 rng(5);
  for (int d = 1; d <= 4; ++d) {
    const int M = max_level_for_dim(d);
    for (int m : {0, 3, M}) {
      for (int t = 0; t < 200; ++t) {
        GridPoint z = random_node(d, m, rng);
        const int L = std::min(m + 3, 60);
        // A point of the level-L grid within one cell of z.
        std::uniform_int_distribution<std::int64_t> off(-(std::int64_t{1} << (L - m)), std::int64_t{1} << (L - m));
        GridPoint p(z.size());
        std::vector<Rational> x;
        for (std::size_t i = 0; i < z.size(); ++i) {
          p[i] = std::clamp<std::int64_t>((z[i] << (L - m)) + off(rng), 0, std::int64_t{1} << L);
          x.emplace_back(p[i], Integer(1) << L);
        }
        const Rational formula = hat_formula<Rational>(m, z, std::span<const Rational>(x));
        CHECK(hat_dyadic(m, z, p, L).to_rational() == formula);
        CHECK(formula >= 0);
        CHECK(formula <= 1);
        // The nonzero hats at p are the vertices of its Kuhn simplex, with the weights as values.
        SimplexWeights sw = simplex_weights(m, p, L);
        Rational sum = 0;
        for (std::size_t k = 0; k < sw.vertex.size(); ++k) {
          CHECK(valid_node(m, sw.vertex[k], d));
          CHECK(hat_dyadic(m, sw.vertex[k], p, L).to_rational() == Rational(sw.weight[k], Integer(1) << sw.shift));
          sum += Rational(sw.weight[k], Integer(1) << sw.shift);
        }
        CHECK(sum == 1);
      }
    }
  }
}

TEST_CASE("kernel network: the structure check names the grade and layer as numbers", "[kernel]") {
  Network net;
  net.dim = 2;
  net.width = 3;
  auto layer = [](int out, int in) {
    Layer L;
    L.out = out;
    L.in = in;
    return L;
  };
  Grade g1, g2;
  g1.layers = {layer(3, 2), layer(3, 3)};
  g2.layers = {layer(3, 3), layer(4, 3)};
  net.grades = {g1, g2};
  auto e = structure_check(net);
  REQUIRE(e);
  CHECK(e->grade == 2);
  CHECK(e->layer == 2);
  CHECK(e->what == structure_error(net));
  net.grades[1].layers[1] = layer(2, 3);  // narrower than the width: also a violation
  REQUIRE(structure_check(net));
  CHECK(structure_check(net)->layer == 2);
  net.grades[1].layers[1] = layer(3, 3);
  CHECK_FALSE(structure_check(net));
  net.grades[0].layers[0] = layer(3, 1);  // grade 1 must read x (2 inputs)
  REQUIRE(structure_check(net));
  CHECK(structure_check(net)->grade == 1);
  CHECK(structure_check(net)->layer == 1);
  net.grades[0].layers.clear();
  CHECK(structure_check(net)->layer == 0);
}

TEST_CASE("kernel Fact N: a function affine on the Kuhn simplices of a cell ranges within its corner hull, and its slopes within the gradient hull", "[kernel]") {
  std::mt19937_64 rng(6);
  std::uniform_int_distribution<int> c(-1000, 1000);
  for (int d = 1; d <= 4; ++d)
    for (int t = 0; t < 100; ++t) {
      const int L = 5;
      std::vector<Dyadic> corners(std::size_t{1} << d);
      for (auto& v : corners) v = Dyadic(Integer(c(rng)), -7);
      GridPoint q(static_cast<std::size_t>(d));
      for (auto& v : q) v = std::uniform_int_distribution<std::int64_t>(0, 31)(rng);
      const Interval hull = corner_hull(corners);
      auto grad = cell_gradient_hull(corners, L, d);
      for (int s = 0; s < 20; ++s) {
        auto x = point_in(q, L, rng), y = point_in(q, L, rng);
        const Rational vx = interpolate(corners, q, L, x);
        CHECK(contains(hull, vx));
        // Mean value: H(y) - H(x) = sum_i g_i (y_i - x_i) for some g in the gradient hull (per simplex; here bounded).
        Interval diff(0);
        for (int i = 0; i < d; ++i) diff += grad[static_cast<std::size_t>(i)] * enclose(y[static_cast<std::size_t>(i)] - x[static_cast<std::size_t>(i)]);
        CHECK(contains(diff, interpolate(corners, q, L, y) - vx));
      }
      // The hull is attained: its ends are corner values.
      bool lo_hit = false, hi_hit = false;
      for (const auto& v : corners) {
        lo_hit = lo_hit || v.to_rational() == exact(lo(hull));
        hi_hit = hi_hit || v.to_rational() == exact(hi(hull));
      }
      CHECK(lo_hit);
      CHECK(hi_hit);
    }
}

TEST_CASE("kernel Fact I: the interpolation defect bound holds and is attained by |x|^2 in every dimension", "[kernel]") {
  std::mt19937_64 rng(7);
  for (int d = 1; d <= 4; ++d) {
    for (int m : {0, 2, 5}) {
      // g = |x|^2: H = 2 I. On the cell q the Kuhn simplices share the main
      // diagonal; at its midpoint I g - g = |h (1,...,1)|^2 / 4 = d h^2 / 4,
      // which is exactly the bound (d h^2 / 8) * lambda_max(H) with lambda = 2.
      std::vector<Interval> H(static_cast<std::size_t>(d * d), Interval(0));
      for (int i = 0; i < d; ++i) H[static_cast<std::size_t>(i * d + i)] = Interval(2);
      Real below, above;
      interpolation_defects(H, d, m, below, above);
      const Rational h2(1, Integer(1) << (2 * m));
      CHECK(exact(below) == Rational(d) * h2 / 4);
      CHECK(above == 0);
      // At random points of the cell, I g - g <= below (exact arithmetic).
      GridPoint q(static_cast<std::size_t>(d), 0);
      std::vector<Dyadic> corners(std::size_t{1} << d);
      for (std::size_t k = 0; k < corners.size(); ++k) {
        Rational s = 0;
        for (int i = 0; i < d; ++i)
          if ((k >> i) & 1) s += h2;
        corners[k] = Dyadic::from_rational(s);
      }
      for (int t = 0; t < 50; ++t) {
        auto x = point_in(q, m, rng);
        Rational g = 0;
        for (const auto& v : x) g += v * v;
        const Rational defect = interpolate(corners, q, m, x) - g;
        CHECK(defect >= 0);
        CHECK(defect <= exact(below));
      }
      // Random symmetric interval Hessians: both defects bound a quadratic form with any H in them.
      std::uniform_int_distribution<int> u(-20, 20);
      for (int t = 0; t < 20; ++t) {
        std::vector<Rational> A(static_cast<std::size_t>(d * d));
        for (int i = 0; i < d; ++i)
          for (int j = 0; j <= i; ++j) A[static_cast<std::size_t>(i * d + j)] = A[static_cast<std::size_t>(j * d + i)] = Rational(u(rng), 4);
        std::vector<Interval> HA;
        for (const auto& a : A) HA.push_back(make_interval(lo(enclose(a - Rational(1, 8))), hi(enclose(a + Rational(1, 8)))));
        interpolation_defects(HA, d, m, below, above);
        for (std::size_t k = 0; k < corners.size(); ++k) {
          std::vector<Rational> v(static_cast<std::size_t>(d));
          for (int i = 0; i < d; ++i) v[static_cast<std::size_t>(i)] = ((k >> i) & 1) ? Rational(1, Integer(1) << m) : Rational(0);
          Rational s = 0;
          for (int i = 0; i < d; ++i)
            for (int j = 0; j < d; ++j) s += A[static_cast<std::size_t>(i * d + j)] * v[static_cast<std::size_t>(i)] * v[static_cast<std::size_t>(j)] / 2;
          corners[k] = Dyadic::from_rational(s);
        }
        for (int s = 0; s < 20; ++s) {
          auto x = point_in(q, m, rng);
          Rational g = 0;
          for (int i = 0; i < d; ++i)
            for (int j = 0; j < d; ++j) g += A[static_cast<std::size_t>(i * d + j)] * x[static_cast<std::size_t>(i)] * x[static_cast<std::size_t>(j)] / 2;
          const Rational defect = interpolate(corners, q, m, x) - g;
          CHECK(defect <= exact(below));
          CHECK(-defect <= exact(above));
        }
      }
    }
  }
  // Not C^2 (an infinite entry): no bound.
  Real b, a;
  interpolation_defects({make_interval(Real(0), infinity())}, 1, 3, b, a);
  CHECK(b == infinity());
  CHECK(a == infinity());
  // Fact I applied: the enclosure is [min lo - below, max hi + above].
  Interval e = interpolation_enclosure({make_interval(Real(1), Real(2)), make_interval(Real(-3), Real(0))}, Real(1) / 4, Real(1) / 8);
  CHECK(lo(e) == Real(-13) / 4);
  CHECK(hi(e) == Real(17) / 8);
}

TEST_CASE("kernel enclosures: the residual on a cell contains 512-bit values, at two precisions that overlap", "[kernel]") {
  PrecisionGuard guard;
  auto same = [](const Interval& a, const Interval& b) { return lo(a) == lo(b) && hi(a) == hi(b); };
  std::mt19937_64 rng(8);
  const char* exprs[] = {"sin(2*pi*x1)*exp(-x2)", "abs(x1-1/3)+x2^2", "sqrt(x1+x2)", "1/(1+25*(x1-x2)^2)", "max(x1,x2)*tanh(3*x1)"};
  for (const char* text : exprs) {
    for (int d = 2; d <= 3; ++d) {
      const Target f = target_from_expression(text, d);
      for (int t = 0; t < 60; ++t) {
        const int L = std::uniform_int_distribution<int>(1, 12)(rng);
        GridPoint q(static_cast<std::size_t>(d));
        for (auto& v : q) v = std::uniform_int_distribution<std::int64_t>(0, (std::int64_t{1} << L) - 1)(rng);
        // H: a random function affine on the cell's Kuhn simplices.
        std::vector<Dyadic> corners(std::size_t{1} << d);
        for (auto& v : corners) v = Dyadic(Integer(std::uniform_int_distribution<int>(-999, 999)(rng)), -10);
        std::vector<Rational> cx;
        for (auto v : q) cx.push_back(Rational(2 * v + 1, Integer(2) << L));
        const Dyadic centre = Dyadic::from_rational(interpolate(corners, q, L, cx));
        Interval enc[2];
        int i = 0;
        for (unsigned bits : {64u, 200u}) {
          set_precision_bits(bits);
          TargetCell tc = target_on_cell(f, q, L, true);
          enc[i] = enclose_residual(tc, L, corners, centre, QInterval{Rational(0), Rational(0)});
          // Corner values from a caller (shared between cells) give the same cell data,
          // and every corner is asked for once at the cell's own level.
          std::vector<std::vector<std::int64_t>> asked;
          const TargetCell shared = target_on_cell(f, q, L, true, [&](std::span<const std::int64_t> p, int level) {
            CHECK(level == L);
            asked.emplace_back(p.begin(), p.end());
            return target_at_point(f, p, level);
          });
          if (!asked.empty()) CHECK(target_on_cell_reads_corners(f, true));  // it may read them; then it says so
          if (!asked.empty()) CHECK(asked.size() == corners.size());
          REQUIRE(shared.corner.size() == tc.corner.size());
          for (std::size_t k = 0; k < tc.corner.size(); ++k) CHECK(same(shared.corner[k], tc.corner[k]));
          CHECK(same(enclose_residual(shared, L, corners, centre, QInterval{Rational(0), Rational(0)}), enc[i]));
          Interval plain = enclose_residual(target_on_cell(f, q, L, false), L, corners, centre, QInterval{Rational(0), Rational(0)});
          set_precision_bits(512);
          for (int s = 0; s < 10; ++s) {
            auto x = point_in(q, L, rng);
            Interval r = f_at(f, x) - enclose(interpolate(corners, q, L, x));
            CHECK(overlap(r, enc[i]));
            CHECK(overlap(r, plain));
            CHECK(lo(enc[i]) <= lo(r));
            CHECK(hi(r) <= hi(enc[i]));
          }
          ++i;
        }
        CHECK(overlap(enc[0], enc[1]));
      }
    }
  }
  // Disjoint enclosures of one quantity are a defect, never a verdict.
  CHECK_THROWS_AS(intersect_enclosures(make_interval(Real(0), Real(1)), make_interval(Real(2), Real(3))), InternalError);
  Interval undefined;
  mpfr_set_nan(&undefined.backend().data()->left);
  mpfr_set_nan(&undefined.backend().data()->right);
  CHECK_THROWS_AS(require_enclosure(undefined, "test"), InternalError);
  CHECK_NOTHROW(require_enclosure(make_interval(Real(-1), Real(2)), "test"));
}

TEST_CASE("kernel Fact Z: zero faces are exactly where f vanishes, and the anchored form contains 512-bit values", "[kernel]") {
  PrecisionGuard guard;
  set_precision_bits(128);
  std::mt19937_64 rng(31);
  // Each target with its true zero faces: face (i, c) is zero when coordinate i is fixed at c.
  struct Case {
    const char* text;
    std::function<bool(int i, const Rational& c)> zero;
  };
  const Case cases[] = {
      {"sin(pi*x1)*sin(pi*x2)", [](int, const Rational& c) { return c == 0 || c == 1; }},
      {"x1*(1-x1)*exp(x2)", [](int i, const Rational& c) { return i == 0 && (c == 0 || c == 1); }},
      {"sin(pi*x1)*sin(pi*x2)+1/2^200", [](int, const Rational&) { return false; }},  // within 2^-200 of 0: not 0
      {"sin(3*x1)*x2", [](int, const Rational& c) { return c == 0; }},
      {"cos(pi*x1/2)*sin(2*pi*x2)", [](int i, const Rational& c) { return i == 0 ? c == 1 : (c == 0 || c == Rational(1, 2) || c == 1); }},
      {"x2-x1", [](int, const Rational&) { return false; }},  // zero on a diagonal, never on a face
  };
  for (const auto& cs : cases) {
    const Target f = target_from_expression(cs.text, 2);
    int anchored_used = 0;
    for (int t = 0; t < 200; ++t) {
      const int L = std::uniform_int_distribution<int>(1, 30)(rng);
      const std::int64_t top = std::int64_t{1} << L;
      GridPoint q(2);
      for (auto& v : q) {
        const int e = std::uniform_int_distribution<int>(0, 3)(rng);
        v = e == 0 ? 0 : e == 1 ? top - 1 : e == 2 ? top / 2 - (L > 1 ? std::uniform_int_distribution<int>(0, 1)(rng) : 0)
                                                   : std::uniform_int_distribution<std::int64_t>(0, top - 1)(rng);
      }
      std::uint32_t truth = 0;
      for (int i = 0; i < 2; ++i)
        for (int side = 0; side < 2; ++side)
          if (cs.zero(i, Rational(q[static_cast<std::size_t>(i)] + side, top))) truth |= 1u << (2 * i + side);
      INFO(cs.text << " L=" << L << " q=(" << q[0] << "," << q[1] << ")");
      REQUIRE(zero_faces(f, q, L) == truth);
      const TargetCell tc = target_on_cell(f, q, L, true);
      CHECK((tc.zero_faces & ~truth) == 0);
      if (!truth) continue;
      // H: random on the corners off the zero faces, 0 on them (so r = f - H is 0 there).
      std::vector<Dyadic> corners(4);
      for (std::size_t k = 0; k < 4; ++k) {
        bool on_zero = false;
        for (int i = 0; i < 2; ++i) on_zero = on_zero || (truth >> (2 * i + static_cast<int>((k >> i) & 1)) & 1);
        const Real ex = ldexp(Real(1), -L);
        corners[k] = on_zero ? Dyadic() : Dyadic::toward_zero(ex * Real(std::uniform_int_distribution<int>(-400, 400)(rng)) / 100, 64);
      }
      CHECK(zero_corner_faces(corners, 2) == (zero_corner_faces(corners, 2) | truth));
      std::vector<Rational> cx;
      for (auto v : q) cx.push_back(Rational(2 * v + 1, Integer(2) << L));
      const Dyadic centre = Dyadic::from_rational(interpolate(corners, q, L, cx));
      const Interval enc = enclose_residual(tc, L, corners, centre, QInterval{Rational(0), Rational(0)});
      TargetCell plain = tc;
      plain.zero_faces = 0;
      const Interval without = enclose_residual(plain, L, corners, centre, QInterval{Rational(0), Rational(0)});
      if (lo(enc) != lo(without) || hi(enc) != hi(without)) ++anchored_used;
      set_precision_bits(512);
      for (int s = 0; s < 12; ++s) {
        auto x = point_in(q, L, rng);
        if (s < 4) {  // a point within 2^-40 of the cell's size from a zero face
          const int j = std::countr_zero(truth);
          const Rational h(1, top);
          x[static_cast<std::size_t>(j / 2)] = Rational(q[static_cast<std::size_t>(j / 2)], top) + (j % 2 ? h * (1 - Rational(1, Integer(1) << 40)) : h / (Integer(1) << 40));
        }
        const Interval r = f_at(f, x) - enclose(interpolate(corners, q, L, x));
        CHECK(lo(enc) <= lo(r));
        CHECK(hi(r) <= hi(enc));
      }
      set_precision_bits(128);
    }
    if (std::string(cs.text).find("1/2^200") == std::string::npos && std::string(cs.text) != "x2-x1") CHECK(anchored_used > 0);
  }
  // The anchored form decides the sign where no other form can: sin(pi x1) sin(pi x2)
  // with H = 0 on cells along x1 = 1 away from the corners is >= 0, certified
  // (at x1 = 0 the natural enclosure already has lower end 0).
  const Target f = target_from_expression("sin(pi*x1)*sin(pi*x2)", 2);
  for (int L : {4, 10, 20}) {
    const GridPoint q{(std::int64_t{1} << L) - 1, std::int64_t{1} << (L - 1)};
    TargetCell tc = target_on_cell(f, q, L, true);
    REQUIRE(tc.zero_faces == 2u);
    const std::vector<Dyadic> zero(4);
    CHECK(lo(enclose_residual(tc, L, zero, Dyadic(), QInterval{Rational(0), Rational(0)})) >= 0);
    tc.zero_faces = 0;
    CHECK(lo(enclose_residual(tc, L, zero, Dyadic(), QInterval{Rational(0), Rational(0)})) < 0);
  }
  // Upper faces: the anchored interval lies on the side of -(x_i - c).
  CHECK(hi(anchored_enclosure(Interval(1), Interval(0), 3, 1)) <= 0);
  CHECK(lo(anchored_enclosure(Interval(1), Interval(0), 3, 0)) >= 0);
}

TEST_CASE("kernel small dyadics: every operation is exact or throws Inexact, never rounds or wraps", "[kernel]") {
  using detail::Inexact;
  using detail::SmallDyadic;
  auto to_q = [](const SmallDyadic& v) {
    const Integer mant = Integer(static_cast<long long>(v.m >> 64)) * (Integer(1) << 64) +
                         Integer(static_cast<unsigned long long>(static_cast<unsigned __int128>(v.m) & ~0ull));
    return v.e >= 0 ? Rational(mant * (Integer(1) << v.e)) : Rational(mant, Integer(1) << static_cast<unsigned>(-v.e));
  };
  auto normal = [](const SmallDyadic& v) { return v.m == 0 ? v.e == 0 : (v.m & 1) != 0; };
  std::mt19937_64 rng(125);
  auto draw = [&] {
    const int bits = std::uniform_int_distribution<int>(0, 124)(rng);
    unsigned __int128 u = (static_cast<unsigned __int128>(rng()) << 64) | rng();
    __int128 m = bits == 0 ? 0 : static_cast<__int128>(u >> (128 - bits));
    if (rng() % 2) m = -m;
    return SmallDyadic(m, std::uniform_int_distribution<long>(-130, 130)(rng));
  };
  std::size_t exact = 0, inexact = 0;
  for (int t = 0; t < 20000; ++t) {
    const SmallDyadic a = draw(), b = draw();
    REQUIRE(normal(a));
    const Rational qa = to_q(a), qb = to_q(b);
    try {
      const SmallDyadic s = a + b;
      CHECK(to_q(s) == qa + qb);
      CHECK(normal(s));
      ++exact;
    } catch (const Inexact&) {
      ++inexact;
    }
    try {
      const SmallDyadic p = a * b;
      CHECK(to_q(p) == qa * qb);
      CHECK(normal(p));
      ++exact;
    } catch (const Inexact&) {
      ++inexact;
    }
    CHECK(to_q(-a) == -qa);
    CHECK((a == b) == (qa == qb));
    try {
      const bool gt = a > b, lt = a < b;  // outside CHECK, which would catch Inexact itself
      CHECK(gt == (qa > qb));
      CHECK(lt == (qa < qb));
    } catch (const Inexact&) {
      ++inexact;
    }
    CHECK((a >= 0) == (qa >= 0));
    CHECK((a <= 0) == (qa <= 0));
  }
  CHECK(exact > 10000);
  CHECK(inexact > 1000);
  // At the edges: sums near 2^125 stay exact; a shift by 121 bits and a
  // product past 2^125 throw.
  const SmallDyadic big((static_cast<__int128>(1) << 124) + 1, 0);
  CHECK(to_q(big + big) == 2 * to_q(big));
  CHECK(to_q(big + SmallDyadic(3, 0)) == to_q(big) + 3);
  CHECK_THROWS_AS(big + SmallDyadic(1, 124), Inexact);  // aligning 2^124 to exponent 0 shifts by 124 bits
  CHECK_THROWS_AS(SmallDyadic(1, 0) + SmallDyadic(1, -121), Inexact);
  CHECK_THROWS_AS(big * SmallDyadic(3, 0), Inexact);
  CHECK(to_q(SmallDyadic(1, 0) + SmallDyadic(1, -120)) == 1 + Rational(1, Integer(1) << 120));
}

TEST_CASE("kernel hat norms: sum over nodes of ||phi||_p^p equals (d+1) p! d! / (p+d)! for d = 1..4", "[kernel]") {
  for (int d = 1; d <= 4; ++d)
    for (int m = 0; m <= (d <= 2 ? 3 : 1); ++m)
      for (int p = 1; p <= 3; ++p) {
        Rational sum = 0;
        for (std::uint64_t k = 0; k < node_count(m, d); ++k) sum += hat_norm_pp(d, m, node_from_key(m, d, k), Rational(p));
        Integer num = d + 1, den = 1;
        for (int i = 2; i <= p; ++i) num *= i;
        for (int i = 2; i <= d; ++i) num *= i;
        for (int i = 2; i <= p + d; ++i) den *= i;
        CHECK(sum == Rational(num, den));
      }
  // A rational p: the interior node in 1-D has ||phi||_p^p = 2h / (p + 1).
  CHECK(hat_norm_pp(1, 4, GridPoint{7}, Rational(3, 2)) == Rational(2, 16) / Rational(5, 2));
  CHECK(hat_norm_pp(1, 4, GridPoint{16}, Rational(3, 2)) == Rational(1, 16) / Rational(5, 2));
  CHECK_THROWS_AS(hat_norm_pp(1, 4, GridPoint{17}, Rational(1)), InternalError);
}

TEST_CASE("kernel realise: a hat proof needs a valid node, and interval propagation contains exact values", "[kernel]") {
  // prove_hat on an honest block whose hint is off the grid or too deep: refused.
  Grade g;
  {
    // relu(1 - |2x - 1|) as a 3-wide block by hand: x, a+ = relu(2x - 1), a- = relu(1 - 2x); then phi = relu(1 - a+ - a-).
    Layer L1, L2;
    L1.out = L2.out = 3;
    L1.in = 1;
    L2.in = 3;
    L1.W = {{0, 0, Rational(1)}, {1, 0, Rational(2)}, {2, 0, Rational(-2)}};
    L1.b = {{1, Rational(-1)}, {2, Rational(1)}};
    L2.W = {{0, 0, Rational(1)}, {1, 1, Rational(-1)}, {1, 2, Rational(-1)}};
    L2.b = {{1, Rational(1)}};
    g.layers = {L1, L2};
    g.readout.c = {{1, Rational(3, 4)}};
  }
  const Carriers in = input_carriers(1);
  HatProof ok = prove_hat(g, in, 1, 1, GridPoint{1});
  REQUIRE(ok.ok);
  CHECK(ok.a == Rational(3, 4));
  CHECK_FALSE(prove_hat(g, in, 1, 1, GridPoint{3}).ok);
  CHECK_FALSE(prove_hat(g, in, 1, 41, GridPoint{1}).ok);
  CHECK_FALSE(prove_hat(g, in, 1, 0, GridPoint{1}).ok);  // a valid node, but the weights are another hat
  // An honest block of phi_{41,1} in 1-D: the function is a hat, but level 41
  // is past the deepest level (40), so no proof (in either arithmetic).
  {
    Grade deep = g;
    deep.layers[0].W = {{0, 0, Rational(1)}, {1, 0, Rational(Integer(1) << 41)}, {2, 0, Rational(-(Integer(1) << 41))}};
    deep.layers[0].b = {{1, Rational(-1)}, {2, Rational(1)}};
    Grade shallow = deep;  // the same block at level 40 is proved
    shallow.layers[0].W = {{0, 0, Rational(1)}, {1, 0, Rational(Integer(1) << 40)}, {2, 0, Rational(-(Integer(1) << 40))}};
    CHECK(prove_hat(shallow, in, 1, 40, GridPoint{1}).ok);
    CHECK_FALSE(prove_hat(deep, in, 1, 41, GridPoint{1}).ok);
    CHECK_FALSE(prove_hat_rational(deep, in, 1, 41, GridPoint{1}).ok);
  }
  std::mt19937_64 rng(9);
  for (int t = 0; t < 200; ++t) {
    std::vector<Rational> x{Rational(std::uniform_int_distribution<int>(0, 999)(rng), 999)};
    const Rational v = grade_value(g, in, x);
    CHECK(v == Rational(3, 4) * hat_formula<Rational>(1, GridPoint{1}, std::span<const Rational>(x)));
    QInterval box{x[0] - Rational(1, 100), x[0] + Rational(1, 100)};
    if (box.lo < 0) box.lo = 0;
    QInterval r = grade_range(g, in, std::vector<QInterval>{box});
    CHECK(r.lo <= v);
    CHECK(v <= r.hi);
  }
}

TEST_CASE("kernel norms: |r| bounds are attained, and directed L1/L2 sums bracket the exact sums at 24 bits", "[kernel]") {
  PrecisionGuard guard;
  std::mt19937_64 rng(10);
  std::uniform_int_distribution<int> u(-1000, 1000);
  for (int t = 0; t < 500; ++t) {
    Rational a(u(rng), 7), b(u(rng), 3);
    if (a > b) std::swap(a, b);
    const AbsBound ab = abs_bound(make_interval(nearest(a), nearest(b)));
    const Rational l = exact(nearest(a)), h = exact(nearest(b));
    const Rational want_lo = l > 0 ? l : (h < 0 ? Rational(-h) : Rational(0)), want_hi = bmp::abs(l) > bmp::abs(h) ? Rational(bmp::abs(l)) : Rational(bmp::abs(h));
    CHECK(exact(ab.lo) == want_lo);
    CHECK(exact(ab.hi) == want_hi);
  }
  set_precision_bits(24);  // few bits: every sum rounds
  struct C {
    int L;
    AbsBound a;
  };
  for (int d = 1; d <= 3; ++d)
    for (int t = 0; t < 50; ++t) {
      std::vector<C> cells;
      Rational e1l = 0, e1h = 0, e2l = 0, e2h = 0;
      for (int k = 0; k < 200; ++k) {
        const int L = std::uniform_int_distribution<int>(0, 12)(rng);
        Real x = abs(random_real(rng, 10)), y = abs(random_real(rng, 10));
        if (x > y) std::swap(x, y);
        cells.push_back({L, AbsBound{x, y}});
        const Rational vol(1, Integer(1) << (L * d));
        e1l += vol * exact(x), e1h += vol * exact(y), e2l += vol * exact(x) * exact(x), e2h += vol * exact(y) * exact(y);
      }
      NormBounds n = norm_bounds(cells, d, [](const C& c) { return c.L; }, [](const C& c) -> const AbsBound& { return c.a; });
      CHECK(exact(n.l1_lo) <= e1l);
      CHECK(exact(n.l1_hi) >= e1h);
      CHECK(exact(n.l2_lo) * exact(n.l2_lo) <= e2l);
      CHECK(exact(n.l2_hi) * exact(n.l2_hi) >= e2h);
      CHECK(exact(n.l1_lo) >= e1l * (1 - Rational(1, 1 << 12)));  // and tight
      CHECK(exact(n.l1_hi) <= e1h * (1 + Rational(1, 1 << 12)));
      // The sums of the parts (as the checker's slabs), added with directed
      // rounding, still enclose the sums of the whole.
      const std::size_t cut = std::uniform_int_distribution<std::size_t>(0, cells.size())(rng);
      auto lev = [](const C& c) { return c.L; };
      auto bnd = [](const C& c) -> const AbsBound& { return c.a; };
      const NormSums a = norm_sums(std::span<const C>(cells.data(), cut), d, lev, bnd);
      const NormSums b = norm_sums(std::span<const C>(cells.data() + cut, cells.size() - cut), d, lev, bnd);
      CHECK(exact(add_down(a.s1_lo, b.s1_lo)) <= e1l);
      CHECK(exact(add_up(a.s1_hi, b.s1_hi)) >= e1h);
      CHECK(exact(add_down(a.s2_lo, b.s2_lo)) <= e2l);
      CHECK(exact(add_up(a.s2_hi, b.s2_hi)) >= e2h);
    }
  // Sums that are exact, with square roots that are not: ||r||_2^2 = 1/2 for
  // |r| = 1 on [0, 1/2] and 0 on [1/2, 1]; the square roots must round outward.
  const std::vector<C> half{{1, AbsBound{Real(1), Real(1)}}, {1, AbsBound{Real(0), Real(0)}}};
  const NormBounds h = norm_bounds(half, 1, [](const C& c) { return c.L; }, [](const C& c) -> const AbsBound& { return c.a; });
  CHECK(exact(h.l2_lo) * exact(h.l2_lo) < Rational(1, 2));
  CHECK(exact(h.l2_hi) * exact(h.l2_hi) > Rational(1, 2));
}

TEST_CASE("kernel self-checks: each fires exactly on a contradiction", "[kernel]") {
  PrecisionGuard guard;
  set_precision_bits(128);
  const Real z(0), q = Real(1) / 4, h = Real(1) / 2, one(1);
  auto iv = [](const Real& a, const Real& b) { return make_interval(a, b); };
  CHECK_NOTHROW(require_point_in_cell(iv(q, q), iv(z, h), "r"));
  CHECK_NOTHROW(require_point_in_cell(iv(h, one), iv(z, h), "r"));  // touching is meeting
  CHECK_THROWS_AS(require_point_in_cell(iv(one, one), iv(z, h), "r"), InternalError);
  CHECK_THROWS_AS(require_point_in_cell(iv(Real(-1), Real(-1) / 2), iv(z, h), "r"), InternalError);
  CHECK_NOTHROW(require_point_in_cell(iv(one, infinity()), iv(z, h), "r"));  // nothing to check without finite ends
  // Norms on the unit cube: ||r||_1 <= ||r||_2 <= ||r||_inf.
  CHECK_NOTHROW(require_consistent_norms(q, h, z, q, q, h, "r"));
  CHECK_NOTHROW(require_consistent_norms(h, h, h, h, h, h, "r"));  // a constant |r| = 1/2
  CHECK_THROWS_AS(require_consistent_norms(h, q, z, q, z, q, "r"), InternalError);    // inf: lower above upper
  CHECK_THROWS_AS(require_consistent_norms(Real(-1), h, z, q, z, q, "r"), InternalError);  // negative
  CHECK_THROWS_AS(require_consistent_norms(z, q, h, one, z, q, "r"), InternalError);  // ||r||_1 >= 1/2 > ||r||_2, ||r||_inf
  CHECK_THROWS_AS(require_consistent_norms(z, q, z, q, h, one, "r"), InternalError);  // ||r||_2 >= 1/2 > ||r||_inf
  CHECK_THROWS_AS(require_consistent_norms(z, one, h, one, z, q, "r"), InternalError);  // ||r||_1 >= 1/2 > ||r||_2
  // C4 against the norms: from ||r_j|| <= 1/2 to ||r_k|| >= 1/4 at most 1/4 (p = 1), 3/16 (p = 2).
  CHECK_NOTHROW(require_decrease_fits(q, h, q, 1, "g"));
  CHECK_THROWS_AS(require_decrease_fits(nextafter_up(q), h, q, 1, "g"), InternalError);
  CHECK_NOTHROW(require_decrease_fits(Real(3) / 16, h, q, 2, "g"));
  CHECK_THROWS_AS(require_decrease_fits(Real(1) / 4, h, q, 2, "g"), InternalError);
}
