// The catalogue: every interval extension contains 256-bit point values on
// random boxes (infinite sums included, tails and all), enclosures shrink
// with the box, exact values of the special functions, and the README's
// worked extension example constructs and verifies.
#include <catch2/catch.hpp>

#include "constructive/schedule.hpp"
#include "targets/catalogue.hpp"
#include "verify/checker.hpp"

#include <random>

using namespace mgdl;

namespace {
Interval at_point(const Target& t, const Rational& x) {
  std::vector<Interval> p{enclose(x)};
  return t.box(p);
}
bool contains(const Interval& I, const Rational& q) {
  return mpfr_cmp_q(lo(I).backend().data(), q.backend().data()) <= 0 &&
         mpfr_cmp_q(hi(I).backend().data(), q.backend().data()) >= 0;
}
}  // namespace

TEST_CASE("every catalogue enclosure contains 256-bit point values on random boxes", "[targets]") {
  std::mt19937_64 rng(99);
  std::uniform_int_distribution<std::int64_t> u(0, (std::int64_t{1} << 20) - 1);
  for (const auto& e : catalogue()) {
    const Target& t = e.target;
    INFO(t.name);
    for (int trial = 0; trial < 60; ++trial) {
      // A random dyadic box (sometimes a point), as the constructor and checker use.
      std::vector<std::int64_t> a(static_cast<std::size_t>(t.dim)), b(a.size());
      for (std::size_t i = 0; i < a.size(); ++i) {
        a[i] = u(rng);
        b[i] = trial % 5 == 0 ? a[i] : std::min<std::int64_t>(a[i] + (std::int64_t{1} << (trial % 18)), std::int64_t{1} << 20);
      }
      set_precision_bits(128);
      std::vector<Interval> box;
      for (std::size_t i = 0; i < a.size(); ++i) box.push_back(dyadic_interval(a[i], b[i], 20));
      Interval I = t.box(box);
      REQUIRE(is_finite(I));
      set_precision_bits(256);
      for (int s = 0; s < 4; ++s) {
        std::vector<Real> x;
        for (std::size_t i = 0; i < a.size(); ++i)
          x.push_back(ldexp(Real(a[i]) + (Real(b[i] - a[i]) * s) / 3, -20));
        Real v = t.point(x);
        CHECK(lo(I) <= v);
        CHECK(v <= hi(I));
      }
    }
  }
  set_precision_bits(128);
}

TEST_CASE("catalogue enclosures shrink with the box", "[targets]") {
  set_precision_bits(128);
  for (const auto& e : catalogue()) {
    const Target& t = e.target;
    INFO(t.name);
    Real prev(1e9), last(0);
    for (int k = 4; k <= 40; k += 6) {
      std::vector<Interval> box;
      for (int i = 0; i < t.dim; ++i) box.push_back(dyadic_interval(std::int64_t{3} << (k - 2), (std::int64_t{3} << (k - 2)) + 1, k));
      Interval I = t.box(box);
      Real w = hi(I) - lo(I);
      CHECK(w <= prev * 1.0001);
      prev = w;
      last = w;
    }
    CHECK(last < 1e-3);  // boxes of width 2^-40 around 3/4
  }
}

TEST_CASE("special functions: exact values are enclosed tightly", "[targets]") {
  set_precision_bits(128);
  const Target W = *find_target("weierstrass"), T = *find_target("takagi"), C = *find_target("cantor");
  Interval w0 = at_point(W, Rational(0));
  CHECK(contains(w0, Rational(2)));  // sum 2^-n cos(0) = 2
  CHECK(hi(w0) - lo(w0) < 1e-13);  // point enclosures carry the 2^-48 tail
  Interval w1 = at_point(W, Rational(1));
  CHECK(contains(w1, Rational(-2)));  // cos(3^n pi) = -1
  Interval t13 = at_point(T, Rational(1, 3));
  CHECK(contains(t13, Rational(2, 3)));  // Takagi(1/3) = 2/3
  CHECK(hi(t13) - lo(t13) < 1e-20);
  CHECK(contains(at_point(T, Rational(1, 2)), Rational(1, 2)));
  CHECK(contains(at_point(C, Rational(1, 4)), Rational(1, 3)));  // 1/4 = 0.0202..._3
  CHECK(contains(at_point(C, Rational(1, 3)), Rational(1, 2)));
  CHECK(contains(at_point(C, Rational(1, 2)), Rational(1, 2)));
  CHECK(contains(at_point(C, Rational(3, 4)), Rational(2, 3)));
  CHECK(contains(at_point(C, Rational(1)), Rational(1)));
  Interval c14 = at_point(C, Rational(1, 4));
  CHECK(hi(c14) - lo(c14) < 1e-20);
  // The Cantor function is monotone: a box enclosure spans its endpoints' values.
  std::vector<Interval> box{make_interval(Real(0.25), Real(0.75))};
  Interval cb = C.box(box);
  CHECK(lo(cb) <= Real(1) / 3);
  CHECK(hi(cb) >= Real(2) / 3);
  const Target X = *find_target("xsininv");
  CHECK(contains(at_point(X, Rational(0)), Rational(0)));
  std::vector<Interval> near0{make_interval(Real(0), Real(1e-6))};
  CHECK(hi(X.box(near0)) <= Real(1e-6));
}

TEST_CASE("the README's worked example target constructs and verifies", "[targets]") {
  set_precision_bits(128);
  Target f = *find_target("bump");
  ScheduleOptions o;
  o.eps = Rational(1, 20);
  Construction c = construct(f, o);
  REQUIRE(c.stop == StopReason::Tolerance);
  VerifyOptions vo;
  vo.eps = o.eps;
  VerifyReport r = verify_scheme(to_network(c), f, vo);
  for (const auto& cl : r.claims) {
    INFO(label(cl) << ": " << describe(cl, r, VerifyOptions{}));
    CHECK(cl.verdict == Verdict::Proved);
  }
}
