// Grade-wise training (train/train.hpp). Doubles and Eigen for the fit; every
// weight that reaches the network is the exact value of a double (or a dyadic
// of the contraction), and the certified variant asks the checker.
#include "train/train.hpp"

#include "constructive/block.hpp"
#include "constructive/import.hpp"
#include "kernel/rounding.hpp"
#include "verify/network.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

namespace mgdl {

std::uint64_t SplitMix::next() {
  std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
double SplitMix::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

namespace {
// Eigen chooses the blocking of its matrix products from the CPU's cache
// sizes (read with cpuid), and the blocking fixes the order of the floating
// point sums: the same seed gave different networks on Intel and AMD
// machines. Fixed sizes make training the same everywhere.
void fixed_blocking() {
  static const bool done = [] {
    Eigen::setCpuCacheSizes(32 * 1024, 512 * 1024, 4 * 1024 * 1024);
    return true;
  }();
  (void)done;
}
}  // namespace

std::vector<double> least_squares_readout(const std::vector<double>& Z, std::size_t rows, std::size_t cols,
                                          const std::vector<double>& r) {
  fixed_blocking();
  if (Z.size() != rows * cols || r.size() != rows) throw InputError("least_squares_readout: sizes do not match");
  Eigen::MatrixXd M(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols + 1));
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < cols; ++j) M(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = Z[i * cols + j];
    M(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(cols)) = 1.0;
  }
  Eigen::VectorXd b = Eigen::Map<const Eigen::VectorXd>(r.data(), static_cast<Eigen::Index>(rows));
  Eigen::VectorXd c = M.completeOrthogonalDecomposition().solve(b);
  return std::vector<double>(c.data(), c.data() + c.size());
}

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

using Mat = Eigen::MatrixXd;  // one sample per row
using Vec = Eigen::VectorXd;

// A grade in doubles: one hidden layer, H' = relu(H A^T + b), g = H' c + c0.
struct DenseGrade {
  Mat A;
  Vec b, c;
  double c0 = 0;
};

double mse(const Vec& r) { return r.squaredNorm() / static_cast<double>(r.size()); }

// Full-batch Adam on mean((g - r)^2) over the hidden layer and the readout;
// the first `frozen` rows of A and b (the carry neurons) are not moved.
double adam(DenseGrade& g, const Mat& H, const Vec& r, int epochs, double lr, int frozen) {
  const double b1 = 0.9, b2 = 0.999, eps = 1e-12, n = static_cast<double>(H.rows());
  Mat mA = Mat::Zero(g.A.rows(), g.A.cols()), vA = mA;
  Vec mb = Vec::Zero(g.b.size()), vb = mb, mc = Vec::Zero(g.c.size()), vc = mc;
  double mc0 = 0, vc0 = 0;
  auto step = [&](auto& p, auto& m, auto& v, const auto& grad, double c1, double c2) {
    m = b1 * m + (1 - b1) * grad;
    v = b2 * v + (1 - b2) * grad.cwiseProduct(grad);
    p -= (lr * (m / c1).array() / ((v / c2).array().sqrt() + eps)).matrix();
  };
  // Work matrices allocated once: a fresh N x W temporary per step made
  // every other grade several times slower (allocator page faults).
  Mat Z(H.rows(), g.A.rows()), Hn(H.rows(), g.A.rows()), dZ(H.rows(), g.A.rows()), dA(g.A.rows(), g.A.cols());
  Vec dout(H.rows()), dc(g.c.size()), db(g.b.size());
  // b1^t and b2^t by running products: std::pow is not correctly rounded,
  // and glibc picks a different pow for CPUs with FMA, so the same seed could
  // train a different network on another machine.
  double b1t = 1, b2t = 1;
  for (int t = 1; t <= epochs; ++t) {
    b1t *= b1;
    b2t *= b2;
    Z.noalias() = H * g.A.transpose();
    Z.rowwise() += g.b.transpose();
    Hn = Z.cwiseMax(0.0);
    dout.noalias() = Hn * g.c;
    dout = (2.0 / n) * (dout.array() + g.c0 - r.array()).matrix();
    dc.noalias() = Hn.transpose() * dout;
    const double dc0 = dout.sum();
    dZ.noalias() = dout * g.c.transpose();
    dZ = (Z.array() > 0).select(dZ, 0.0);
    dA.noalias() = dZ.transpose() * H;
    db = dZ.colwise().sum().transpose();
    dA.topRows(frozen).setZero();
    db.head(frozen).setZero();
    const double c1 = 1 - b1t, c2 = 1 - b2t;
    step(g.A, mA, vA, dA, c1, c2);
    step(g.b, mb, vb, db, c1, c2);
    step(g.c, mc, vc, dc, c1, c2);
    mc0 = b1 * mc0 + (1 - b1) * dc0;
    vc0 = b2 * vc0 + (1 - b2) * dc0 * dc0;
    g.c0 -= lr * (mc0 / c1) / (std::sqrt(vc0 / c2) + eps);
  }
  Hn = ((H * g.A.transpose()).rowwise() + g.b.transpose()).cwiseMax(0.0);
  return mse((Hn * g.c).array() + g.c0 - r.array());
}

// The exact grade of a DenseGrade (every double read as the rational it is).
Grade exact_grade(const DenseGrade& g, int in) {
  Grade G;
  Layer L;
  L.out = static_cast<int>(g.A.rows());
  L.in = in;
  for (Eigen::Index i = 0; i < g.A.rows(); ++i) {
    for (Eigen::Index j = 0; j < g.A.cols(); ++j)
      if (g.A(i, j) != 0) L.W.push_back({static_cast<int>(i), static_cast<int>(j), exact_double(g.A(i, j), "a weight")});
    if (g.b(i) != 0) L.b.push_back({static_cast<int>(i), exact_double(g.b(i), "a bias")});
  }
  G.layers.push_back(std::move(L));
  for (Eigen::Index j = 0; j < g.c.size(); ++j)
    if (g.c(j) != 0) G.readout.c.push_back({static_cast<int>(j), exact_double(g.c(j), "a readout weight")});
  G.readout.c0 = exact_double(g.c0, "a readout bias");
  return G;
}

// An exact grade evaluated in doubles on the samples: H_k and g_k.
void eval_grade(const Grade& G, const Mat& H, Mat& Hout, Vec& out) {
  Mat h = H;
  for (const Layer& L : G.layers) {
    Mat A = Mat::Zero(L.out, L.in);
    Vec b = Vec::Zero(L.out);
    for (const auto& e : L.W) A(e.row, e.col) = static_cast<double>(e.v);
    for (const auto& [row, v] : L.b) b(row) = static_cast<double>(v);
    h = ((h * A.transpose()).rowwise() + b.transpose()).cwiseMax(0.0);
  }
  Vec c = Vec::Zero(h.cols());
  for (const auto& [col, v] : G.readout.c) c(col) = static_cast<double>(v);
  out = (h * c).array() + static_cast<double>(G.readout.c0);
  Hout = std::move(h);
}

// Grade k's starting point: carry rows e_i (reading x_i in column i of H), the
// other rows uniform in [-s, s] (s = sqrt(6 / inputs)) with the kink through
// a random sample's features, small random readout.
DenseGrade init_grade(const Mat& H, int W, int carry, SplitMix& rng) {
  const auto in = H.cols();
  DenseGrade g{Mat::Zero(W, in), Vec::Zero(W), Vec::Zero(W), 0.0};
  const double s = std::sqrt(6.0 / static_cast<double>(in));
  for (int i = 0; i < W; ++i) {
    if (i < carry) {
      g.A(i, i) = 1;
      continue;
    }
    for (Eigen::Index j = 0; j < in; ++j) g.A(i, j) = s * (2 * rng.uniform() - 1);
    const auto at = static_cast<Eigen::Index>(rng.next() % static_cast<std::uint64_t>(H.rows()));
    g.b(i) = -g.A.row(i).dot(H.row(at)) + 0.01 * (2 * rng.uniform() - 1);
    g.c(i) = 0.1 * (2 * rng.uniform() - 1) / std::sqrt(static_cast<double>(W));
  }
  return g;
}

// The training points (uniform in the cube, from rng) and f there.
void draw_samples(const Target& f, std::size_t samples, SplitMix& rng, Mat& X, Vec& y) {
  const int d = f.dim;
  const auto N = static_cast<Eigen::Index>(samples);
  X.resize(N, d);
  y.resize(N);
  for (Eigen::Index i = 0; i < N; ++i) {
    std::vector<Real> x(static_cast<std::size_t>(d));
    for (int j = 0; j < d; ++j) X(i, j) = rng.uniform(), x[static_cast<std::size_t>(j)] = Real(X(i, j));
    const double v = static_cast<double>(f.point(std::span<const Real>(x)));
    if (!std::isfinite(v)) throw InputError("the target " + f.expr + " is not finite at the sample point x = " + to_decimal(x[0], 17) + (d > 1 ? ", ..." : ""));
    y(i) = v;
  }
}

// ---- the certified variant ---------------------------------------------------

// Certified range of e = f - F_k over the box of the patch of phi_{m,z} (the
// box z + [-h, h]^d within the cube, cut into cells of level m + 2).
// Guarantee: lo <= e(x) <= hi for every x of the patch.
struct Range {
  Real lo, hi;
};
Range patch_range(const Network& net, const Target& f, int m, const GridPoint& z) {
  const std::size_t d = z.size();
  const int L = m + 2;
  const std::int64_t top = std::int64_t{1} << L;
  GridPoint qlo(d), qhi(d);
  for (std::size_t i = 0; i < d; ++i) {
    qlo[i] = std::max<std::int64_t>(0, 4 * z[i] - 4);
    qhi[i] = std::min<std::int64_t>(top, 4 * z[i] + 4) - 1;  // cells q with q in [qlo, qhi]
  }
  Range r{Real(0), Real(0)};
  bool first = true;
  GridPoint q = qlo;
  while (true) {
    std::vector<Interval> box(d);
    for (std::size_t i = 0; i < d; ++i) box[i] = dyadic_interval(q[i], q[i] + 1, L);
    const Interval fe = f.box(std::span<const Interval>(box));
    const QInterval F = prefix_range_on_cell(net, q, L, net.grades.size());
    const Interval e = fe - make_interval(down(F.lo), up(F.hi));  // outward: contains f(x) - F_k(x)
    if (!is_finite(e)) throw InputError("the target " + f.expr + " is not finite on a patch of level " + std::to_string(m));
    const Real elo = lo(e), ehi = hi(e);
    if (first || elo < r.lo) r.lo = elo;
    if (first || ehi > r.hi) r.hi = ehi;
    first = false;
    std::size_t i = 0;
    while (i < d && q[i] == qhi[i]) q[i] = qlo[i], ++i;
    if (i == d) break;
    ++q[i];
  }
  return r;
}

// Hats of one level side by side in one grade of width W: each hat's block
// (constructive/block.hpp) keeps the d carry columns and gets its own columns
// after them; the readout sums a_j phi_j. Same depth as one block.
Grade packed_hats(int d, int W, int m, const std::vector<std::pair<GridPoint, Dyadic>>& hats, bool first) {
  const int wb = hat_block_width(d), per = wb - d;
  Grade G;  // no hint: a hint names one hat
  for (std::size_t j = 0; j < hats.size(); ++j) {
    const Grade B = hat_block(d, m, hats[j].first, hats[j].second, first);
    const int off = d + static_cast<int>(j) * per;
    auto col = [&](int c) { return c < d ? c : c - d + off; };
    if (G.layers.empty()) G.layers.resize(B.layers.size());
    for (std::size_t l = 0; l < B.layers.size(); ++l) {
      Layer& L = G.layers[l];
      L.out = W;
      L.in = (l == 0 && first) ? d : W;
      for (const auto& e : B.layers[l].W) {
        if (e.row < d && j > 0) continue;  // the carry rows once
        L.W.push_back({col(e.row), l == 0 ? e.col : col(e.col), e.v});
      }
      for (const auto& [row, v] : B.layers[l].b)
        if (row >= d || j == 0) L.b.push_back({col(row), v});
    }
    for (const auto& [c, v] : B.readout.c) G.readout.c.push_back({col(c), v});
  }
  for (Layer& L : G.layers) {
    std::sort(L.W.begin(), L.W.end(), [](const Layer::Entry& p, const Layer::Entry& q) { return p.row != q.row ? p.row < q.row : p.col < q.col; });
    std::sort(L.b.begin(), L.b.end(), [](const auto& p, const auto& q) { return p.first < q.first; });
  }
  std::sort(G.readout.c.begin(), G.readout.c.end(), [](const auto& p, const auto& q) { return p.first < q.first; });
  return G;
}

// The network's F on the rows of P (points), in doubles.
Vec approximant_at(const Network& net, const Mat& P) {
  Mat H = P, Hn;
  Vec F = Vec::Zero(P.rows()), g;
  for (const Grade& G : net.grades) {
    eval_grade(G, H, Hn, g);
    F += g;
    H = std::move(Hn);
  }
  return F;
}

// Certified coefficients of the balanced contraction at level m for the
// residual of `net` (docs/theory.md 10): a_z = theta * (patch lower bound) when
// that is > 0, theta * (patch upper bound) when < 0, rounded toward zero to 24
// bits; at most n nonzero ones, tried in decreasing order of |e(z)| (doubles
// only choose the order). So |a_z| phi_z <= theta |e| with the sign of e.
std::vector<std::pair<GridPoint, Dyadic>> contraction_hats(const Network& net, const Target& f, int m, std::size_t n) {
  const int d = net.dim;
  const std::int64_t side = (std::int64_t{1} << m) + 1;
  std::vector<GridPoint> nodes;
  GridPoint z(static_cast<std::size_t>(d), 0);
  while (true) {
    nodes.push_back(z);
    int i = 0;
    while (i < d && z[static_cast<std::size_t>(i)] == side - 1) z[static_cast<std::size_t>(i)] = 0, ++i;
    if (i == d) break;
    ++z[static_cast<std::size_t>(i)];
  }
  Mat P(static_cast<Eigen::Index>(nodes.size()), d);
  Vec fz(static_cast<Eigen::Index>(nodes.size()));
  const double h = std::ldexp(1.0, -m);
  for (std::size_t k = 0; k < nodes.size(); ++k) {
    std::vector<Real> x(static_cast<std::size_t>(d));
    for (int i = 0; i < d; ++i) P(static_cast<Eigen::Index>(k), i) = h * static_cast<double>(nodes[k][static_cast<std::size_t>(i)]), x[static_cast<std::size_t>(i)] = Real(P(static_cast<Eigen::Index>(k), i));
    fz(static_cast<Eigen::Index>(k)) = static_cast<double>(f.point(std::span<const Real>(x)));
  }
  const Vec e = fz - approximant_at(net, P);
  std::vector<std::size_t> order(nodes.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::fabs(e(static_cast<Eigen::Index>(a))) > std::fabs(e(static_cast<Eigen::Index>(b)));
  });
  const Interval theta = make_interval(Real(255) / 256, Real(255) / 256);  // 255/256 is exact
  std::vector<std::pair<GridPoint, Dyadic>> hats;
  for (std::size_t t = 0; t < order.size() && t < 4 * n && hats.size() < n; ++t) {
    const GridPoint& node = nodes[order[t]];
    const Range r = patch_range(net, f, m, node);
    Dyadic a;
    if (r.lo > 0) a = Dyadic::toward_zero(lo(theta * make_interval(r.lo, r.lo)), 24);
    else if (r.hi < 0) a = Dyadic::toward_zero(hi(theta * make_interval(r.hi, r.hi)), 24);
    if (!a.is_zero()) hats.push_back({node, a});
  }
  std::sort(hats.begin(), hats.end(), [](const auto& p, const auto& q) { return p.first < q.first; });
  return hats;
}

// Sum |a_z| 2^-md: the L1 mass the hats remove, up to the factor ||phi||_1 2^md.
double mass(const std::vector<std::pair<GridPoint, Dyadic>>& hats, int m, int d) {
  double s = 0;
  for (const auto& [z, a] : hats) s += std::fabs(static_cast<double>(a.to_real()));
  return std::ldexp(s, -m * d);
}

// Whether the checker's witness shows an overshoot (g_k(x) has the sign of
// r_{k-1}(x), certainly) rather than a wrong sign: only then can a smaller
// readout help.
bool overshoot_at(const Network& net, const Target& f, const Witness& w) {
  if (w.x.empty()) return false;
  const std::size_t K = net.grades.size();
  const std::vector<Rational> g = grade_outputs<Rational>(net, std::span<const Rational>(w.x), K);
  Rational Fprev = 0;
  for (std::size_t j = 0; j + 1 < K; ++j) Fprev += g[j];
  std::vector<Interval> xi;
  for (const Rational& v : w.x) xi.push_back(enclose(v));
  const Interval r = f.box(std::span<const Interval>(xi)) - enclose(Fprev);
  const Rational& gk = g[K - 1];
  return (gk > 0 && lo(r) > 0) || (gk < 0 && hi(r) < 0);
}

// The certified variant's choice for grade k (docs/theory.md 10): the trained
// grade if the checker proves it sign-preserving, else its readout halved while
// the witness shows an overshoot, else a contraction grade, else the trivial
// grade. `net` holds grades 1..k-1 (left as it was); `level` is the
// contraction's current level (raised as needed).
struct Certify {
  const VerifyOptions& vopt;
  int halvings;
  int& level;
  std::size_t per_grade;
  bool first;
};
Grade certify(Network& net, const Target& f, Grade G, Certify c, GradeLog& log) {
  const int d = net.dim;
  auto check = [&](const Grade& cand) {
    net.grades.push_back(cand);
    std::size_t cells = 0;
    GradeRow row = check_last_grade(net, f, c.vopt, cells);
    net.grades.pop_back();
    ++log.checks;
    return row;
  };
  GradeRow row = check(G);
  int halved = 0;
  while (row.sign == Verdict::Refuted && halved < c.halvings && row.sign_w) {
    net.grades.push_back(G);
    const bool over = overshoot_at(net, f, *row.sign_w);
    net.grades.pop_back();
    if (!over) break;
    ++halved;
    for (auto& [col, v] : G.readout.c) v /= 2;
    G.readout.c0 /= 2;
    row = check(G);
  }
  log.sign = row.sign;
  if (row.sign == Verdict::Proved) {
    log.action = halved ? "trained, readout x 2^-" + std::to_string(halved) : "trained";
    return G;
  }
  // The coarsest level from the current one on where some coefficient is
  // nonzero, or the next, whichever removes more; at most 2^18 nodes.
  const int top = 18 / d;
  auto a = contraction_hats(net, f, c.level, c.per_grade);
  while (a.empty() && c.level < top) a = contraction_hats(net, f, ++c.level, c.per_grade);
  if (c.level < top) {
    auto b = contraction_hats(net, f, c.level + 1, c.per_grade);
    if (mass(b, c.level + 1, d) > mass(a, c.level, d)) a = std::move(b), ++c.level;
  }
  if (!a.empty()) {
    Grade C = packed_hats(d, net.width, c.level, a, c.first);
    row = check(C);
    if (row.sign == Verdict::Proved) {
      log.sign = row.sign;
      log.action = "contraction level " + std::to_string(c.level) + " (" + std::to_string(a.size()) + " hats)";
      return C;
    }
  }
  G.readout.c.clear();
  G.readout.c0 = 0;
  log.sign = check(G).sign;
  log.action = "trivial";
  return G;
}

}  // namespace

double sample_mse(const Network& net, const Target& f, std::size_t samples, std::uint64_t seed) {
  fixed_blocking();
  if (net.dim != f.dim) throw InputError("sample_mse: the network reads " + std::to_string(net.dim) + " inputs, the target has dimension " + std::to_string(f.dim));
  SplitMix rng{seed};
  Mat X;
  Vec y;
  draw_samples(f, samples, rng, X, y);
  return mse(y - approximant_at(net, X));
}

Training train(const Target& f, const TrainOptions& opt, const std::function<void(const GradeLog&)>& progress) {
  fixed_blocking();
  const int d = f.dim, W = opt.width, carry = opt.carry ? d : 0;
  if (opt.grades < 1) throw InputError("--grades must be at least 1");
  if (W < 1 || W > 4096) throw InputError("--width must be in 1..4096, got " + std::to_string(W));
  if (W <= carry) throw InputError("--width " + std::to_string(W) + " leaves no trainable neuron besides the " + std::to_string(carry) + " carrying x");
  if (opt.samples < 1) throw InputError("--samples must be at least 1");
  if (opt.epochs < 0) throw InputError("--epochs must be >= 0");
  if (!(opt.lr > 0) || !std::isfinite(opt.lr)) throw InputError("--lr must be a positive number");
  if (opt.certified) {
    if (!opt.carry) throw InputError("--certified needs the carry neurons (a replaced grade reads x): drop --no-carry");
    if (d < 1 || d > 3) throw InputError("--certified supports d = 1..3 (the checker's general-network analysis), got d = " + std::to_string(d));
    if (W < hat_block_width(d)) throw InputError("--certified needs --width >= " + std::to_string(hat_block_width(d)) + " in d = " + std::to_string(d) + " (one hat block)");
  }
  SplitMix rng{opt.seed};
  const auto N = static_cast<Eigen::Index>(opt.samples);
  Mat X;
  Vec y;
  draw_samples(f, opt.samples, rng, X, y);
  Training out;
  Scheme& s = out.scheme;
  s.net.dim = d;
  s.net.width = W;
  s.target_name = f.name;
  s.target_expr = f.expr;
  VerifyOptions vopt;
  vopt.budget = opt.budget;
  vopt.max_level = opt.max_level;
  vopt.threads = opt.threads;
  Mat H = X;          // H_{k-1} on the samples
  Vec F = Vec::Zero(N);
  int level = 2;      // certified: the contraction's current level
  const std::size_t per_grade = static_cast<std::size_t>((W - d) / (hat_block_width(d) - d));
  for (std::size_t k = 1; k <= opt.grades; ++k) {
    GradeLog log;
    log.grade = k;
    const Vec r = y - F;
    log.mse_before = mse(r);
    DenseGrade g = init_grade(H, W, carry, rng);
    auto t0 = Clock::now();
    log.mse_adam = adam(g, H, r, opt.epochs, opt.lr, carry);
    log.seconds_adam = since(t0);
    t0 = Clock::now();
    const Mat Hn = ((H * g.A.transpose()).rowwise() + g.b.transpose()).cwiseMax(0.0);
    std::vector<double> Z(static_cast<std::size_t>(N) * static_cast<std::size_t>(W));
    for (Eigen::Index i = 0; i < N; ++i)
      for (int j = 0; j < W; ++j) Z[static_cast<std::size_t>(i) * static_cast<std::size_t>(W) + static_cast<std::size_t>(j)] = Hn(i, j);
    const std::vector<double> c = least_squares_readout(Z, static_cast<std::size_t>(N), static_cast<std::size_t>(W), std::vector<double>(r.data(), r.data() + N));
    for (int j = 0; j < W; ++j) g.c(j) = c[static_cast<std::size_t>(j)];
    g.c0 = c[static_cast<std::size_t>(W)];
    log.seconds_ls = since(t0);
    Grade G = exact_grade(g, k == 1 ? d : W);
    if (opt.certified) {
      t0 = Clock::now();
      G = certify(s.net, f, std::move(G), Certify{vopt, opt.halvings, level, per_grade, k == 1}, log);
      log.seconds_check = since(t0);
    }
    Mat Hk;
    Vec gk;
    eval_grade(G, H, Hk, gk);
    F += gk;
    H = std::move(Hk);
    log.mse = mse(y - F);
    s.net.grades.push_back(std::move(G));
    out.log.push_back(log);
    if (progress) progress(log);
  }
  s.params = {{"source", "train"}, {"certified", opt.certified}, {"width", W}, {"epochs", opt.epochs}, {"lr", opt.lr},
              {"samples", opt.samples}, {"seed", opt.seed}, {"carry", opt.carry}};
  if (opt.certified) s.params["halvings"] = opt.halvings, s.params["budget"] = opt.budget, s.params["max_level"] = opt.max_level;
  s.result = {{"grades", opt.grades}, {"training_mse", out.log.back().mse}};
  s.levels = nlohmann::ordered_json::array();
  return out;
}

}  // namespace mgdl
