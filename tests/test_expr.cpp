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

TEST_CASE("the factor pi is moved out exactly: sin(pi u) is sinpi(u), 0 at every integer", "[expr]") {
  // Reference: the same text with pi written as exp(log(pi)), which the parser
  // does not recognise as the factor pi (so it is evaluated as written).
  const char* exprs[] = {"sin(pi*x)", "sin(x*pi)", "sin(2*pi*x)", "cos(pi*x/2)", "sin(-(pi*x))", "cos(pi*x + pi*x^2)",
                         "sin(pi*x*pi)", "cos(pi) + sin(pi) + x", "sin((pi*x)/(pi*2))", "sin(3*pi*x - pi*x)", "tan(pi*x/4)",
                         "(pi*x)^2 + pi*pi*x - pi/(1+x)", "sin(pi*(x+1/3))*cos(pi*3*x)", "sin(pi*x/(1+x))", "-pi*x + sin(x/pi)", "cos(pi/2*x+pi/2)", "pi/(pi*x+1)", "sin(pi/(x+1))"};
  std::mt19937_64 rng(41);
  std::uniform_real_distribution<double> u(0, 1);
  for (const char* text : exprs) {
    std::string ref_text = text;
    for (std::size_t at = 0; (at = ref_text.find("pi", at)) != std::string::npos; at += 12) ref_text.replace(at, 2, "exp(log(pi))");
    INFO(text << " vs " << ref_text);
    const Expr e = Expr::parse(text), ref = Expr::parse(ref_text);
    for (int i = 0; i < 60; ++i) {
      double a = u(rng), b = u(rng);
      if (a > b) std::swap(a, b);
      if (i % 3 == 0) b = a;
      set_precision_bits(128);
      const Interval box = make_interval(Real(a), Real(b));
      const Interval I = e.eval(std::span<const Interval>(&box, 1));
      REQUIRE(is_finite(I));
      set_precision_bits(256);
      for (double t : {0.0, 0.5, 1.0}) {
        const Real x = Real(a) + (Real(b) - Real(a)) * t;
        const Real v = e.eval(std::span<const Real>(&x, 1)), w = ref.eval(std::span<const Real>(&x, 1));
        const Real tol = ldexp(Real(1), -230) * (1 + abs(w));  // the reference's own rounding at 256 bits
        CHECK(abs(v - w) <= tol);
        CHECK(lo(I) <= w + tol);
        CHECK(w - tol <= hi(I));
        CHECK(lo(I) <= v);
        CHECK(v <= hi(I));
      }
    }
  }
  set_precision_bits(128);
  // Exact zeros (what Fact Z needs on faces of the cube and at dyadic points).
  auto at = [](const char* text, const Rational& x) {
    const Interval xi = enclose(x);
    return Expr::parse(text).eval(std::span<const Interval>(&xi, 1));
  };
  auto exact_zero = [](const Interval& v) { return lo(v) == 0 && hi(v) == 0; };
  CHECK(exact_zero(at("sin(pi*x)", 1)));
  CHECK(exact_zero(at("sin(pi*x)", 0)));
  CHECK(exact_zero(at("sin(2*pi*x)", Rational(1, 2))));
  CHECK(exact_zero(at("sin(8*pi*x)", Rational(3, 8))));
  CHECK(exact_zero(at("cos(pi*x/2)", 1)));
  CHECK(exact_zero(at("cos(pi/2*x+pi/2)", 0)));  // (1/2) pi x + (1/2) pi = (x/2 + 1/2) pi (a red-team case)
  CHECK(exact_zero(at("x*sin(20*pi*x)", Rational(1, 20))) == false);  // 1/20 is not a dyadic point: enclosed, not exact
  CHECK(exact_zero(at("sin(pi*x)+2^-300", 1)) == false);
  const Interval one = at("sin(pi*x)", Rational(1, 2));
  CHECK((lo(one) == 1 && hi(one) == 1));
  // An interval argument is still enclosed (through sin of pi times the box).
  const Interval wide = at("sin(pi*x)", Rational(1, 3));
  CHECK(lo(wide) < hi(wide));
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
                         "sin(pi*x1)*cos(pi*x2/2) - cos(3*pi*x1*x2) + (pi*x1)^2",
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

namespace {
// f on a thin box (a point) as an interval, at the working precision.
Interval at_point(const Expr& e, const std::vector<Real>& x) {
  std::vector<Interval> b;
  for (const auto& v : x) b.push_back(make_interval(v, v));
  return e.eval(b);
}
bool meets(const Interval& a, const Interval& b) { return !(hi(a) < lo(b) || hi(b) < lo(a)); }
}  // namespace

TEST_CASE("Hessian enclosures contain every second difference quotient", "[expr]") {
  // For f in C^2: (f(x+h e_i) - 2 f(x) + f(x-h e_i)) / h^2 = f_ii(xi) for some xi
  // on the segment, and (f(x+h e_i+h e_j) - f(x+h e_i) - f(x+h e_j) + f(x)) / h^2
  // = f_ij(xi) for some xi in the square. Both quotients, enclosed by
  // intervals at 256 bits, must meet the Hessian enclosure over a box holding
  // the stencil; a wrong derivative rule (sign, factor) fails this.
  const char* exprs[] = {"sin(2*pi*x1)*exp(-x2) + x1^3 - tanh(3*x2)",
                         "sin(pi*x1)*cos(pi*x2/2) - cos(3*pi*x1*x2) + (pi*x1)^2",
                         "sqrt(1 + x1*x2) / (1 + x1^2) + log(2 + x2) + (x1+1)^x2 + tan(x1/2)",
                         "atan(3*x1 - x2) * cos(x1*x2) - 1/(2 + x1 - x2)^2 + abs(x1 + 1)",
                         "exp(-(x1^2 + x2^2)) - min(x1 + 2, x2) + max(x1 - 3, x2^4)"};
  std::mt19937_64 rng(23);
  std::uniform_real_distribution<double> u(0.05, 0.95);
  for (const char* text : exprs) {
    INFO(text);
    Expr e = Expr::parse(text);
    for (int t = 0; t < 60; ++t) {
      set_precision_bits(256);
      const Real h = Real(1) / Real(1 << (4 + t % 10));
      std::vector<Real> x{Real(u(rng)), Real(u(rng))};
      std::vector<Interval> box{make_interval(x[0] - h, x[0] + h), make_interval(x[1] - h, x[1] + h)};
      Interval v;
      std::vector<Interval> g, H;
      e.eval_hessian(box, v, g, H);
      REQUIRE(H.size() == 4);
      Interval plain = e.eval(box);
      CHECK(lo(v) <= lo(plain));  // the same value enclosure, up to rounding order
      CHECK(hi(plain) <= hi(v) + abs(hi(v)) * Real(1e-60) + Real(1e-70));
      for (int i = 0; i < 2; ++i) {
        INFO("t " << t << " i " << i);
        REQUIRE(is_finite(H[static_cast<std::size_t>(i * 2 + i)]));
        auto xp = x, xm = x;
        xp[static_cast<std::size_t>(i)] += h;
        xm[static_cast<std::size_t>(i)] -= h;
        Interval q = (at_point(e, xp) - Interval(2) * at_point(e, x) + at_point(e, xm)) / Interval(h * h);
        CHECK(meets(q, H[static_cast<std::size_t>(i * 2 + i)]));
      }
      auto x10 = x, x01 = x, x11 = x;
      x10[0] += h;
      x01[1] += h;
      x11[0] += h;
      x11[1] += h;
      Interval q = (at_point(e, x11) - at_point(e, x10) - at_point(e, x01) + at_point(e, x)) / Interval(h * h);
      CHECK(meets(q, H[1]));
      CHECK(meets(q, H[2]));
      CHECK(lo(H[1]) == lo(H[2]));  // symmetric
    }
  }
  set_precision_bits(128);
}

TEST_CASE("trigonometric functions of huge arguments are bounded in time and stay sound", "[expr]") {
  // Found by fuzzing: tan(x1 + 2^2^21) spent minutes in range reduction.
  Expr e = Expr::parse("sin(x + 2^2^21)");
  std::vector<Interval> box{make_interval(Real(0), Real(1))};
  Interval v = e.eval(box);
  CHECK(lo(v) == -1);
  CHECK(hi(v) == 1);
  std::vector<Real> x{Real(0.5)};
  CHECK(boost::multiprecision::isnan(e.eval(std::span<const Real>(x))));
  CHECK_FALSE(is_finite(Expr::parse("tan(x + 2^2^21)").eval(box)));
  // Below the cap the values are the ordinary ones.
  Interval s = Expr::parse("sin(x + 2^1000)").eval(box);
  CHECK(lo(s) >= -1);
  CHECK(hi(s) <= 1);
}

TEST_CASE("trigonometric functions of tiny arguments are bounded in time and stay sound", "[expr]") {
  // Found by fuzzing (CI): x^2^2^21 on [1/4, 1/2] underflows to about
  // 2^-2^30, and MPFI's cos of that spent minutes in range reduction.
  std::vector<Interval> box{make_interval(Real(0.25), Real(0.5))};
  Interval c = Expr::parse("cos(-x^2^2^21)").eval(box);
  CHECK(hi(c) == 1);
  CHECK(lo(c) <= 1);
  CHECK(lo(c) > Real(0.99));
  Interval v;
  std::vector<Interval> g;
  Expr::parse("cos(-x^2^2^21)").eval_gradient(box, v, g);
  CHECK(hi(v) == 1);
  // Tiny endpoints are widened outward, never inward: sin keeps its sign.
  Interval s = Expr::parse("sin(x^2^2^21)").eval(box);
  CHECK(lo(s) <= 0);
  CHECK(hi(s) > 0);
  CHECK(hi(s) < Real(0.01));
  Interval n = Expr::parse("sin(-x^2^2^21)").eval(box);
  CHECK(hi(n) >= 0);
  CHECK(lo(n) < 0);
}

TEST_CASE("a Hessian enclosure is finite only where f is C^2 on the box", "[expr]") {
  auto hess = [](const char* text, double a, double b) {
    Expr e = Expr::parse(text);
    std::vector<Interval> box{make_interval(Real(a), Real(b))};
    Interval v;
    std::vector<Interval> g, H;
    e.eval_hessian(box, v, g, H);
    return H[0];
  };
  CHECK_FALSE(is_finite(hess("abs(x - 1/3)", 0.25, 0.5)));   // the kink is inside
  CHECK(is_finite(hess("abs(x - 1/3)", 0.5, 0.75)));          // affine there
  CHECK(lo(hess("abs(x - 1/3)", 0.5, 0.75)) == 0);
  CHECK_FALSE(is_finite(hess("max(x, 1 - x)", 0.25, 0.75)));  // the switch is inside
  CHECK_FALSE(is_finite(hess("sqrt(x)", 0, 0.25)));           // not C^2 at 0
  CHECK_FALSE(is_finite(hess("x^0.3", 0, 0.25)));
  CHECK_FALSE(is_finite(hess("1/(x - 1/2)", 0.25, 0.75)));
  Interval s = hess("sin(2*pi*x)", 0.2, 0.3);                 // -4 pi^2 sin(2 pi x), in [-39.48, -37.5]
  CHECK(lo(s) < -39.47);
  CHECK(hi(s) > -37.6);
  CHECK(hi(s) < 0);
  Interval p = hess("x^5", 0.5, 1);                           // 20 x^3 on [1/2, 1]: [2.5, 20]
  CHECK(lo(p) <= 2.5);
  CHECK(hi(p) >= 20);
  CHECK(hi(p) - lo(p) < 17.6);
}
