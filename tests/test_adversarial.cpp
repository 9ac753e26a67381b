// The adversarial scheme suite (issue "Trust"): hand-made networks that lie
// in their hints, sit on rounding edges, starve the budget, or differ from a
// sound scheme in one weight, one bias, one grade. For each the claim that is
// false is shown false independently (exact network values at a point, and
// a 256-bit enclosure of f), and the checker must answer REFUTED (with a
// witness that re-checks), UNDECIDED, or reject the input; never PROVED.
#include <catch2/catch.hpp>

#include "constructive/block.hpp"
#include "constructive/schedule.hpp"
#include "kernel/rounding.hpp"
#include "targets/catalogue.hpp"
#include "verify/checker.hpp"

#include <chrono>

using namespace mgdl;

namespace {

Target expr(const std::string& e, int d) { return target_from_expression(e, d); }

// A network of the given grades (hint m and node kept as the blocks set them).
Network network(int d, std::vector<Grade> grades) {
  Network net;
  net.dim = d;
  net.width = grades.empty() ? hat_block_width(d) : grades[0].layers[0].out;
  net.grades = std::move(grades);
  return net;
}

// f at an exact point, enclosed at 256 bits.
Interval f_at(const Target& f, const std::vector<Rational>& x) {
  const unsigned bits = precision_bits();
  set_precision_bits(256);
  std::vector<Interval> xi;
  for (const auto& v : x) xi.push_back(enclose(v));
  Interval v = f.box(xi);
  set_precision_bits(bits);
  return v;
}

// r_{k-1}(x) and r_k(x): exact network values, f at 256 bits.
std::pair<Interval, Interval> residuals(const Network& net, const Target& f, const std::vector<Rational>& x, std::size_t k) {
  auto g = grade_outputs<Rational>(net, x, k);
  Rational before = 0;
  for (std::size_t i = 0; i + 1 < g.size(); ++i) before += g[i];
  Interval r0 = f_at(f, x) - enclose(before);
  return {r0, r0 - enclose(g.back())};
}

// Certainly |r_k(x)| > |r_{k-1}(x)|: C2 is false at x.
bool breaks_c2(const Network& net, const Target& f, const std::vector<Rational>& x, std::size_t k) {
  auto [r0, r1] = residuals(net, f, x, k);
  return lo(bmp::abs(r1)) > hi(bmp::abs(r0));
}

// Every REFUTED claim with a point witness is re-checked here, independently.
void check_witnesses(const VerifyReport& r, const Network& net, const Target& f) {
  for (const auto& c : r.claims) {
    if (c.verdict != Verdict::Refuted || c.claim == Claim::C1) continue;
    REQUIRE(c.witness);
    INFO(label(c) << " witness at grade " << c.witness->grade);
    if (c.claim == Claim::C2) CHECK(breaks_c2(net, f, c.witness->x, c.witness->grade));
    if (c.claim == Claim::C2Sign) {
      auto [r0, r1] = residuals(net, f, c.witness->x, c.witness->grade);
      // r_k outside [min(0, r_{k-1}), max(0, r_{k-1})] certainly.
      const bool certainly = (lo(r0) >= 0 && (hi(r1) < 0 || lo(r1) > hi(r0))) || (hi(r0) <= 0 && (lo(r1) > 0 || hi(r1) < lo(r0))) ||
                             lo(bmp::abs(r1)) > hi(bmp::abs(r0));
      CHECK(certainly);
    }
    if (c.claim == Claim::C3) {
      auto g = grade_outputs<Rational>(net, c.witness->x, c.witness->grade);
      Rational F = 0;
      for (const auto& v : g) F += v;
      CHECK(gt(lo(bmp::abs(f_at(f, c.witness->x) - enclose(F))), *c.eps));
    }
  }
}

VerifyReport run(const Network& net, const Target& f, VerifyOptions o = {}) {
  VerifyReport r = verify_scheme(net, f, o);
  check_witnesses(r, net, f);
  return r;
}

void not_proved(const VerifyReport& r, Claim c) {
  INFO(to_string(c) << ": " << describe(r.claim(c), r, VerifyOptions{}));
  CHECK(r.claim(c).verdict != Verdict::Proved);
  CHECK(r.overall() != Verdict::Proved);
}

// The hat block of a * phi_{m,z} with its hint, and the first-layer input size set by `first`.
Grade hat(int d, int m, GridPoint z, const Dyadic& a, bool first) {
  Grade g = hat_block(d, m, z, a, first);
  g.hint.level = 1;
  return g;
}

// sin(2 pi x) by the first-order constructor, for edits.
Network sin_scheme(const char* eps, Target& f) {
  set_precision_bits(128);
  ScheduleOptions o;
  o.eps = parse_decimal(eps);
  o.rule = Rule::FirstOrder;
  o.schedule = Schedule::Adaptive;
  f = resolve_target("sin2pi");
  return to_network(construct(f, o));
}

}  // namespace

TEST_CASE("adversarial: a hint off the grid cannot alias a grid node", "[adversarial]") {
  set_precision_bits(128);
  // m = 0, node (0, 2) is outside [0,1]^2; its key would equal (1, 0)'s.
  // phi_{0,(0,2)} is 0 on the cube, so r_1 = f and ||r_1||_inf = f(1, 0) = 1.005.
  Target f = expr("max(0,x1-x2)+1/200+10*max(0,x2-1)", 2);
  Network net = network(2, {hat(2, 0, {0, 2}, Dyadic(1), true)});
  REQUIRE(lo(f_at(f, {Rational(1), Rational(0)})) > Rational(1, 100));
  VerifyOptions o;
  o.eps = Rational(1, 100);
  VerifyReport r = run(net, f, o);
  CHECK(r.hat_grades == 0);
  CHECK(r.claim(Claim::C3).verdict == Verdict::Refuted);
  CHECK(r.claim(Claim::C3).lower > 1);
}

TEST_CASE("adversarial: a genuine hat filed under an aliased key does not cancel", "[adversarial]") {
  set_precision_bits(128);
  // Target 0. Grade 1 is -phi at the off-grid node (0, 2) (zero on the cube),
  // grade 2 is +phi_{0,(1,0)}: r_2(1, 0) = -1 while r_1 = 0, so C2 fails.
  Target f = expr("0*x1+0*x2", 2);
  Network net = network(2, {hat(2, 0, {0, 2}, Dyadic(-1), true), hat(2, 0, {1, 0}, Dyadic(1), false)});
  REQUIRE(breaks_c2(net, f, {Rational(1), Rational(0)}, 2));
  VerifyOptions o;
  o.eps = Rational(1, 100);
  VerifyReport r = run(net, f, o);
  not_proved(r, Claim::C2);
  not_proved(r, Claim::C3);
  CHECK(r.claim(Claim::C2).verdict == Verdict::Refuted);
}

TEST_CASE("adversarial: levels whose keys would overflow are not hats", "[adversarial]") {
  set_precision_bits(128);
  // d = 2, m = 40: (2^40 + 1)^2 overflows 64 bits and node (2^24, 0) would
  // share a key with (0, 2^24), where the target has its spike of 5/4.
  Target f = expr("5/4*max(0, 1 - max(0, max(2^40*x1, 2^40*x2 - 2^24)) + min(0, min(2^40*x1, 2^40*x2 - 2^24)))", 2);
  Network net = network(2, {hat(2, 40, {std::int64_t{1} << 24, 0}, Dyadic(5).times_pow2(-2), true)});
  const std::vector<Rational> spike{Rational(0), Rational(1, 1 << 16)};
  REQUIRE(lo(f_at(f, spike)) >= Rational(5, 4));
  VerifyOptions o;
  o.eps = Rational(3, 10);
  o.budget = 3000;
  VerifyReport r = run(net, f, o);
  CHECK(r.hat_grades == 0);
  not_proved(r, Claim::C3);
  // The boundary: m = 30 is the finest level of keys for d = 2, m = 31 is not.
  CHECK(valid_node(30, GridPoint{std::int64_t{1} << 30, 0}, 2));
  CHECK_FALSE(valid_node(31, GridPoint{0, 0}, 2));
  CHECK_FALSE(valid_node(41, GridPoint{0}, 1));
}

TEST_CASE("adversarial: tolerances on rounding edges are compared exactly", "[adversarial]") {
  set_precision_bits(128);
  Target f = expr("1/2+0*x", 1);
  Network net = network(1, {});
  Rational tiny(1, Integer(1) << 2000);
  for (auto [eps, want] : {std::pair{Rational(1, 2) - tiny / 3, Verdict::Refuted}, std::pair{Rational(1, 2), Verdict::Proved},
                           std::pair{Rational(1, 2) + tiny, Verdict::Proved}}) {
    VerifyOptions o;
    o.eps = eps;
    VerifyReport r = run(net, f, o);
    CHECK(r.claim(Claim::C3).verdict == want);
  }
  // The constructor's stop test too: ||x||_inf = 1 > eps, so no tolerance stop
  // unless the certified bound really is <= eps.
  ScheduleOptions so;
  so.eps = parse_decimal("0.99999999999999999999999999999999999999999");
  for (Rule rule : {Rule::FirstOrder, Rule::SecondOrder}) {
    so.rule = rule;
    so.schedule = rule == Rule::FirstOrder ? Schedule::Adaptive : Schedule::Local;
    Construction c = construct(expr("x", 1), so);
    if (c.stop == StopReason::Tolerance) CHECK(le(c.bound, so.eps));
  }
}

TEST_CASE("adversarial: a grade nobody looked at is not trivial, so C4 is not PROVED", "[adversarial]") {
  Target f;
  Network net = sin_scheme("1e-1", f);
  // 100 phi_{3,8}, without a hint: a general grade near x = 1, where r is small.
  Grade g = hat_block(1, 3, GridPoint{8}, Dyadic(100), false);
  g.hint = GradeHint{};
  net.grades.push_back(g);
  for (std::size_t budget : {1, 2, 3, 10}) {
    VerifyOptions o;
    o.budget = budget;
    o.eps = Rational(1, 10);
    VerifyReport r = run(net, f, o);
    for (const auto& c : r.claims)
      if (c.claim == Claim::C4) CHECK(c.verdict != Verdict::Proved);
    CHECK(r.overall() != Verdict::Proved);
  }
}

TEST_CASE("adversarial: one bias moved by 2^-60 widens the hat past where r_0 = 0", "[adversarial]") {
  set_precision_bits(128);
  Target f = expr("1-abs(2*x-1)", 1);
  Grade g = hat(1, 1, {1}, Dyadic(1).times_pow2(-1), true);
  {
    VerifyOptions o;
    o.eps = Rational(51, 100);
    VerifyReport sound = run(network(1, {g}), f, o);
    CHECK(sound.overall() == Verdict::Proved);  // the unmoved grade: every claim holds and is proved
  }
  // The hat neuron (last layer, row 1) gets bias 1 + 2^-60: g(0) = 2^-61 > 0 = f(0).
  auto& b = g.layers.back().b;
  for (auto& [row, v] : b)
    if (row == 1) v += Dyadic(1).times_pow2(-60).to_rational();
  Network net = network(1, {g});
  REQUIRE(breaks_c2(net, f, {Rational(0)}, 1));
  for (std::size_t budget : {3, 200000}) {
    VerifyOptions o;
    o.budget = budget;
    o.eps = Rational(51, 100);
    VerifyReport r = run(net, f, o);
    CHECK(r.hat_grades == 0);
    not_proved(r, Claim::C2);
    not_proved(r, Claim::C2Sign);
  }
}

TEST_CASE("adversarial: an x-carrier slightly off the identity is not a carrier", "[adversarial]") {
  set_precision_bits(128);
  Target f = expr("1-abs(2*x-1)", 1);
  const Grade g1 = hat(1, 1, {1}, Dyadic(1).times_pow2(-1), true);
  const Grade g2 = hat(1, 2, {1}, Dyadic(1).times_pow2(-3), false);
  // The carrier of x in grade 1's last layer (row 0): a bias of -2^-70, or a weight of 2 or 1 + 2^-60.
  std::vector<Grade> off(3, g1);
  off[0].layers.back().b.insert(off[0].layers.back().b.begin(), {0, -Dyadic(1).times_pow2(-70).to_rational()});
  for (auto& e : off[1].layers.back().W)
    if (e.row == 0) e.v = 2;
  for (auto& e : off[2].layers.back().W)
    if (e.row == 0) e.v += Dyadic(1).times_pow2(-60).to_rational();
  for (const Grade& first : off) {
    Network net = network(1, {first, g2});
    VerifyOptions o;
    o.eps = Rational(1, 2);
    VerifyReport r = run(net, f, o);
    // Not taken for a carrier: grade 2 reads a feature, so the general-network
    // analysis checks the network as it is (docs/theory.md 9), never the hat
    // that a carrier would have made of it.
    CHECK(r.network);
    CHECK(r.hat_grades == 0);
    for (const auto& row : r.rows) {
      if (row.c2_w) CHECK(breaks_c2(net, f, row.c2_w->x, row.grade));
    }
  }
}

TEST_CASE("adversarial: a duplicated grade overshoots and is refuted", "[adversarial]") {
  set_precision_bits(128);
  Target f = expr("1-abs(2*x-1)", 1);
  const Dyadic a(Integer(255), -8);
  Network net = network(1, {hat(1, 1, {1}, a, true), hat(1, 1, {1}, a, false)});
  REQUIRE(breaks_c2(net, f, {Rational(1, 2)}, 2));
  VerifyOptions o;
  o.eps = Rational(1, 2);
  VerifyReport r = run(net, f, o);
  CHECK(r.claim(Claim::C2).verdict == Verdict::Refuted);
  CHECK(r.claim(Claim::C2).witness->grade == 2);
  CHECK(r.claim(Claim::C2Sign).verdict == Verdict::Refuted);
}

TEST_CASE("adversarial: reordered grades stay valid, nonzero c0 and a different target are never PROVED", "[adversarial]") {
  Target f;
  const Network sound = sin_scheme("1e-1", f);
  VerifyOptions o;
  o.eps = Rational(1, 10);
  SECTION("the grades in reverse order: still true, and PROVED") {
    // Every coefficient of level l has the sign of e^(l-1), which lies between 0
    // and f, and a level's full sum is e^(l-1) - e^(l): so any sub-sum of any
    // levels, in any order, keeps r between 0 and f (Lemma 1 across levels).
    std::vector<Grade> gs;
    for (std::size_t k = sound.grades.size(); k-- > 0;) {
      const Grade& g = sound.grades[k];
      gs.push_back(hat(1, g.hint.m, g.hint.node, Dyadic::from_rational(g.readout.c[0].second), gs.empty()));
    }
    Network net = network(1, gs);
    bool found = false;
    for (std::size_t k = 1; k <= net.grades.size() && !found; ++k) {
      const GradeHint& h = net.grades[k - 1].hint;
      for (int s : {-1, 0, 1}) {
        Rational x = Rational(4 * h.node[0] + s, Integer(4) << h.m);
        if (x >= 0 && x <= 1 && breaks_c2(net, f, {x}, k)) found = true;
      }
    }
    REQUIRE_FALSE(found);
    VerifyReport r = run(net, f, o);
    CHECK(r.overall() == Verdict::Proved);
  }
  SECTION("a constant c0 = 1/1000 in the last grade") {
    Network net = sound;
    net.grades.back().readout.c0 = Rational(1, 1000);
    const std::size_t K = net.grades.size();
    REQUIRE(breaks_c2(net, f, {Rational(1, 1 << 20)}, K));
    VerifyReport r = run(net, f, o);
    not_proved(r, Claim::C2);
  }
  SECTION("a target that differs from the scheme's") {
    Target g = expr("sin(2*pi*x) - 1/5*max(0, 1-50*abs(x-3/10))", 1);
    VerifyReport r = run(sound, g, o);
    not_proved(r, Claim::C2);
    CHECK(r.claim(Claim::C2).verdict == Verdict::Refuted);
  }
}

TEST_CASE("adversarial: hostile levels and exponents finish in bounded time", "[adversarial]") {
  set_precision_bits(128);
  Target f = expr("0*x", 1);
  const auto t0 = std::chrono::steady_clock::now();
  // A hat at level 62 (beyond every key and every cell level): not a hat, never split to.
  Network net = network(1, {hat(1, 62, {0}, Dyadic(1), true)});
  VerifyOptions o;
  o.eps = Rational(1, 2);
  o.budget = 20000;
  VerifyReport r = run(net, f, o);
  CHECK(r.hat_grades == 0);
  not_proved(r, Claim::C2);
  // p = 30000 and p = 10^30 on a sound scheme: bounded time, and 10^30 underflows to no bound (UNDECIDED).
  Target s;
  Network sound = sin_scheme("1e-1", s);
  VerifyOptions q;
  q.eps = Rational(1, 10);
  q.p = {Rational(30000), parse_decimal("1e30")};
  VerifyReport rs = run(sound, s, q);
  CHECK(rs.claim(Claim::C4, Rational(30000)).verdict == Verdict::Proved);
  CHECK(rs.claim(Claim::C4, parse_decimal("1e30")).verdict == Verdict::Undecided);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  CHECK(secs < 120);  // a generous bound: the point is that it ends
}

TEST_CASE("adversarial: hints that lie about levels or nodes change no verdict into a false one", "[adversarial]") {
  Target f;
  const Network sound = sin_scheme("1e-1", f);
  VerifyOptions o;
  o.eps = Rational(1, 10);
  SECTION("level hints scrambled: every claim still PROVED") {
    Network net = sound;
    for (std::size_t k = 0; k < net.grades.size(); ++k) net.grades[k].hint.level = static_cast<int>((k * 7919) % 5);
    VerifyReport r = run(net, f, o);
    CHECK(r.overall() == Verdict::Proved);
  }
  SECTION("node hints shifted by one: no hat proof, no false REFUTED, C4 open") {
    Network net = sound;
    for (auto& g : net.grades) g.hint.node[0] = (g.hint.node[0] + 1) % ((std::int64_t{1} << g.hint.m) + 1);
    o.budget = 2000;
    VerifyReport r = run(net, f, o);
    CHECK(r.hat_grades == 0);
    CHECK(r.claim(Claim::C2).verdict != Verdict::Refuted);  // the claims are true: no refutation may appear
    for (const auto& c : r.claims)
      if (c.claim == Claim::C4) CHECK(c.verdict == Verdict::Undecided);
  }
}

TEST_CASE("adversarial: C2 without its sign form, and an exact overshoot where C4 is false", "[adversarial]") {
  set_precision_bits(128);
  Target f = expr("1-abs(2*x-1)", 1);  // = phi_{1,1}
  VerifyOptions o;
  o.eps = Rational(1);
  {
    // g = 3/2 phi: r_1 = -phi/2, |r_1| <= |r_0| but the sign flips.
    VerifyReport r = run(network(1, {hat(1, 1, {1}, Dyadic(3).times_pow2(-1), true)}), f, o);
    CHECK(r.claim(Claim::C2).verdict == Verdict::Proved);
    CHECK(r.claim(Claim::C2Sign).verdict == Verdict::Refuted);
  }
  {
    // g = 2 phi: r_1 = -phi, |r_1| = |r_0| everywhere: C4 is false for every p.
    VerifyReport r = run(network(1, {hat(1, 1, {1}, Dyadic(2), true)}), f, o);
    for (const auto& c : r.claims)
      if (c.claim == Claim::C4) CHECK(c.verdict != Verdict::Proved);
    CHECK(r.claim(Claim::C2Sign).verdict == Verdict::Refuted);
  }
}

TEST_CASE("adversarial: a non-dyadic amplitude is not a hat, and the norms still contain the truth", "[adversarial]") {
  set_precision_bits(128);
  Target f = expr("1-abs(2*x-1)", 1);
  Grade g = hat(1, 1, {1}, Dyadic(1), true);
  g.readout.c[0].second = Rational(1, 3);
  VerifyOptions o;
  o.eps = Rational(1);
  VerifyReport r = run(network(1, {g}), f, o);
  CHECK(r.hat_grades == 0);
  REQUIRE(r.norms.size() == 2);
  // r_1 = 2/3 phi: ||r_1||_inf = 2/3 at x = 1/2.
  CHECK(le(r.norms[1].inf_lo, Rational(2, 3)));
  CHECK(cmp(r.norms[1].inf_hi, Rational(2, 3)) >= 0);
}

TEST_CASE("adversarial: a target whose interval extension lies is caught by the self-checks", "[adversarial]") {
  set_precision_bits(128);
  // Right at points, 1 too high on every box of positive width.
  Target honest = expr("sin(2*pi*x)", 1), f = honest;
  f.gradient = nullptr;
  f.hessian = nullptr;
  f.box = [honest](std::span<const Interval> x) {
    Interval v = honest.box(x);
    return hi(x[0]) > lo(x[0]) ? Interval(v + 1) : v;
  };
  Target s;
  Network net = sin_scheme("1e-1", s);
  VerifyOptions o;
  o.eps = Rational(1, 10);
  CHECK_THROWS_AS(verify_scheme(net, f, o), InternalError);
  // Without grades only the norm search sees the target: it must catch the lie too.
  CHECK_THROWS_AS(verify_scheme(network(1, {}), f, o), InternalError);
}

TEST_CASE("adversarial: a grade the budget saw only where it is zero is not trivial", "[adversarial]") {
  set_precision_bits(128);
  // Grade 1 is the zero hat 0 phi_{6,16}: the cells around x = 1/4 must be split
  // for it. Grade 2 is 100 phi_{3,0} without a hint (a general grade near x = 0).
  // With a budget of one cell, the only cell evaluated is [1/2, 1], where
  // grade 2 is 0; the cells near 0 stay open, so grade 2 is not trivial and
  // C4 (false here: r_2 = -100 phi) cannot be PROVED.
  Target f = expr("0*x", 1);
  Grade g2 = hat_block(1, 3, GridPoint{0}, Dyadic(100), false);
  g2.hint = GradeHint{};
  Network net = network(1, {hat(1, 6, {16}, Dyadic(0), true), g2});
  VerifyOptions o;
  o.budget = 1;
  o.eps = Rational(1, 2);
  o.slab_level = 0;  // one search per grade over the whole cube (with slabs, the one of x = 1/16 finds the failure)
  VerifyReport r = run(net, f, o);
  CHECK(r.trivial_grades == 1);  // only the zero hat
  for (const auto& c : r.claims)
    if (c.claim == Claim::C4) CHECK(c.verdict == Verdict::Undecided);
  CHECK(r.claim(Claim::C2).verdict == Verdict::Undecided);  // the grade after the zero one still counts
  // With the budget it needs, the failure of grade 2 after the zero grade 1 is found.
  o.budget = 200000;
  CHECK(run(net, f, o).claim(Claim::C2).verdict == Verdict::Refuted);
}

TEST_CASE("adversarial: the budget and the finest level are limits, never exceeded", "[adversarial]") {
  set_precision_bits(128);
  // The bias moved by 2^-60: C2 fails only on [0, 2^-61), so the search runs
  // into whichever limit comes first and must stop there.
  Target f = expr("1-abs(2*x-1)", 1);
  Grade g = hat(1, 1, {1}, Dyadic(1).times_pow2(-1), true);
  for (auto& [row, v] : g.layers.back().b)
    if (row == 1) v += Dyadic(1).times_pow2(-60).to_rational();
  Network net = network(1, {g});
  for (auto [budget, level] : {std::pair<std::size_t, int>{7, 48}, std::pair<std::size_t, int>{100000, 20}}) {
    VerifyOptions o;
    o.budget = budget;
    o.max_level = level;
    o.eps = Rational(1);
    VerifyReport r = run(net, f, o);
    const ClaimResult& c2 = r.claim(Claim::C2);
    CHECK(c2.verdict == Verdict::Undecided);
    CHECK(c2.max_cells <= budget);
    CHECK(c2.deepest <= level);
    if (budget == 7) CHECK(c2.max_cells == 7);
    if (level == 20) CHECK(c2.deepest == 20);
  }
}

TEST_CASE("adversarial: a failure only near the edge of a hat's support is found", "[adversarial]") {
  set_precision_bits(128);
  // f = phi_{1,1} - 1/4, g = phi_{1,1} / 8: C2 fails exactly where phi < 4/15
  // (the outer quarter of the support, where f < 0 or barely positive).
  Target f = expr("1-abs(2*x-1)-1/4", 1);
  Network net = network(1, {hat(1, 1, {1}, Dyadic(1).times_pow2(-3), true)});
  REQUIRE(breaks_c2(net, f, {Rational(1, 16)}, 1));
  REQUIRE_FALSE(breaks_c2(net, f, {Rational(1, 2)}, 1));
  VerifyOptions o;
  o.eps = Rational(1);
  VerifyReport r = run(net, f, o);
  CHECK(r.claim(Claim::C2).verdict == Verdict::Refuted);
}

TEST_CASE("adversarial: a margin far below the precision is UNDECIDED, never a false REFUTED", "[adversarial]") {
  set_precision_bits(128);
  // f = phi_{1,1} + 2^-200 (written with pi - pi, whose enclosure straddles
  // 0 by about 2^-126) and g = 2 phi: 2 r_0 - g = 2^-199 > 0, so C2 holds
  // everywhere, by a margin that 128-bit enclosures of f cannot see.
  Target f = expr("1-abs(2*x-1)+2^(-200)+(pi-pi)", 1);
  Network net = network(1, {hat(1, 1, {1}, Dyadic(2), true)});
  VerifyOptions o;
  o.eps = Rational(2);
  o.budget = 3000;
  VerifyReport r = run(net, f, o);
  CHECK(r.claim(Claim::C2).verdict == Verdict::Undecided);
}

TEST_CASE("adversarial: general grades are judged by the right end of their enclosure", "[adversarial]") {
  set_precision_bits(128);
  // g = 3/4 phi_{1,1} without a hint (a general grade), f = 1/4: on [0, 1] g
  // ranges over [0, 3/4], and C2 (2 r_0 >= g) fails where phi > 2/3.
  Grade g = hat_block(1, 1, GridPoint{1}, Dyadic(3).times_pow2(-2), true);
  g.hint = GradeHint{};
  VerifyOptions o;
  o.eps = Rational(1);
  VerifyReport r = run(network(1, {g}), expr("1/4+0*x", 1), o);
  CHECK(r.claim(Claim::C2).verdict == Verdict::Refuted);
  // g = 1/4 phi and f = 1/4 phi + (pi - pi): r_1 = 0 exactly, both forms of C2
  // hold, while every enclosure of r_1 straddles 0: never a false REFUTED.
  Grade h = hat_block(1, 1, GridPoint{1}, Dyadic(1).times_pow2(-2), true);
  h.hint = GradeHint{};
  o.budget = 2000;
  VerifyReport s = run(network(1, {h}), expr("1/4*(1-abs(2*x-1))+(pi-pi)", 1), o);
  CHECK(s.claim(Claim::C2).verdict != Verdict::Refuted);
  CHECK(s.claim(Claim::C2Sign).verdict != Verdict::Refuted);
  // A negative general grade: g = -1/4 phi, f = -1/8 phi + (pi - pi), so 2 r_0 - g = 0:
  // C2 holds with equality everywhere, and no point may refute it.
  Grade n = hat_block(1, 1, GridPoint{1}, -Dyadic(1).times_pow2(-2), true);
  n.hint = GradeHint{};
  VerifyReport t = run(network(1, {n}), expr("-1/8*(1-abs(2*x-1))+(pi-pi)", 1), o);
  CHECK(t.claim(Claim::C2).verdict != Verdict::Refuted);
}

TEST_CASE("adversarial: a sup norm exactly at the tolerance is never REFUTED", "[adversarial]") {
  set_precision_bits(128);
  // max f = 1 at x = 1/4, a cell centre where f evaluates exactly. The cusp
  // takes away the gradient and the Hessian (no centred form, no Fact I) and
  // (x - x) keeps the natural enclosure above 1 on every cell touching 1/4.
  // |f| <= 1 on [0, 1] (f(1) = 1 - sqrt 3), so ||f||_inf = 1 <= eps = 1 is
  // true: UNDECIDED here, never REFUTED.
  Target f = expr("1-sqrt(abs(4*x-1))+(x-x)", 1);
  VerifyOptions o;
  o.eps = Rational(1);
  o.budget = 500;
  o.slab_level = 1;  // the partition starts from [0, 1/2] and [1/2, 1]: x = 1/4 is a centre
  VerifyReport r = run(network(1, {}), f, o);
  CHECK(r.claim(Claim::C3).verdict == Verdict::Undecided);
  CHECK(cmp(r.claim(Claim::C3).lower, Rational(1)) == 0);
}
