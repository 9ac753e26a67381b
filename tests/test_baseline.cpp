// The P1 baseline (theorems/baseline.hpp): the interpolant at points, exact
// levels for targets whose interpolation error is known in closed form, and
// refutations that hold.
#include "theorems/baseline.hpp"

#include "targets/catalogue.hpp"

#include <catch2/catch.hpp>

using namespace mgdl;

namespace {
bool contains(const Interval& v, const Rational& q) {
  const Interval e = enclose(q);
  return lo(v) <= lo(e) && hi(e) <= hi(v);
}
}  // namespace

TEST_CASE("P1 interpolant: f at the nodes, exact for affine f, the Kuhn barycentric value for x1 x2", "[baseline]") {
  set_precision_bits(128);
  const Target aff = target_from_expression("1+2*x1-x2/4", 2);
  const Target prod = target_from_expression("x1*x2", 2);
  // A node of level 2 read at level 5: f itself.
  const std::int64_t node[] = {8, 24};  // (1/4, 3/4)
  CHECK(contains(p1_interpolant_at(prod, 2, node, 5), Rational(3, 16)));
  // Affine f: I f = f at any point.
  const std::int64_t p[] = {11, 29};  // (11/32, 29/32)
  CHECK(contains(p1_interpolant_at(aff, 2, p, 5), Rational(1) + Rational(22, 32) - Rational(29, 128)));
  // x1 x2 on the level-0 cell: y = (3/4, 1/4), y1 >= y2, simplex (0,0), (1,0), (1,1):
  // weights 1/4, 1/2, 1/4, values 0, 0, 1: I f = 1/4 (while f = 3/16).
  const std::int64_t q[] = {3, 1};
  CHECK(contains(p1_interpolant_at(prod, 0, q, 2), Rational(1, 4)));
  // The other simplex: y = (1/4, 3/4): vertices (0,0), (0,1), (1,1), the same value by symmetry.
  const std::int64_t r[] = {1, 3};
  CHECK(contains(p1_interpolant_at(prod, 0, r, 2), Rational(1, 4)));
  CHECK_THROWS_AS(p1_interpolant_at(prod, 3, q, 2), InputError);
}

TEST_CASE("P1 baseline: x^2 needs h^2/4 <= eps, so level 4 at 1e-3 and level 3 refuted", "[baseline]") {
  set_precision_bits(128);
  const Target f = target_from_expression("x^2", 1);
  const Baseline b = p1_baseline(f, Rational(1, 1000));
  REQUIRE(b.found);
  CHECK(b.level == 4);
  CHECK(b.nodes == 17);
  CHECK(b.exact());
  // The certified bound is at least the true error 2^-10 and at most eps.
  const BaselineLevel& l = b.levels.back();
  CHECK(l.bound >= Real(1) / 1024);
  CHECK(l.bound <= Real(1) / 1000);
  // The refutation at level 3 holds: |x^2 - I_3 x^2| > 1e-3 at that point (exact).
  const BaselineLevel& l3 = b.levels.at(3);
  REQUIRE(l3.refuted_at);
  const Rational x = l3.refuted_at->at(0);
  const Rational h(1, 8);
  const Integer j = bmp::numerator(x * 8) / bmp::denominator(x * 8);  // the cell [j h, (j + 1) h]
  const Rational a = Rational(j) * h, c = a + h;
  const Rational err = (c * c - a * a) / h * (x - a) + a * a - x * x;  // I f - f >= 0
  CHECK(err > Rational(1, 1000));
}

TEST_CASE("P1 baseline: affine targets at level 0, results independent of the thread count", "[baseline]") {
  set_precision_bits(128);
  const Baseline a = p1_baseline(target_from_expression("1+2*x1-x2", 2), Rational(1, 1000000));
  REQUIRE(a.found);
  CHECK(a.level == 0);
  CHECK(a.nodes == 4);
  BaselineOptions o1, o2;
  o1.threads = 1;
  o2.threads = 2;
  const Target f = *find_target("sinsin");
  const Baseline b1 = p1_baseline(f, Rational(1, 100), o1), b2 = p1_baseline(f, Rational(1, 100), o2);
  REQUIRE(b1.found);
  CHECK(b1.level == b2.level);
  CHECK(b1.levels.back().bound == b2.levels.back().bound);
  CHECK(b1.levels.size() == b2.levels.size());
  for (std::size_t i = 0; i < b1.levels.size(); ++i) CHECK(b1.levels[i].refuted_at == b2.levels[i].refuted_at);
  CHECK_THROWS_AS(p1_baseline(f, Rational(0)), InputError);
}

TEST_CASE("P1 baseline: a kink the grid never meets is refuted at every level it fails", "[baseline]") {
  set_precision_bits(128);
  // |x - 1/3|: the interpolation error on the cell holding 1/3 is at least h/4 up to a factor; eps 1e-2.
  BaselineOptions o;
  o.max_level = 12;
  const Baseline b = p1_baseline(*find_target("kink"), Rational(1, 100), o);
  REQUIRE(b.found);
  for (const auto& l : b.levels)
    if (!l.certified) CHECK(l.refuted_at);
}
