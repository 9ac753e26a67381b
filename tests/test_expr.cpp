// The expression language: parsing, errors with positions, and the interval
// guarantee (the enclosure contains high-precision point values).
#include <catch2/catch.hpp>

#include "targets/catalogue.hpp"
#include "targets/expr.hpp"

#include <algorithm>
#include <random>

using namespace mgdl;

namespace {
std::string error_of(const std::string& text) {
  try {
    Expr::parse(text);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("expression errors name the column", "[expr]") {
  CHECK(error_of("sin(x") == "expression error at column 6: expected ')' (sin takes one argument)");
  CHECK(error_of("x +* 2").find("column 4") != std::string::npos);
  CHECK(error_of("foo(x)").find("column 1: unknown name 'foo'") != std::string::npos);
  CHECK(error_of("2*x)").find("column 4: unexpected ')'") != std::string::npos);
  CHECK(error_of("min(x)").find("expected ','") != std::string::npos);
  CHECK(error_of("x0+1").find("column 1") != std::string::npos);
  CHECK(error_of("   ") == "empty expression");
  CHECK(error_of("x^") .find("unexpected end") != std::string::npos);
  CHECK(error_of(std::string(300, '(') + "x" + std::string(300, ')')).find("nested deeper") != std::string::npos);
  CHECK(error_of("x^100000000").find("integer exponent") != std::string::npos);
  CHECK(error_of("1e99999*x").find("exponent out of range") != std::string::npos);
}

TEST_CASE("dimension is inferred from the variables, and x is x1 only in 1-D", "[expr]") {
  CHECK(target_from_expression("x1*x3").dim == 3);
  CHECK(target_from_expression("sin(x)").dim == 1);
  CHECK(target_from_expression("2").dim == 1);
  CHECK(target_from_expression("x1", 2).dim == 2);
  CHECK_THROWS_AS(target_from_expression("x1*x3", 2), InputError);
  CHECK_THROWS_AS(target_from_expression("x+x2"), InputError);
  CHECK(resolve_target("sin2pi").expr == "sin(2*pi*x)");
  CHECK_THROWS_AS(resolve_target("sinsin", 3), InputError);
}

TEST_CASE("point values at 256 bits lie in the 128-bit enclosure of every sub-box", "[expr]") {
  const char* exprs[] = {"sin(2*pi*x) + cos(3*x) - tan(x/2)",
                         "exp(-x)*log(1+x) + sqrt(x) + atan(5*x - 2)",
                         "tanh(20*(x-0.3)) * abs(x - 1/3)",
                         "min(x, 1-x) + max(x^2, x^3) - x^-1*0 + e^x",
                         "x^0.3 + (x+1)^(-2) + 2^x",
                         "(x - 1/2)^3 - (x-1/2)^2 + 1/(1+25*(2*x-1)^2)"};
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0, 1);
  for (const char* text : exprs) {
    INFO(text);
    Expr e = Expr::parse(text);
    for (int i = 0; i < 100; ++i) {
      double a = u(rng), b = u(rng);
      if (a > b) std::swap(a, b);
      if (i % 4 == 0) b = a;  // point boxes too
      set_precision_bits(128);
      Interval box = make_interval(Real(a), Real(b));
      Interval I = e.eval(std::span<const Interval>(&box, 1));
      REQUIRE(is_finite(I));
      set_precision_bits(256);
      for (double t : {0.0, 0.25, 0.5, 1.0}) {
        Real x = Real(a) + (Real(b) - Real(a)) * t;
        Real v = e.eval(std::span<const Real>(&x, 1));
        CHECK(lo(I) <= v);
        CHECK(v <= hi(I));
      }
    }
  }
  set_precision_bits(128);
}

TEST_CASE("integer powers of intervals are exact images", "[expr]") {
  Expr sq = Expr::parse("(x-1/2)^2"), cube = Expr::parse("(x-1/2)^3");
  Interval box = make_interval(Real(0), Real(1));
  Interval s = sq.eval(std::span<const Interval>(&box, 1)), c = cube.eval(std::span<const Interval>(&box, 1));
  CHECK(lo(s) == 0);
  CHECK(hi(s) == Real(0.25));
  CHECK(lo(c) == Real(-0.125));
  CHECK(hi(c) == Real(0.125));
}

TEST_CASE("enclosures are not finite where the target is not", "[expr]") {
  Interval box = make_interval(Real(0.25), Real(0.75)), zero = make_interval(Real(0), Real(0.125));
  CHECK_FALSE(is_finite(Expr::parse("1/(x-0.5)").eval(std::span<const Interval>(&box, 1))));
  CHECK_FALSE(is_finite(Expr::parse("log(x)").eval(std::span<const Interval>(&zero, 1))));
  CHECK_FALSE(is_finite(Expr::parse("sqrt(x-0.5)").eval(std::span<const Interval>(&box, 1))));
  // min/max must not hide an undefined operand.
  CHECK_FALSE(is_finite(Expr::parse("min(sqrt(x-0.5), 1)").eval(std::span<const Interval>(&box, 1))));
  CHECK_FALSE(is_finite(Expr::parse("max(0, sqrt(x-0.5))").eval(std::span<const Interval>(&box, 1))));
}

TEST_CASE("enclosure widths shrink as boxes shrink", "[expr]") {
  Expr e = Expr::parse("sin(20*pi*x)*x + exp(x)");
  Real prev(1e9);
  for (int k = 1; k <= 30; k += 4) {
    Real w = ldexp(Real(1), -k);
    Interval box = make_interval(Real(0.3), Real(0.3) + w);
    Interval I = e.eval(std::span<const Interval>(&box, 1));
    Real width = hi(I) - lo(I);
    CHECK(width < prev);
    CHECK(width <= 200 * w);
    prev = width;
  }
}

TEST_CASE("gradient enclosures satisfy the mean value inclusion", "[expr]") {
  const char* exprs[] = {"sin(2*pi*x1)*exp(-x2) + x1^3 - tanh(3*x2)",
                         "abs(x1 - x2) + min(x1, x2^2) + max(atan(x1), cos(x2))",
                         "sqrt(1 + x1*x2) / (1 + x1^2) + log(2 + x2) + x1^x2 + tan(x1/2)"};
  std::mt19937_64 rng(17);
  std::uniform_real_distribution<double> u(0, 1);
  for (const char* text : exprs) {
    INFO(text);
    Expr e = Expr::parse(text);
    for (int t = 0; t < 100; ++t) {
      set_precision_bits(128);
      std::vector<Interval> box(2);
      std::vector<double> a(2), b(2);
      for (int i = 0; i < 2; ++i) {
        a[i] = u(rng), b[i] = u(rng);
        if (a[i] > b[i]) std::swap(a[i], b[i]);
        if (i == 0 && t % 3 == 0) a[i] = 0;  // x1^x2 and its derivative at the boundary
        box[i] = make_interval(Real(a[i]), Real(b[i]));
      }
      Interval v;
      std::vector<Interval> g;
      e.eval_gradient(box, v, g);
      Interval plain = e.eval(box);
      CHECK(lo(v) == lo(plain));
      CHECK(hi(v) == hi(plain));
      bool finite = std::all_of(g.begin(), g.end(), [](const Interval& x) { return is_finite(x); });
      if (!finite) continue;  // not Lipschitz on this box: no claim
      set_precision_bits(256);
      for (int s = 0; s < 5; ++s) {
        std::vector<Real> c(2), x(2);
        Interval bound(0);
        for (int i = 0; i < 2; ++i) {
          c[i] = Real(a[i]) + (Real(b[i]) - Real(a[i])) * u(rng);
          x[i] = Real(a[i]) + (Real(b[i]) - Real(a[i])) * u(rng);
          bound += g[i] * Interval(x[i] - c[i]);
        }
        Real diff = e.eval(std::span<const Real>(x)) - e.eval(std::span<const Real>(c));
        CHECK(lo(bound) <= diff);
        CHECK(diff <= hi(bound));
      }
    }
  }
  set_precision_bits(128);
}
