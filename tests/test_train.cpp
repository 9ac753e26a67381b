// Grade-wise training (train/train.hpp): the least-squares readout, exact
// conversion, determinism, and the certified variant's guarantee re-checked by
// the independent checker.
#include "train/train.hpp"

#include "constructive/import.hpp"
#include "targets/catalogue.hpp"
#include "verify/network.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace mgdl;

namespace {
TrainOptions small(bool certified) {
  TrainOptions o;
  o.grades = 3;
  o.width = 12;
  o.epochs = 60;
  o.samples = 300;
  o.seed = 7;
  o.certified = certified;
  return o;
}
}  // namespace

TEST_CASE("least squares readout: exact data recovered, rank deficiency allowed", "[train]") {
  SplitMix rng{3};
  const std::size_t n = 40, m = 3;
  std::vector<double> Z(n * m), r(n);
  const double c[] = {0.5, -2.0, 1.25}, c0 = 0.75;
  for (std::size_t i = 0; i < n; ++i) {
    r[i] = c0;
    for (std::size_t j = 0; j < m; ++j) Z[i * m + j] = rng.uniform(), r[i] += c[j] * Z[i * m + j];
  }
  auto s = least_squares_readout(Z, n, m, r);
  REQUIRE(s.size() == m + 1);
  for (std::size_t j = 0; j < m; ++j) CHECK(std::fabs(s[j] - c[j]) < 1e-10);
  CHECK(std::fabs(s[m] - c0) < 1e-10);
  // A duplicated column: the fit still reproduces r, and the least-norm
  // solution splits the weight equally between the two copies.
  std::vector<double> Z2(n * (m + 1));
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < m; ++j) Z2[i * (m + 1) + j] = Z[i * m + j];
    Z2[i * (m + 1) + m] = Z[i * m];
  }
  auto s2 = least_squares_readout(Z2, n, m + 1, r);
  for (std::size_t i = 0; i < n; ++i) {
    double v = s2[m + 1];
    for (std::size_t j = 0; j <= m; ++j) v += s2[j] * Z2[i * (m + 1) + j];
    CHECK(std::fabs(v - r[i]) < 1e-9);
  }
  CHECK(std::fabs(s2[0] - c[0] / 2) < 1e-9);
  CHECK(std::fabs(s2[m] - c[0] / 2) < 1e-9);
  CHECK_THROWS_AS(least_squares_readout(Z, n, m + 1, r), InputError);
}

TEST_CASE("plain training: deterministic, exact floats, the readout never raises the training MSE", "[train]") {
  const Target f = *find_target("sin2pi");
  const Training a = train(f, small(false)), b = train(f, small(false));
  REQUIRE(a.scheme.net.grades.size() == 3);
  REQUIRE(!structure_check(a.scheme.net));
  for (std::size_t k = 0; k < 3; ++k) {
    const Layer& La = a.scheme.net.grades[k].layers.at(0);
    const Layer& Lb = b.scheme.net.grades[k].layers.at(0);
    REQUIRE(La.W.size() == Lb.W.size());
    for (std::size_t i = 0; i < La.W.size(); ++i) {
      CHECK(La.W[i].v == Lb.W[i].v);
      // Every weight is the exact value of a double: a dyadic with a 53-bit mantissa.
      const Dyadic w = Dyadic::from_rational(La.W[i].v);
      CHECK(static_cast<double>(La.W[i].v) == static_cast<double>(w.to_real()));
      CHECK(exact_double(static_cast<double>(La.W[i].v), "w") == La.W[i].v);
    }
    // The carry neuron holds x exactly: row 0 reads column 0 with weight 1, no bias.
    CHECK(La.W.front().row == 0);
    CHECK(La.W.front().col == 0);
    CHECK(La.W.front().v == 1);
    // Least squares over (c, c0) includes c = 0, c0 = 0: never worse than no grade.
    CHECK(a.log[k].mse <= a.log[k].mse_before * (1 + 1e-12));
  }
  CHECK(a.log.back().mse < a.log.front().mse_before / 10);
  // The MSE of the written network on the same points is the logged one.
  CHECK(sample_mse(a.scheme.net, f, 300, 7) == Approx(a.log.back().mse).epsilon(1e-12));
}

TEST_CASE("plain training on sin2pi: the checker refutes C2 at grade 1 and the certified variant replaces that grade", "[train]") {
  const Target f = *find_target("sin2pi");
  TrainOptions o = small(false);
  o.grades = 1;
  const Training plain = train(f, o);
  VerifyOptions vo;
  std::size_t cells = 0;
  const GradeRow row = check_last_grade(plain.scheme.net, f, vo, cells);
  REQUIRE(row.sign == Verdict::Refuted);
  o.certified = true;
  const Training cert = train(f, o);
  CHECK(cert.log[0].action != "trained");
  CHECK(cert.log[0].sign == Verdict::Proved);
}

TEST_CASE("certified training: every grade proved sign-preserving, re-checked by the full analysis (d = 1, 2)", "[train]") {
  for (const char* name : {"sin2pi", "sinsin"}) {
    const Target f = *find_target(name);
    TrainOptions o = small(true);
    const Training t = train(f, o);
    for (const auto& g : t.log) {
      CHECK(g.sign == Verdict::Proved);
      CHECK(g.mse <= g.mse_before * (1 + 1e-12));
    }
    // The 2-D contraction grades (hats side by side) are proved: their support
    // vertices, where inner kinks meet, once stayed UNDECIDED in the checker.
    if (f.dim == 2) CHECK(t.log[0].action.rfind("contraction", 0) == 0);
    VerifyOptions vo;
    vo.network = true;
    vo.eps = Rational(1);
    const VerifyReport r = verify_scheme(t.scheme.net, f, vo);
    CHECK(r.claim(Claim::C2Sign).verdict == Verdict::Proved);
    CHECK(r.claim(Claim::C2).verdict == Verdict::Proved);
    for (std::size_t k = 1; k < r.rows.size(); ++k) {
      CHECK(r.rows[k].sign == Verdict::Proved);
      for (const auto& dcr : r.rows[k].decrease) CHECK(dcr.verdict == Verdict::Proved);
    }
  }
}

TEST_CASE("training options and targets are checked", "[train]") {
  const Target f = *find_target("sin2pi");
  TrainOptions o = small(false);
  o.width = 1;  // only the carry neuron
  CHECK_THROWS_AS(train(f, o), InputError);
  o = small(true);
  o.carry = false;
  CHECK_THROWS_AS(train(f, o), InputError);
  o = small(true);
  o.width = 2;  // narrower than one hat block
  CHECK_THROWS_AS(train(f, o), InputError);
  o = small(false);
  o.lr = -1;
  CHECK_THROWS_AS(train(f, o), InputError);
  const Target g = target_from_expression("log(x-2)");
  CHECK_THROWS_AS(train(g, small(false)), InputError);
}
