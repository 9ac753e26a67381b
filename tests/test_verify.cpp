// The checker: exact hat norms, soundness of the realisation proof, interval
// propagation containment, verdicts on built schemes, planted defects
// (refuted at the right grade, with a witness that re-checks), and honest
// UNDECIDED when the budget is too small.
#include <catch2/catch.hpp>

#include "constructive/block.hpp"
#include "constructive/schedule.hpp"
#include "targets/catalogue.hpp"
#include "verify/checker.hpp"
#include "kernel/hat_block.hpp"
#include "kernel/realise.hpp"
#include "theorems/theorems.hpp"
#include "tests/thread_comm.hpp"

#include <filesystem>
#include <thread>
#include <fstream>
#include <random>
#include <sstream>
#include <unistd.h>  // getpid: temp folders per process (ctest -j, scripts/mutate run tests side by side)

using namespace mgdl;

namespace {
std::vector<GridPoint> all_nodes(int d, int m) {
  std::vector<GridPoint> out;
  for (std::uint64_t k = 0; k < node_count(m, d); ++k) out.push_back(node_from_key(m, d, k));
  return out;
}
std::vector<Rational> random_point(int d, std::mt19937_64& rng) {
  std::uniform_int_distribution<int> u(0, 9973);
  std::vector<Rational> x;
  for (int i = 0; i < d; ++i) x.emplace_back(u(rng), 9973);
  return x;
}
const ClaimResult& claim(const VerifyReport& r, Claim c) { return r.claim(c); }
Network built(const std::string& target, const char* eps, Target* f = nullptr) {
  set_precision_bits(128);
  ScheduleOptions o;
  o.eps = parse_decimal(eps);
  Target t = resolve_target(target);
  if (f) *f = t;
  return to_network(construct(t, o));
}
VerifyOptions opts(const char* eps) {
  VerifyOptions o;
  o.eps = parse_decimal(eps);
  return o;
}
// Independent re-check of a C2 witness: |r_k(x)| > |r_{k-1}(x)| with exact network values.
bool witness_breaks_c2(const Network& net, const Target& f, const Witness& w) {
  auto g = grade_outputs<Rational>(net, w.x, w.grade);
  Rational before = 0;
  for (std::size_t k = 0; k + 1 < g.size(); ++k) before += g[k];
  std::vector<Interval> xi;
  for (const auto& v : w.x) xi.push_back(enclose(v));
  Interval fx = f.box(xi);
  Interval r0 = fx - enclose(before), r1 = r0 - enclose(g.back());
  Interval a0 = bmp::abs(r0), a1 = bmp::abs(r1);
  return lo(a1) > hi(a0);
}
}  // namespace

TEST_CASE("hat norms are exact: sum_z ||phi_z||_1 = 1 and sum_z ||phi_z||_2^2 = 2/(d+2)", "[verify]") {
  for (int d = 1; d <= 3; ++d)
    for (int m = 0; m <= 2; ++m) {
      Rational s1 = 0, s2 = 0;
      for (const auto& z : all_nodes(d, m)) {
        s1 += hat_norm_pp(d, m, z, Rational(1));
        s2 += hat_norm_pp(d, m, z, Rational(2));
      }
      CHECK(s1 == 1);
      CHECK(s2 == Rational(2, d + 2));
    }
  // d = 1 interior: 2h/(p+1)
  GridPoint z{3};
  CHECK(hat_norm_pp(1, 3, z, Rational(3, 2)) == Rational(2, 8) / Rational(5, 2));
}

TEST_CASE("hat proofs succeed on hat blocks and are sound under every single-weight change", "[verify]") {
  std::mt19937_64 rng(21);
  std::size_t accepted = 0;  // perturbations that leave a true hat (unused neurons)
  for (int d = 1; d <= 3; ++d) {
    const int m = 2;
    for (const auto& z : all_nodes(d, m)) {
      if (d == 3 && (z[0] + z[1] + z[2]) % 3) continue;  // a sample of nodes in 3-D
      Dyadic a(Integer(5), -3);
      Grade g = hat_block(d, m, z, a, true);
      Carriers in = input_carriers(d);
      REQUIRE(reads_only_x(g, in));
      Carriers out = output_carriers(g, in);
      for (int i = 0; i < d; ++i) CHECK(out[static_cast<std::size_t>(i)] == i);
      HatProof hp = prove_hat(g, in, d, m, z);
      REQUIRE(hp.ok);
      CHECK(hp.a == a.to_rational());
      // A wrong candidate node is not accepted.
      GridPoint other = z;
      other[0] = z[0] == 0 ? 1 : z[0] - 1;
      CHECK_FALSE(prove_hat(g, in, d, m, other).ok);
      // Soundness: whatever single weight or bias changes, an accepted proof is true.
      for (std::size_t li = 0; li < g.layers.size(); ++li) {
        for (std::size_t e = 0; e < g.layers[li].W.size() + g.layers[li].b.size(); ++e) {
          Grade t = g;
          Rational& v = e < t.layers[li].W.size() ? t.layers[li].W[e].v : t.layers[li].b[e - t.layers[li].W.size()].second;
          v += 1;
          HatProof p = prove_hat(t, in, d, m, z);
          if (!p.ok) continue;
          ++accepted;
          Network net;
          net.dim = d;
          net.width = hat_block_width(d);
          net.grades.push_back(t);
          for (int s = 0; s < 30; ++s) {
            auto x = random_point(d, rng);
            CHECK(grade_outputs<Rational>(net, x)[0] == p.a * hat_formula<Rational>(m, z, x));
          }
        }
      }
    }
  }
  CHECK(accepted > 0);
}

TEST_CASE("hat proofs in small exact dyadics agree with the rational proof", "[verify]") {
  // prove_hat runs in 127-bit dyadics when every number fits and falls back
  // to GMP rationals otherwise: verdict, amplitude and message must be the
  // rational proof's on hat blocks, on blocks with one weight changed (by a
  // dyadic, a non-dyadic, a tiny and a huge number) and at deep levels.
  std::mt19937_64 rng(77);
  const std::vector<Rational> changes{Rational(1), Rational(1, 3), Rational(1, Integer(1) << 70), Rational(Integer(1) << 100),
                                      Rational(-1, 4)};
  std::size_t compared = 0, fast_ok = 0;
  for (int d = 1; d <= 4; ++d) {
    for (int m : {1, 3, max_level_for_dim(d)}) {
      GridPoint z(static_cast<std::size_t>(d));
      for (auto& v : z) v = static_cast<std::int64_t>(rng() % ((std::uint64_t{1} << m) + 1));
      const Dyadic a = rng() % 2 ? Dyadic(Integer(-7), -5) : Dyadic((Integer(1) << 119) + 12345, -140);  // short and 120-bit
      const Grade g = hat_block(d, m, z, a, true);
      const Carriers in = input_carriers(d);
      auto same = [&](const Grade& t, const GridPoint& node) {
        const HatProof f = prove_hat(t, in, d, m, node), q = prove_hat_rational(t, in, d, m, node);
        CHECK(f.ok == q.ok);
        CHECK(f.why_not == q.why_not);
        if (f.ok && q.ok) CHECK(f.a == q.a);
        ++compared;
        return f.ok;
      };
      if (same(g, z)) ++fast_ok;
      for (std::size_t li = 0; li < g.layers.size(); ++li)
        for (std::size_t e = 0; e < g.layers[li].W.size() + g.layers[li].b.size(); e += 1 + rng() % 3)
          for (const auto& c : changes) {
            Grade t = g;
            Rational& v = e < t.layers[li].W.size() ? t.layers[li].W[e].v : t.layers[li].b[e - t.layers[li].W.size()].second;
            v += c;
            same(t, z);
          }
    }
  }
  CHECK(fast_ok == 12);  // every unchanged block is a proved hat
  CHECK(compared > 1000);
}

TEST_CASE("exact interval propagation contains the grade's values", "[verify]") {
  std::mt19937_64 rng(4);
  for (int d = 1; d <= 2; ++d) {
    GridPoint z(static_cast<std::size_t>(d), 1);
    Grade g = hat_block(d, 1, z, Dyadic(Integer(-3), -1), true);
    g.layers[0].W[0].v = Rational(7, 3);  // a general grade
    Carriers in = input_carriers(d);
    for (int t = 0; t < 200; ++t) {
      auto a = random_point(d, rng), b = random_point(d, rng);
      std::vector<QInterval> box;
      for (int i = 0; i < d; ++i) box.push_back({std::min(a[i], b[i]), std::max(a[i], b[i])});
      QInterval r = grade_range(g, in, box);
      std::vector<Rational> x;
      for (int i = 0; i < d; ++i) x.push_back((box[i].lo * 3 + box[i].hi) / 4);
      Rational v = grade_value(g, in, x);
      CHECK(r.lo <= v);
      CHECK(v <= r.hi);
    }
  }
}

TEST_CASE("built schemes: every claim PROVED, sup-norm enclosures within 1%", "[verify]") {
  for (auto [name, eps] : {std::pair{"sin2pi", "5e-2"}, std::pair{"kink", "5e-2"}, std::pair{"absdiff", "2e-1"}}) {
    INFO(name);
    Target f;
    Network net = built(name, eps, &f);
    VerifyReport r = verify_scheme(net, f, opts(eps));
    for (const auto& c : r.claims) {
      INFO(label(c) << ": " << describe(c, r, VerifyOptions{}));
      CHECK(c.verdict == Verdict::Proved);
    }
    CHECK(r.hat_grades == net.grades.size());
    REQUIRE(r.norms.size() >= 2);
    std::mt19937_64 rng(8);
    for (const auto& n : r.norms) {
      CHECK(n.inf_lo <= n.inf_hi);
      if (n.grade > 0) CHECK(n.inf_hi - n.inf_lo <= n.inf_hi / 100);
      CHECK(n.l1_lo <= n.l1_hi);
      CHECK(n.l2_lo <= n.l2_hi);
      // The enclosure holds at sampled points of r_k.
      for (int t = 0; t < 20; ++t) {
        auto x = random_point(f.dim, rng);
        auto g = grade_outputs<Rational>(net, x, n.grade);
        Rational F = 0;
        for (const auto& v : g) F += v;
        std::vector<Interval> xi;
        for (const auto& v : x) xi.push_back(enclose(v));
        Interval rx = f.box(xi) - enclose(F);
        CHECK(lo(bmp::abs(rx)) <= n.inf_hi);
      }
    }
  }
}

TEST_CASE("the tightening allowance changes how wide norm enclosures are, never a verdict", "[verify]") {
  // sinsin at 3e-2 (the default engine of mgdl construct, as in docs/rules.md):
  // a 2-D scheme whose last sup norm is close to its bound.
  ScheduleOptions so;
  so.rule = Rule::SecondOrder;
  so.schedule = Schedule::Local;
  so.eps = parse_decimal("3e-2");
  const Target f = resolve_target("sinsin");
  const Network net = to_network(construct(f, so));
  VerifyOptions wide = opts("3e-2"), tight = opts("3e-2");
  wide.tighten = 1;
  tight.tighten = 1000000;
  const VerifyReport a = verify_scheme(net, f, wide), b = verify_scheme(net, f, tight);
  REQUIRE(a.norms.size() == b.norms.size());
  for (std::size_t i = 0; i < a.claims.size(); ++i) CHECK(a.claims[i].verdict == b.claims[i].verdict);
  CHECK(a.overall() == Verdict::Proved);
  bool wider = false;
  for (std::size_t i = 0; i < a.norms.size(); ++i) {
    // Both are certified: they overlap. The tight one is within 0.5% (plus rounding).
    CHECK(a.norms[i].inf_lo <= b.norms[i].inf_hi);
    CHECK(b.norms[i].inf_lo <= a.norms[i].inf_hi);
    CHECK(b.norms[i].inf_hi <= b.norms[i].inf_lo * Real(1.0051));
    wider = wider || a.norms[i].inf_hi - a.norms[i].inf_lo > b.norms[i].inf_hi - b.norms[i].inf_lo;
    CHECK(a.cells <= b.cells);
  }
  CHECK(wider);
  // C3 is decided with the whole budget, whatever the allowance. On sin2pi at
  // 1e-4 the enclosure an allowance of 1 leaves (no tolerance given) is wider
  // than a tolerance just above the tight upper end; with that tolerance C3
  // is still PROVED with an allowance of 1.
  so.eps = parse_decimal("1e-4");
  const Target g = resolve_target("sin2pi");
  const Network n2 = to_network(construct(g, so));
  VerifyOptions loose;
  loose.tighten = 1;
  VerifyOptions fine = loose;
  fine.tighten = 1000000;
  const VerifyReport wide_r = verify_scheme(n2, g, loose), tight_r = verify_scheme(n2, g, fine);
  const Rational eps = Rational(tight_r.norms.back().inf_hi.convert_to<double>() * 1.001);
  REQUIRE(wide_r.norms.back().inf_hi > Real(eps.convert_to<double>()));  // the decision is needed
  VerifyOptions close = loose;
  close.eps = eps;
  const VerifyReport c = verify_scheme(n2, g, close);
  CHECK(c.claim(Claim::C3).verdict == Verdict::Proved);
  CHECK(c.claim(Claim::C3).upper <= eps);
  // Nested for every allowance where the partition starts alike (the first
  // norm grade; later ones carry a partition that depends on the allowance):
  // the sup-norm enclosure never widens as the allowance grows, because a
  // child keeps its parent's bounds.
  std::optional<NormEnclosure> prev;
  for (std::size_t t = 1; t <= 4096; t *= 4) {
    VerifyOptions o;
    o.tighten = t;
    const VerifyReport r = verify_scheme(n2, g, o);
    if (prev) {
      INFO("allowance " << t);
      CHECK(r.norms[0].inf_hi <= prev->inf_hi);
      CHECK(r.norms[0].inf_lo >= prev->inf_lo);
    }
    prev = r.norms[0];
  }
  // Children keep their parent's bounds: sinsin at 1e-3 (the docs/rules.md
  // row) ends 0.2% under eps, and children of cells already proved <= eps
  // would otherwise bring back looser bounds of their own (it was UNDECIDED).
  ScheduleOptions s3 = so;
  s3.eps = parse_decimal("1e-3");
  const Target ss = resolve_target("sinsin");
  const VerifyReport r3 = verify_scheme(to_network(construct(ss, s3)), ss, opts("1e-3"));
  CHECK(r3.claim(Claim::C3).verdict == Verdict::Proved);
}

TEST_CASE("verdicts at two precisions agree and their norm enclosures overlap", "[verify]") {
  Target f;
  Network net = built("kink", "1e-1", &f);
  set_precision_bits(64);
  VerifyReport a = verify_scheme(net, f, opts("1e-1"));
  set_precision_bits(200);
  VerifyReport b = verify_scheme(net, f, opts("1e-1"));
  set_precision_bits(128);
  CHECK(a.overall() == Verdict::Proved);
  CHECK(b.overall() == Verdict::Proved);
  REQUIRE(a.norms.size() == b.norms.size());
  for (std::size_t i = 0; i < a.norms.size(); ++i) {
    CHECK(a.norms[i].inf_lo <= b.norms[i].inf_hi);
    CHECK(b.norms[i].inf_lo <= a.norms[i].inf_hi);
    CHECK(a.norms[i].l2_lo <= b.norms[i].l2_hi);
    CHECK(b.norms[i].l2_lo <= a.norms[i].l2_hi);
  }
}

TEST_CASE("at 16 bits the norm enclosures of r_0 = sin(2 pi x) still hold its exact L^1 and L^2 norms (every sum rounded outward)", "[verify]") {
  // ||sin(2 pi x)||_1 = 2/pi and ||sin(2 pi x)||_2 = 1/sqrt(2) on [0,1]. At
  // 16 decimal bits (about 21 binary) an ulp near 1/2 is about 2^-22: adding
  // the 4,096 slabs' parts rounded the wrong way moves an end by up to 4,096
  // ulps, more than the width a tight enclosure leaves.
  Target f;
  const Network net = built("sin2pi", "1e-1", &f);
  set_precision_bits(16);
  VerifyOptions o = opts("1e-1");
  o.tighten = 400000;
  o.budget = 400000;
  o.rel_width = Rational(1, 100000);  // integrals are refined to 10x this relative width
  o.slab_level = 12;                   // 4,096 slab sums added up
  const VerifyReport r = verify_scheme(net, f, o);
  set_precision_bits(128);
  REQUIRE(!r.norms.empty());
  const NormEnclosure& n0 = r.norms.front();
  Real pi;
  mpfr_const_pi(pi.backend().data(), MPFR_RNDN);  // 128 bits: far inside the 16-bit enclosures' widths
  const Real l1 = Real(2) / pi, l2 = sqrt(Real(1) / 2);
  INFO("L1 in [" << n0.l1_lo << ", " << n0.l1_hi << "], L2 in [" << n0.l2_lo << ", " << n0.l2_hi << "]");
  CHECK(Real(n0.l1_lo) <= l1);
  CHECK(l1 <= Real(n0.l1_hi));
  CHECK(Real(n0.l2_lo) <= l2);
  CHECK(l2 <= Real(n0.l2_hi));
  CHECK(Real(n0.l1_hi) - Real(n0.l1_lo) < Real(1) / 100);  // mostly the outward rounding of the 4,096 additions
}

// Every verdict, witness, enclosure and count of two reports, exactly.
void same_report(const VerifyReport& a, const VerifyReport& b) {
  REQUIRE(a.claims.size() == b.claims.size());
  for (std::size_t i = 0; i < a.claims.size(); ++i) {
    CHECK(a.claims[i].verdict == b.claims[i].verdict);
    CHECK(describe(a.claims[i], a, VerifyOptions{}) == describe(b.claims[i], b, VerifyOptions{}));
    CHECK(a.claims[i].open == b.claims[i].open);
    CHECK(a.claims[i].at == b.claims[i].at);
    CHECK(a.claims[i].max_cells == b.claims[i].max_cells);
    CHECK(a.claims[i].deepest == b.claims[i].deepest);
    CHECK(a.claims[i].lower == b.claims[i].lower);
    CHECK(a.claims[i].upper == b.claims[i].upper);
    CHECK(static_cast<bool>(a.claims[i].witness) == static_cast<bool>(b.claims[i].witness));
    if (a.claims[i].witness && b.claims[i].witness) {
      CHECK(a.claims[i].witness->grade == b.claims[i].witness->grade);
      CHECK(a.claims[i].witness->x == b.claims[i].witness->x);
      CHECK(a.claims[i].witness->evidence == b.claims[i].witness->evidence);
    }
  }
  CHECK(a.cells == b.cells);
  CHECK(a.trivial_grades == b.trivial_grades);
  REQUIRE(a.norms.size() == b.norms.size());
  for (std::size_t i = 0; i < a.norms.size(); ++i) {
    CHECK(a.norms[i].inf_lo == b.norms[i].inf_lo);
    CHECK(a.norms[i].inf_hi == b.norms[i].inf_hi);
    CHECK(a.norms[i].l1_lo == b.norms[i].l1_lo);
    CHECK(a.norms[i].l1_hi == b.norms[i].l1_hi);
    CHECK(a.norms[i].l2_lo == b.norms[i].l2_lo);
    CHECK(a.norms[i].l2_hi == b.norms[i].l2_hi);
    CHECK(a.norms[i].argmax == b.norms[i].argmax);
    CHECK(a.norms[i].cells == b.norms[i].cells);
  }
}

TEST_CASE("one thread and two threads give identical reports", "[verify]") {
  Target f;
  Network net = built("sinsin", "2e-1", &f);
  net.grades[30].readout.c[0].second *= 2;  // something to refute, too
  VerifyOptions o = opts("2e-1");
  o.threads = 1;
  VerifyReport a = verify_scheme(net, f, o);
  o.threads = 2;
  VerifyReport b = verify_scheme(net, f, o);
  same_report(a, b);
}

TEST_CASE("the norm partition gives the same report whatever the chunk its cells are evaluated in", "[verify]") {
  // Chunks of 7 and 100 cells: every corner table is rebuilt per chunk, and a
  // result stored at the wrong place or a corner missing from a chunk's table
  // shows here. The integrals' splits are undone from the split cells alone:
  // the partition carried from one norm grade to the next must be the same.
  Target f;
  Network net = built("sinsin", "5e-2", &f);
  VerifyOptions o = opts("5e-2");
  o.threads = 1;
  const VerifyReport a = verify_scheme(net, f, o);
  REQUIRE(a.norms.size() >= 3);
  for (std::size_t chunk : {std::size_t{7}, std::size_t{100}}) {
    o.eval_chunk = chunk;
    same_report(a, verify_scheme(net, f, o));
  }
}

// The reports of N ranks, each on its own thread.
std::vector<VerifyReport> on_ranks(int n, const Network& net, const Target& f, VerifyOptions o) {
  std::vector<VerifyReport> out(static_cast<std::size_t>(n));
  o.threads = 1;
  mgdl::testing::run_ranks(n, 128, [&](const Comm& comm) {
    VerifyOptions mine = o;
    mine.comm = &comm;
    out[static_cast<std::size_t>(comm.rank())] = verify_scheme(net, f, mine);
  });
  return out;
}

TEST_CASE("ranks: 1, 2 and 3 ranks give the report of one process, proved, refuted and undecided, in 1-D, 2-D and 3-D", "[verify][ranks]") {
  struct Case {
    const char* target;
    const char* eps;
    int tamper;   // the grade this many before the last has its readout tripled (0: none)
    std::size_t budget;
    std::optional<int> slab_level;
    bool general = false;  // grade 3 loses its hint: a general grade, searched over the whole cube
  };
  for (const Case& c : {Case{"sin2pi", "1e-3", 0, 200000, std::nullopt}, Case{"sin2pi", "5e-2", 5, 20000, std::nullopt, true},
                        Case{"runge", "1e-2", 0, 1, 3}, Case{"sinsin", "5e-2", 0, 200000, std::nullopt},
                        Case{"sinsin", "5e-2", 3, 20000, 2}, Case{"sin(x1+x2+x3)", "1e-1", 0, 200000, std::nullopt}}) {
    INFO(c.target << " eps " << c.eps << " tamper " << c.tamper << " budget " << c.budget);
    set_precision_bits(128);
    const Target f = resolve_target(c.target);
    ScheduleOptions so;
    so.eps = parse_decimal(c.eps);
    use_default_engine(so, f);
    so.defect_depth = 1;
    Network net = to_network(construct(f, so));
    if (c.tamper) net.grades[net.grades.size() - 1 - static_cast<std::size_t>(c.tamper)].readout.c[0].second *= 3;
    if (c.general) net.grades[2].hint = GradeHint{};
    VerifyOptions o = opts(c.eps);
    o.budget = c.budget;
    o.slab_level = c.slab_level;
    o.threads = 1;
    const VerifyReport one = verify_scheme(net, f, o);
    CHECK(one.general_grades == (c.general ? 1u : 0u));
    if (c.tamper) CHECK(one.claim(Claim::C2).verdict == Verdict::Refuted);
    if (c.budget < 10) CHECK(one.overall() == Verdict::Undecided);
    if (!c.tamper && c.budget > 10) CHECK(one.overall() == Verdict::Proved);
    for (int n = 1; n <= 3; ++n) {
      INFO(n << " ranks");
      for (const VerifyReport& r : on_ranks(n, net, f, o)) same_report(one, r);
    }
    // Batches of 3 grades exchanged 2 batches a round: many rounds per window,
    // each folded on its own (a part folded in the wrong round, or a round
    // missed, changes the report or fails a self-check).
    VerifyOptions small = o;
    small.check_batch = 3;
    small.exchange_batches = 2;
    for (int n = 1; n <= 3; n += 2) {
      INFO(n << " ranks, batches of 3 grades, 2 a round");
      for (const VerifyReport& r : on_ranks(n, net, f, small)) same_report(one, r);
    }
  }
}

TEST_CASE("ranks: more ranks than slabs is an input error, before anything is exchanged", "[verify][ranks]") {
  Target f;
  Network net = built("sin2pi", "1e-1", &f);
  VerifyOptions o = opts("1e-1");
  o.slab_level = 1;
  mgdl::testing::ThreadComm::Shared shared(3);
  mgdl::testing::ThreadComm comm(shared, 0);  // never reaches the barrier: the options are refused first
  o.comm = &comm;
  CHECK_THROWS_AS(verify_scheme(net, f, o), InputError);
  o.comm = nullptr;
  o.slab_level = 9;
  o.max_level = 8;
  CHECK_THROWS_AS(verify_scheme(net, f, o), InputError);
  o.slab_level = -1;
  CHECK_THROWS_AS(verify_scheme(net, f, o), InputError);
  // 2^(B d) starting cells per norm partition: at most 2^16 (B = 17 in 1-D is refused, 16 is not).
  o.max_level = 48;
  o.slab_level = 17;
  CHECK_THROWS_AS(verify_scheme(net, f, o), InputError);
}

TEST_CASE("slabs: a defect inside one slab, or across a slab boundary, is refuted at every slab level", "[verify][ranks]") {
  set_precision_bits(128);
  // g = phi_{1,1} / 2 and f = phi_{1,1} minus a narrow bump: 2 f >= g fails
  // only under the bump. At x = 0.3 the bump lies inside one slab of any
  // level; at x = 5/16 its middle is a boundary of the slabs of levels 4 and
  // up. The coarse hat (level 1) is searched in parts, one per slab.
  for (const char* centre : {"0.3", "5/16"}) {
    const std::string e = std::string("1-abs(2*x-1) - 0.9*max(0, 1 - 4000*abs(x - ") + centre + "))";
    Target f = target_from_expression(e);
    Network net;
    net.dim = 1;
    Grade g = hat_block(1, 1, GridPoint{1}, Dyadic(1).times_pow2(-1), true);
    g.hint.level = 1;
    net.width = g.layers[0].out;
    net.grades = {g};
    for (int B = 0; B <= 8; ++B) {
      INFO(e << " slab level " << B);
      VerifyOptions o;
      o.eps = Rational(1);
      o.slab_level = B;
      const VerifyReport r = verify_scheme(net, f, o);
      REQUIRE(r.claim(Claim::C2).verdict == Verdict::Refuted);
      CHECK(witness_breaks_c2(net, f, *r.claim(Claim::C2).witness));
    }
  }
}

TEST_CASE("planted defects are refuted at the right grade, with witnesses that re-check", "[verify]") {
  Target f;
  const Network net = built("sin2pi", "5e-2", &f);
  REQUIRE(net.grades.size() > 60);
  const std::size_t k = 40;  // 1-based grade to tamper with
  VerifyOptions o = opts("5e-2");

  SECTION("a readout coefficient made too large") {
    Network t = net;
    t.grades[k - 1].readout.c[0].second *= 3;
    VerifyReport r = verify_scheme(t, f, o);
    const auto& c2 = claim(r, Claim::C2);
    REQUIRE(c2.verdict == Verdict::Refuted);
    CHECK(c2.witness->grade == k);
    CHECK(witness_breaks_c2(t, f, *c2.witness));
  }
  SECTION("one weight changed (the hat's bias)") {
    Network t = net;
    for (auto& [row, v] : t.grades[k - 1].layers.back().b) v = 1000;
    VerifyReport r = verify_scheme(t, f, o);
    const auto& c2 = claim(r, Claim::C2);
    REQUIRE(c2.verdict == Verdict::Refuted);
    CHECK(c2.witness->grade == k);
    CHECK(witness_breaks_c2(t, f, *c2.witness));
    CHECK(r.general_grades == 1);
  }
  SECTION("one grade reading a skipped layer") {
    Network t = net;
    t.grades[k - 1].layers[0].in = 1;  // reads x directly, not grade k-1's last layer
    VerifyReport r = verify_scheme(t, f, o);
    const auto& c1 = claim(r, Claim::C1);
    REQUIRE(c1.verdict == Verdict::Refuted);
    CHECK(c1.witness->grade == k);
    CHECK(r.overall() == Verdict::Refuted);
  }
  SECTION("a layer made wider") {
    Network t = net;
    t.grades[k - 1].layers[0].out += 1;
    VerifyReport r = verify_scheme(t, f, o);
    REQUIRE(claim(r, Claim::C1).verdict == Verdict::Refuted);
    CHECK(claim(r, Claim::C1).witness->grade == k);
  }
  SECTION("a target wrong in one place (f - a bump)") {
    Target g = target_from_expression("sin(2*pi*x) - 0.2*max(0, 1 - 50*abs(x - 0.3))");
    VerifyReport r = verify_scheme(net, g, o);
    REQUIRE(claim(r, Claim::C2).verdict == Verdict::Refuted);
    CHECK(witness_breaks_c2(net, g, *claim(r, Claim::C2).witness));
    CHECK(claim(r, Claim::C3).verdict == Verdict::Refuted);
    // The refuting point lies under the bump.
    CHECK(bmp::abs(claim(r, Claim::C2).witness->x[0] - Rational(3, 10)) < Rational(1, 50));
  }
}

TEST_CASE("a claim that needs more budget is UNDECIDED, never PROVED", "[verify]") {
  Target f;
  Network net = built("sin2pi", "1e-1", &f);
  VerifyOptions o = opts("1e-1");
  o.budget = 1;  // an interior hat's support is two cells of its level
  VerifyReport r = verify_scheme(net, f, o);
  CHECK(claim(r, Claim::C2Sign).verdict == Verdict::Undecided);
  CHECK(r.overall() == Verdict::Undecided);
}

TEST_CASE("grades reading features beyond x get the general-network analysis", "[verify]") {
  Target f;
  Network net = built("kink", "1e-1", &f);
  REQUIRE(net.grades.size() > 3);
  net.grades[2].layers[0].W.push_back({0, 1, Rational(1, 1000)});  // reads grade 2's hat neuron
  // Grade by grade, the checker cannot enclose it: it asks for the whole network.
  std::size_t emitted = 0;
  CHECK_FALSE(verify_stream(net.dim, net.width, [&](const std::function<void(const Grade&)>& emit) {
    for (const Grade& g : net.grades) emit(g), ++emitted;
  }, f, opts("1e-1")));
  CHECK(emitted == net.grades.size());  // the stream is read to its end
  VerifyReport r = verify_scheme(net, f, opts("1e-1"));
  CHECK(claim(r, Claim::C1).verdict == Verdict::Proved);
  REQUIRE(r.network);
  REQUIRE(r.rows.size() == net.grades.size() + 1);
  // The grades before the change are the constructor's hats: proved as before.
  CHECK(r.rows[1].c2 == Verdict::Proved);
  CHECK(r.rows[2].c2 == Verdict::Proved);
  // Every refutation re-checks exactly; every grade has finite norm enclosures.
  for (const auto& row : r.rows) {
    if (row.c2_w) CHECK(witness_breaks_c2(net, f, *row.c2_w));
    CHECK(row.norm.inf_hi < infinity());
  }
}

// ---- The tables generator (theorems/): plain-text and LaTeX tables, the
// default engine's Lemma 2' row, figures. Cheap runs (eps 1e-1; the default engine at 1e-3, two levels for kink, and 3e-2, one level for absdiff).

namespace {
std::vector<TargetRun> cheap_runs() {
  TablesOptions o;
  o.threads = 1;
  return run_targets({{"kink", "1e-1", true, Engine::TheoremA}, {"kink", "1e-3", true, Engine::Default}, {"absdiff", "3e-2", true, Engine::Default}}, o);
}
std::string read_all(const std::string& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

TEST_CASE("plain-text tables never run columns together", "[tables]") {
  std::string t = text_table({{"name", "dim", "expression"}, {"weierstrass", "1", "sum_{n>=0} 2^-n cos(3^n pi x)"}, {"a", "12345", ""}});
  std::istringstream in(t);
  std::string line;
  std::vector<std::string> lines;
  while (std::getline(in, line)) lines.push_back(line);
  REQUIRE(lines.size() == 3);
  // Every column starts at the same offset in every row, two spaces after the widest cell before it.
  CHECK(lines[0].find("dim") == std::string("weierstrass").size() + 2);
  CHECK(lines[1].find(" 1 ") == std::string("weierstrass").size() + 1);
  CHECK(lines[0].find("expression") == lines[1].find("sum_"));
  CHECK(lines[1].substr(0, 13) == "weierstrass  ");
}

TEST_CASE("theorem tables: both engines, Lemma 2' judged from the checker's enclosures, LaTeX and figures", "[tables]") {
  set_precision_bits(128);
  std::vector<TargetRun> runs = cheap_runs();
  REQUIRE(runs.size() == 3);
  const Statement* l2p = find_statement("default-lemma2");
  REQUIRE(l2p);
  CHECK(l2p->engine == Engine::Default);
  std::size_t planted = 0;
  for (const auto& r : runs) {
    if (r.engine != Engine::Default) continue;
    CHECK(l2p->row(r).back() == "PROVED");
    // A planted defect: the constructor claims a zero norm before every
    // level, so every target t_l is eps, and the first level ends (proved by
    // the checker) above eps. (absdiff at 3e-2 is one level: its first level
    // is already the last, docs/theory.md 8.2.)
    if (r.construction.levels.size() < 2) continue;
    ++planted;
    TargetRun bad = r;
    for (auto& L : bad.construction.levels) L.norm_hi = Real(0);
    CHECK(l2p->row(bad).back() == "REFUTED");
    // mgdl tables --check fails on a row that is not PROVED, and names it.
    const std::vector<std::string> u = unproved_rows({bad}, {});
    CHECK(std::find(u.begin(), u.end(), "theorems.md, default-lemma2: " + r.name + " " + r.eps + ": REFUTED") != u.end());
  }
  CHECK(planted >= 1);
  CHECK(unproved_rows(runs, runs).empty());
  // Each statement's plain-text table holds the runs of its engine only.
  const std::string txt = render_statement(*find_statement("theoremA-C3"), runs);
  CHECK(txt.find("absdiff") == std::string::npos);
  CHECK(render_statement(*l2p, runs).find("absdiff") != std::string::npos);
  const std::string md = render_tables(runs, true);
  CHECK(md.find("## default-lemma2") != std::string::npos);
  CHECK(md.find("figures/kink-so-norms.svg") != std::string::npos);
  CHECK(md.find("figures/absdiff-so-heat.svg") != std::string::npos);

  auto dir = std::filesystem::temp_directory_path() / ("mgdl_test_tables-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto files = write_latex(runs, runs, dir.string());
  std::size_t tables = 0, figures = 0;
  for (const auto& name : files) {
    const std::string tex = read_all((dir / name).string());
    long depth = 0;
    for (char c : tex) depth += c == '{' ? 1 : c == '}' ? -1 : 0;
    INFO(name);
    CHECK(depth == 0);  // braces balance
    if (name.rfind("figures/", 0) == 0) {
      ++figures;
      CHECK(tex.find("\\begin{tikzpicture}") != std::string::npos);
      CHECK(tex.find("\\end{tikzpicture}") != std::string::npos);
    } else {
      ++tables;
      CHECK(tex.find("\\toprule") != std::string::npos);
      CHECK(tex.find("\\bottomrule") != std::string::npos);
      CHECK(tex.find("||", tex.find('\n')) == std::string::npos);  // norms are set in math mode (the comment line aside)
    }
  }
  CHECK(tables == statements().size() + 1);  // every statement has runs here, and rules.tex
  CHECK(figures == 2 + 2 + 1);               // kink: norms + residual per engine; absdiff: heat
  const std::string norms = read_all((dir / "figures/kink-so-norms.tex").string());
  CHECK(norms.find("ymode=log") != std::string::npos);
  CHECK(norms.find("legend pos=outer north east") != std::string::npos);

  // SVG figures: deterministic, log axes with 1-2-5 ticks, the legend outside the plot area.
  auto a = write_figures(runs, (dir / "a").string());
  auto b = write_figures(runs, (dir / "b").string());
  REQUIRE(a == b);
  for (const auto& n : a) CHECK(read_all((dir / "a" / n).string()) == read_all((dir / "b" / n).string()));
  const std::string svg = read_all((dir / "a" / "kink-so-norms.svg").string());
  CHECK(svg.find(">1e-1</text>") != std::string::npos);
  CHECK(svg.find(">2</text>") != std::string::npos);  // x axis: k + 1 = 1, 2, 5, ...
  CHECK(svg.find(">5</text>") != std::string::npos);
  std::filesystem::remove_all(dir);
}

namespace {
// A network of hat blocks (level hint, m, node, amplitude) for f = 0, where
// r_k = -F_k and F_k is affine on each Kuhn simplex of the finest level:
// sup |r_k| is the largest |F_k| at the nodes of that level, computed exactly.
struct PlantedHat {
  int level, m;
  std::vector<std::int64_t> node;
  Rational a;
};
Network planted_hats(int d, const std::vector<PlantedHat>& hats) {
  Network net;
  net.dim = d;
  net.width = hat_block_width(d);
  for (const auto& h : hats) {
    Grade g = hat_block(d, h.m, h.node, Dyadic(1), net.grades.empty());
    g.readout.c[0].second = h.a;  // may be non-dyadic: then a general grade
    g.hint.level = h.level;
    net.grades.push_back(std::move(g));
  }
  return net;
}
Rational exact_sup(const Network& net, std::size_t k, int level) {
  Rational best = 0;
  const std::int64_t top = std::int64_t{1} << level;
  GridPoint lo(static_cast<std::size_t>(net.dim), 0), hi(static_cast<std::size_t>(net.dim), top);
  for_each_point(lo, hi, [&](const GridPoint& p) {
    std::vector<Rational> x;
    for (auto v : p) x.emplace_back(v, top);
    Rational F = 0;
    for (const auto& g : grade_outputs<Rational>(net, std::span<const Rational>(x), k)) F += g;
    if (bmp::abs(F) > best) best = bmp::abs(F);
  });
  return best;
}
// d = 1: ||F_k||_1 and ||F_k||_2^2 exactly (F_k linear on each segment of the finest level).
std::pair<Rational, Rational> exact_integrals_1d(const Network& net, std::size_t k, int level) {
  const std::int64_t top = std::int64_t{1} << level;
  auto F = [&](std::int64_t i) {
    const Rational x[1] = {Rational(i, top)};
    Rational s = 0;
    for (const auto& g : grade_outputs<Rational>(net, std::span<const Rational>(x, 1), k)) s += g;
    return s;
  };
  const Rational h(1, top);
  Rational l1 = 0, l2 = 0, a = F(0);
  for (std::int64_t i = 1; i <= top; ++i) {
    const Rational b = F(i);
    if (a * b >= 0) l1 += (bmp::abs(a) + bmp::abs(b)) / 2 * h;
    else l1 += (a * a + b * b) / (2 * (bmp::abs(a) + bmp::abs(b))) * h;
    l2 += (a * a + a * b + b * b) / 3 * h;
    a = b;
  }
  return {l1, l2};
}
}  // namespace

TEST_CASE("norm enclosures carried from level to level see every hat added since (planted sup norms)", "[verify]") {
  set_precision_bits(128);
  // 1-D: a finer hat inside a coarse cell of the partition (the coarse index),
  // a coarse hat under fine cells (the node index), and a general grade (a
  // non-dyadic amplitude), after which every enclosure starts afresh.
  // Hats only (a general grade anywhere makes every enclosure start afresh).
  // The hat at 3/4 (a node on the boundary of the coarse cell [3/4, 1])
  // meets that cell only on the right of its node; mutant C34 lost such
  // cells, which shows in the integrals (its peak is a corner of a cell it
  // still found, so the sup norm alone did not see it).
  const std::vector<PlantedHat> one{{1, 1, {1}, Rational(1)},  {2, 4, {0}, Rational(8)}, {3, 4, {12}, Rational(1000)},
                                    {4, 3, {1}, Rational(4)},  {5, 1, {1}, Rational(1)}, {6, 2, {3}, Rational(-12)}};
  // The same, then a general grade (a non-dyadic amplitude) that moves the
  // sup, then hats again: the enclosure after the general grade starts afresh,
  // the ones after it carry the partition (with the general grade in r).
  std::vector<PlantedHat> general = one;
  general.push_back({7, 3, {7}, Rational(-5000, 3)});
  general.push_back({8, 4, {3}, Rational(-4096)});
  general.push_back({9, 2, {1}, Rational(2)});
  // 2-D: the same moves on the Kuhn triangulation.
  const std::vector<PlantedHat> two{{1, 1, {1, 1}, Rational(1)}, {2, 3, {0, 0}, Rational(8)}, {3, 2, {1, 1}, Rational(4)},
                                    {4, 1, {1, 1}, Rational(1)}, {5, 3, {7, 2}, Rational(-8)}, {6, 2, {3, 3}, Rational(10)}};
  for (const std::vector<PlantedHat>* hats : {&one, static_cast<const std::vector<PlantedHat>*>(&general), &two}) {
    const int d = static_cast<int>(hats->front().node.size());
    INFO("d = " << d);
    const Network net = planted_hats(d, *hats);
    int finest = 0;  // F_k is affine on the Kuhn simplices of the finest hat level
    for (const auto& h : *hats) finest = std::max(finest, h.m);
    Target f = target_from_expression(d == 1 ? "0*x" : "0*x1", d);
    // Slab level 0 too: the partition then starts from the whole cube, so the
    // planted hats meet cells coarser than their own level.
    for (const auto& [threads, slab] : {std::pair{1u, -1}, std::pair{2u, -1}, std::pair{1u, 0}}) {
      INFO("threads " << threads << ", slab level " << slab);
      VerifyOptions o;
      o.threads = threads;
      if (slab >= 0) o.slab_level = slab;
      VerifyReport r = verify_scheme(net, f, o);
      REQUIRE(r.norms.size() == net.grades.size() + 1);  // every grade ends a level
      for (const auto& n : r.norms) {
        INFO("grade " << n.grade);
        const Rational exact = exact_sup(net, n.grade, finest);
        CHECK(n.inf_lo <= hi(enclose(exact)));
        CHECK(n.inf_hi >= lo(enclose(exact)));
        CHECK(n.inf_hi - n.inf_lo <= Real(exact) / 100 + Real(1e-30));
        if (d == 1) {  // the integrals of |F| and F^2, exactly, segment by segment
          const auto [l1, l2sq] = exact_integrals_1d(net, n.grade, finest);
          CHECK(n.l1_lo <= hi(enclose(l1)));
          CHECK(n.l1_hi >= lo(enclose(l1)));
          CHECK(n.l2_lo * n.l2_lo <= hi(enclose(l2sq)));
          CHECK(n.l2_hi * n.l2_hi >= lo(enclose(l2sq)));
        }
      }
      CHECK(exact_sup(net, 2, finest) > exact_sup(net, 1, finest));  // the boundary hat moved the sup
      if (hats == &general) {
        CHECK(exact_sup(net, 7, finest) > exact_sup(net, 6, finest));  // the general grade moved the sup
        CHECK(exact_sup(net, 8, finest) > exact_sup(net, 7, finest));  // and so did the hat after it
      }
    }
  }
}

TEST_CASE("Fact Z proves signs at zero faces only where f and the network are exactly 0 there (planted)", "[verify]") {
  set_precision_bits(128);
  VerifyOptions o;
  o.eps = Rational(1);
  auto sign_of = [&](const char* text, const std::vector<PlantedHat>& hats) {
    const Target f = target_from_expression(text, 1);
    return verify_scheme(planted_hats(1, hats), f, o).claim(Claim::C2Sign);
  };
  // r_1 = sin(pi x) - (87/256) phi_{3,1}: >= 0 on the cube and 0 at x = 0, with slope
  // about 0.42 there. Only the anchored form proves the cells at 0 (every other
  // enclosure of r on [0, h] has a negative lower end).
  const PlantedHat hat{1, 3, {1}, Rational(87, 256)};
  CHECK(sign_of("sin(pi*x)", {hat}).verdict == Verdict::Proved);
  // f is 2^-20 (then 2^-120) below 0 at x = 0: r_1 < 0 on [0, about 2^-21]. A zero
  // face within any tolerance of 0 would prove the false claim.
  const auto near = sign_of("sin(pi*x) - 2^-20", {hat});
  CHECK(near.verdict == Verdict::Refuted);
  if (near.witness) CHECK(near.witness->x[0] < Rational(1, 1 << 18));
  CHECK(sign_of("sin(pi*x) - 2^-120", {hat}).verdict != Verdict::Proved);
  // f is 0 at x = 0, but the network is not: a hat at the node 0 (a = 2^-20 > 0)
  // makes r_1 = sin(pi x) - 2^-20 phi_{3,0} < 0 near 0.
  const auto net_nonzero = sign_of("sin(pi*x)", {{1, 3, {0}, Rational(1, 1 << 20)}});
  CHECK(net_nonzero.verdict == Verdict::Refuted);
  if (net_nonzero.witness) CHECK(net_nonzero.witness->x[0] < Rational(1, 1 << 18));
  // The upper face x = 1 (sin(pi x) is exactly 0 there through sinpi): the
  // mirror image of the first case is proved, and of the second refuted.
  CHECK(sign_of("sin(pi*x)", {{1, 3, {7}, Rational(87, 256)}}).verdict == Verdict::Proved);
  CHECK(sign_of("sin(pi*x)", {{1, 3, {8}, Rational(1, 1 << 20)}}).verdict == Verdict::Refuted);
}
