// The checker (see checker.hpp). Cells are dyadic cubes of a level at least
// the finest hat level seen, so the hat part of F has its exact range from
// the corner values (Fact N); f is enclosed by its interval extension; grades
// that are not proved hats are enclosed by exact interval propagation.
#include "verify/checker.hpp"

#include "kernel/enclose.hpp"
#include "kernel/rounding.hpp"
#include "numbers/parallel.hpp"
#include "kernel/realise.hpp"

#include <functional>

#include <algorithm>
#include <atomic>
#include <deque>
#include <exception>
#include <sstream>

namespace mgdl {

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::Proved: return "PROVED";
    case Verdict::Refuted: return "REFUTED";
    case Verdict::Undecided: return "UNDECIDED";
  }
  return "?";
}

Verdict VerifyReport::overall() const {
  bool undecided = false;
  for (const auto& c : claims) {
    if (c.verdict == Verdict::Refuted) return Verdict::Refuted;
    undecided = undecided || c.verdict == Verdict::Undecided;
  }
  return undecided ? Verdict::Undecided : Verdict::Proved;
}

namespace {

using QI = QInterval;

std::string dec(const Real& x) { return to_decimal(x, 6); }
std::string enc(const Interval& x) { return "[" + to_decimal(lo(x), 8) + ", " + to_decimal(hi(x), 8) + "]"; }
std::vector<Rational> as_point(const GridPoint& p, int L) {
  std::vector<Rational> x;
  for (auto v : p) x.emplace_back(v, Integer(1) << L);
  return x;
}

// Proved hats with the grade that added each one, so that the sum of the
// hats of grades 1..j can be evaluated for any j from one shared, read-only
// structure (every grade's check can then run on its own thread).
class IndexedHats {
 public:
  explicit IndexedHats(int d) : d_(d) {}
  void add(std::size_t grade, int m, const GridPoint& z, const Dyadic& a) {
    if (static_cast<int>(by_level_.size()) <= m) by_level_.resize(static_cast<std::size_t>(m) + 1);
    by_level_[static_cast<std::size_t>(m)][node_key(m, z)].emplace_back(grade, a);
    // Every coarser cell holding a level-m cell of the support is unresolved
    // below level m: the hat is not affine on its Kuhn simplices.
    const std::int64_t top = std::int64_t{1} << m;
    GridPoint q(z.size());
    for (std::uint64_t c = 0; c < (std::uint64_t{1} << d_); ++c) {
      bool inside = true;
      for (std::size_t i = 0; i < z.size(); ++i) {
        q[i] = z[i] - static_cast<std::int64_t>((c >> i) & 1);
        if (q[i] < 0 || q[i] >= top) inside = false;
      }
      if (!inside) continue;
      std::vector<std::int64_t> key(z.size() + 1);
      for (int j = m - 1; j >= 0; --j) {
        key[0] = j;
        for (std::size_t i = 0; i < z.size(); ++i) key[i + 1] = q[i] >> (m - j);
        auto [it, fresh] = finer_.emplace(key, m);
        if (!fresh) {
          if (it->second >= m) break;  // and so are all its ancestors
          it->second = m;
        }
      }
    }
  }
  // True when no hat finer than L meets the interior of the level-L cell q:
  // then the sum of the hats is affine on each Kuhn simplex of the cell (Fact N).
  bool resolved(const GridPoint& q, int L) const {
    std::vector<std::int64_t> key(q.size() + 1);
    key[0] = L;
    std::copy(q.begin(), q.end(), key.begin() + 1);
    auto it = finer_.find(key);
    return it == finer_.end() || it->second <= L;
  }
  // Exact sum at p / 2^L of the hats of grades <= upto (all of level <= L).
  Dyadic at(std::span<const std::int64_t> p, int L, std::size_t upto) const {
    Dyadic sum;
    for (int m = 0; m < static_cast<int>(by_level_.size()) && m <= L; ++m) {
      const auto& map = by_level_[static_cast<std::size_t>(m)];
      if (map.empty()) continue;
      for_each_hat_at(m, p, L, [&](const GridPoint& z, const Dyadic& phi) {
        auto it = map.find(node_key(m, z));
        if (it == map.end()) return;
        Dyadic c;
        for (const auto& [g, a] : it->second)
          if (g <= upto) c += a;
        if (!c.is_zero()) sum += c * phi;
      });
    }
    return sum;
  }

 private:
  struct KeyHash {
    std::size_t operator()(const std::vector<std::int64_t>& v) const {
      std::uint64_t h = 1469598103934665603ull;
      for (auto x : v) h = (h ^ static_cast<std::uint64_t>(x)) * 1099511628211ull;
      return static_cast<std::size_t>(h);
    }
  };
  int d_;
  std::vector<std::unordered_map<std::uint64_t, std::vector<std::pair<std::size_t, Dyadic>>>> by_level_;
  std::unordered_map<std::vector<std::int64_t>, int, KeyHash> finer_;  // [level, q] -> finest hat level inside
};

// Everything the checks read, shared by all threads.
struct Store {
  explicit Store(int d) : hats(d) {}
  IndexedHats hats;
  struct General {
    std::size_t grade;
    const Grade* g;
    Carriers in;
  };
  std::vector<General> general;       // in grade order
};

// The residual r_j = f - (g_1 + ... + g_j), as seen by one check.
class Residual {
 public:
  Residual(const Target& f, int d, const Store& store, std::size_t upto) : f_(f), d_(d), store_(store), upto_(upto) {}

  bool resolved(const GridPoint& q, int L) const { return store_.hats.resolved(q, L); }
  int dim() const { return d_; }
  bool has_general() const { return !store_.general.empty() && store_.general.front().grade <= upto_; }

  Interval f_point(const GridPoint& p, int L) const {
    std::vector<Interval> pt(p.size());
    for (std::size_t i = 0; i < p.size(); ++i) pt[i] = dyadic_interval(p[i], p[i], L);
    return f_.box(pt);
  }
  bool centred() const { return static_cast<bool>(f_.gradient) && !has_general(); }
  // What a cell needs from f (kernel/enclose.hpp): derivatives only when no
  // general grade is present (the centred form needs every grade's gradient).
  using FCell = TargetCell;
  FCell f_eval(const GridPoint& q, int L) const { return target_on_cell(f_, q, L, centred()); }
  // Enclosure of f - H - (other grades) on the cell, H affine on each Kuhn
  // simplex of the cell with the given corner values and centre value.
  Interval diff_on_cell(const FCell& fc, const GridPoint& q, int L, const std::vector<Dyadic>& corners, const Dyadic& centre) const {
    return enclose_residual(fc, L, corners, centre, general_cell(q, L));
  }
  Dyadic hat_part(const GridPoint& p, int L) const { return store_.hats.at(p, L, upto_); }
  // Enclosure of the non-hat grades on a cell (exact rational interval).
  QI general_cell(const GridPoint& q, int L) const {
    QI sum{Rational(0), Rational(0)};
    if (!has_general()) return sum;
    std::vector<QI> box;
    for (auto v : q) box.push_back({Rational(v, Integer(1) << L), Rational(v + 1, Integer(1) << L)});
    for (const auto& g : store_.general) {
      if (g.grade > upto_) break;
      QI r = grade_range(*g.g, g.in, box);
      sum.lo += r.lo;
      sum.hi += r.hi;
    }
    return sum;
  }
  Rational general_point(const std::vector<Rational>& x) const {
    Rational sum = 0;
    for (const auto& g : store_.general) {
      if (g.grade > upto_) break;
      sum += grade_value(*g.g, g.in, x);
    }
    return sum;
  }

 private:
  const Target& f_;
  int d_;
  const Store& store_;
  std::size_t upto_;
};

struct Cell {
  GridPoint q;
  int L;
  bool weak, sign;  // still to prove on this cell
};

// Children of a cell at level L + 1.
template <class Emit>
void children(const Cell& c, Emit emit) {
  const std::size_t d = c.q.size();
  GridPoint child(d);
  for (std::uint64_t mask = 0; mask < (std::uint64_t{1} << d); ++mask) {
    for (std::size_t k = 0; k < d; ++k) child[k] = 2 * c.q[k] + static_cast<std::int64_t>((mask >> k) & 1);
    emit(Cell{child, c.L + 1, c.weak, c.sign});
  }
}

// All level-L cells with lower corners in [lo, hi] (componentwise).
template <class Emit>
void cells_in(const GridPoint& lo_c, const GridPoint& hi_c, int L, Emit emit) {
  for_each_point(lo_c, hi_c, [&](const GridPoint& q) { emit(Cell{q, L, true, true}); });
}

// Outcome of the pointwise checks (C2 and its sign-preserving form) of one grade.
struct GradeCheck {
  Verdict weak = Verdict::Proved, sign = Verdict::Proved;
  std::optional<Witness> weak_w, sign_w;
  bool nonzero = false;  // g was not proved zero on every cell
  std::size_t cells = 0, open_cells = 0;
  int deepest = 0;
};

// What the B&B needs to know about a grade on a cell and at a point.
struct CellTest {
  bool weak_ok, sign_ok, g_zero;
};
struct PointTest {
  bool weak_fail, sign_fail;
  std::string evidence;
};

template <class OnCell, class OnPoint>
GradeCheck branch_and_bound(std::deque<Cell> queue, std::size_t k, const VerifyOptions& opt, OnCell on_cell, OnPoint on_point,
                            std::function<bool(const Cell&)> meets_support, const Residual& R) {
  GradeCheck out;
  while (!queue.empty()) {
    Cell c = std::move(queue.front());
    queue.pop_front();
    if (!meets_support(c)) continue;
    if (!R.resolved(c.q, c.L)) {  // a finer hat inside: the exact corner ranges need smaller cells
      children(c, [&](Cell ch) { queue.push_back(std::move(ch)); });
      continue;
    }
    if (out.cells >= opt.budget) {
      ++out.open_cells;
      continue;
    }
    ++out.cells;
    out.deepest = std::max(out.deepest, c.L);
    CellTest t = on_cell(c);
    if (!t.g_zero) out.nonzero = true;
    if (c.weak && t.weak_ok) c.weak = false;
    if (c.sign && t.sign_ok) c.sign = false;
    if (!c.weak && !c.sign) continue;
    // A point of the cell (its centre) may refute what the cell could not prove.
    GridPoint centre(c.q.size());
    for (std::size_t i = 0; i < c.q.size(); ++i) centre[i] = 2 * c.q[i] + 1;
    PointTest pt = on_point(centre, c.L + 1);
    if (pt.sign_fail && c.sign && !out.sign_w) out.sign_w = Witness{k, as_point(centre, c.L + 1), pt.evidence};
    if (pt.weak_fail && c.weak && !out.weak_w) out.weak_w = Witness{k, as_point(centre, c.L + 1), pt.evidence};
    if (out.sign_w) c.sign = false;
    if (out.weak_w) {
      c.weak = false;
      break;
    }
    if (!c.weak && !c.sign) continue;
    if (c.L + 1 > opt.max_level) {
      ++out.open_cells;
      continue;
    }
    children(c, [&](Cell ch) { queue.push_back(std::move(ch)); });
  }
  out.open_cells += queue.size();
  out.weak = out.weak_w ? Verdict::Refuted : (out.open_cells ? Verdict::Undecided : Verdict::Proved);
  out.sign = out.sign_w ? Verdict::Refuted : (out.open_cells ? Verdict::Undecided : Verdict::Proved);
  if (out.weak_w && !out.sign_w) out.sign = Verdict::Refuted, out.sign_w = out.weak_w;  // C2 failing breaks the stronger form
  return out;
}

// C2 for a proved hat grade g = a phi_{m,z} on the cells of its support box.
GradeCheck check_hat(const Residual& R, std::size_t k, int m, const GridPoint& z, const Dyadic& a, const VerifyOptions& opt) {
  const int d = R.dim();
  const int L0 = m + 1;  // cells holding finer hats are split by the search
  const int s0 = L0 - m;
  const std::int64_t top = std::int64_t{1} << L0;
  GridPoint lo_c(static_cast<std::size_t>(d)), hi_c(static_cast<std::size_t>(d));
  for (std::size_t i = 0; i < lo_c.size(); ++i) {
    lo_c[i] = std::max<std::int64_t>(0, (z[i] - 1) << s0);
    hi_c[i] = std::min<std::int64_t>(top - 1, ((z[i] + 1) << s0) - 1);
  }
  std::deque<Cell> queue;
  cells_in(lo_c, hi_c, L0, [&](Cell c) { queue.push_back(std::move(c)); });
  const int sg = a.sign();
  const Dyadic half_a = a.times_pow2(-1);
  auto phi = [&](const GridPoint& p, int L) { return hat_dyadic(m, z, p, L); };
  auto on_cell = [&](const Cell& c) {
    Residual::FCell fc = R.f_eval(c.q, c.L);
    // F_k = F + a phi and G = F + a phi / 2 are affine on each simplex of the
    // cell: exact ranges from the corners (Fact N), slopes for the centred form.
    std::vector<Dyadic> ck(std::size_t{1} << d), cw(std::size_t{1} << d);
    GridPoint corner(c.q.size());
    for (std::uint64_t mask = 0; mask < ck.size(); ++mask) {
      for (std::size_t i = 0; i < corner.size(); ++i) corner[i] = c.q[i] + static_cast<std::int64_t>((mask >> i) & 1);
      Dyadic F = R.hat_part(corner, c.L), ph = phi(corner, c.L);
      ck[mask] = F + a * ph;
      cw[mask] = F + half_a * ph;
    }
    Dyadic kc, wc;
    if (fc.has_centred) {
      GridPoint centre(c.q.size());
      for (std::size_t i = 0; i < centre.size(); ++i) centre[i] = 2 * c.q[i] + 1;
      Dyadic F = R.hat_part(centre, c.L + 1), ph = phi(centre, c.L + 1);
      kc = F + a * ph;
      wc = F + half_a * ph;
    }
    Interval rk = R.diff_on_cell(fc, c.q, c.L, ck, kc), rw = R.diff_on_cell(fc, c.q, c.L, cw, wc);
    // r_k has the sign of a (sign form); r_{k-1} - a phi/2 has the sign of a (C2).
    bool sign_ok = sg > 0 ? lo(rk) >= 0 : hi(rk) <= 0;
    bool weak_ok = sg > 0 ? lo(rw) >= 0 : hi(rw) <= 0;
    return CellTest{weak_ok, sign_ok, false};
  };
  auto on_point = [&](const GridPoint& p, int L) {
    PointTest t{false, false, ""};
    Dyadic ph = phi(p, L);
    if (ph.is_zero()) return t;
    Interval prev = R.f_point(p, L) - enclose(R.general_point(as_point(p, L))) - R.hat_part(p, L).to_interval();
    if (!is_finite(prev)) return t;
    Dyadic g = a * ph;
    Interval cur = prev - g.to_interval();
    Interval twice = prev * 2 - g.to_interval();  // g (2 r_{k-1} - g) < 0 refutes C2
    t.weak_fail = sg > 0 ? hi(twice) < 0 : lo(twice) > 0;
    t.sign_fail = sg > 0 ? hi(cur) < 0 : lo(cur) > 0;
    t.evidence = "r_" + std::to_string(k - 1) + "(x) in " + enc(prev) + ", g_" + std::to_string(k) + "(x) = " +
                 to_decimal(g.to_real(), 10) + ", r_" + std::to_string(k) + "(x) in " + enc(cur);
    return t;
  };
  auto meets = [&](const Cell& c) { return patch_gauge_lower(m, z, c.q, c.L - m) < (std::int64_t{1} << (c.L - m)); };
  GradeCheck out = branch_and_bound(std::move(queue), k, opt, on_cell, on_point, meets, R);
  out.nonzero = true;
  return out;
}

// C2 for a grade that is a function of x but not a proved hat: over the whole cube.
GradeCheck check_general(const Residual& R, std::size_t k, const Grade& G, const Carriers& in, const VerifyOptions& opt) {
  const int d = R.dim();
  const int L0 = 0;
  GridPoint lo_c(static_cast<std::size_t>(d), 0), hi_c(static_cast<std::size_t>(d), (std::int64_t{1} << L0) - 1);
  std::deque<Cell> queue;
  cells_in(lo_c, hi_c, L0, [&](Cell c) { queue.push_back(std::move(c)); });
  auto on_cell = [&](const Cell& c) {
    std::vector<QI> box;
    for (auto v : c.q) box.push_back({Rational(v, Integer(1) << c.L), Rational(v + 1, Integer(1) << c.L)});
    QI gq = grade_range(G, in, box);
    if (gq.lo == 0 && gq.hi == 0) return CellTest{true, true, true};
    std::vector<Dyadic> corners(std::size_t{1} << d);
    GridPoint corner(c.q.size()), centre(c.q.size());
    for (std::uint64_t mask = 0; mask < corners.size(); ++mask) {
      for (std::size_t i = 0; i < corner.size(); ++i) corner[i] = c.q[i] + static_cast<std::int64_t>((mask >> i) & 1);
      corners[mask] = R.hat_part(corner, c.L);
    }
    for (std::size_t i = 0; i < centre.size(); ++i) centre[i] = 2 * c.q[i] + 1;
    const Interval prev = R.diff_on_cell(R.f_eval(c.q, c.L), c.q, c.L, corners, R.hat_part(centre, c.L + 1));
    // g in [glo, ghi] (outward). Exact comparisons: 2 r >= g >= 0 gives g (2 r - g) >= 0 (C2),
    // r >= g >= 0 gives 0 <= r - g <= r (the sign form); symmetrically for g <= 0.
    const Real glo = lo(enclose(gq.lo)), ghi = hi(enclose(gq.hi));
    CellTest t{false, false, false};
    if (gq.lo >= 0) {
      t.weak_ok = lo(prev) * 2 >= ghi;
      t.sign_ok = lo(prev) >= ghi;
    } else if (gq.hi <= 0) {
      t.weak_ok = hi(prev) * 2 <= glo;
      t.sign_ok = hi(prev) <= glo;
    }
    return t;
  };
  auto on_point = [&](const GridPoint& p, int L) {
    PointTest t{false, false, ""};
    std::vector<Rational> x = as_point(p, L);
    Rational g = grade_value(G, in, x);
    if (g == 0) return t;
    Interval prev = R.f_point(p, L) - enclose(R.general_point(x)) - R.hat_part(p, L).to_interval();
    if (!is_finite(prev)) return t;
    Interval cur = prev - enclose(g), twice = prev * 2 - enclose(g);
    t.weak_fail = g > 0 ? hi(twice) < 0 : lo(twice) > 0;
    t.sign_fail = g > 0 ? hi(cur) < 0 : lo(cur) > 0;
    t.evidence = "r_" + std::to_string(k - 1) + "(x) in " + enc(prev) + ", g_" + std::to_string(k) + "(x) = " +
                 to_decimal(nearest(g), 10) + ", r_" + std::to_string(k) + "(x) in " + enc(cur);
    return t;
  };
  GradeCheck out = branch_and_bound(std::move(queue), k, opt, on_cell, on_point, [](const Cell&) { return true; }, R);
  return out;
}

// Certified enclosures of ||r||_inf, ||r||_1, ||r||_2 for the current residual.
NormEnclosure norms_now(const Residual& R, std::size_t k, int level, const VerifyOptions& opt) {
  const int d = R.dim();
  const int L0 = 1;
  NormEnclosure out;
  out.grade = k;
  out.level = level;
  struct Sparse {
    const Residual& R;
    Dyadic at(const GridPoint& p, int L) const { return R.hat_part(p, L); }
  } F{R};
  struct NC {
    GridPoint q;
    int L;
    Real alo, ahi;  // |r| in [alo, ahi] on the cell
  };
  bool points = true;  // point values matter for the sup norm's lower bound only
  auto eval = [&](const GridPoint& q, int L, Real& best, std::vector<Rational>& argmax) {
    Residual::FCell fc = R.f_eval(q, L);
    std::vector<Dyadic> corners(std::size_t{1} << d);
    GridPoint corner(q.size()), centre(q.size());
    for (std::uint64_t mask = 0; mask < corners.size(); ++mask) {
      for (std::size_t i = 0; i < corner.size(); ++i) corner[i] = q[i] + static_cast<std::int64_t>((mask >> i) & 1);
      corners[mask] = F.at(corner, L);
    }
    for (std::size_t i = 0; i < q.size(); ++i) centre[i] = 2 * q[i] + 1;
    const bool need_centre = points || fc.has_centred;
    Dyadic Fc = need_centre ? F.at(centre, L + 1) : Dyadic();
    Interval r = R.diff_on_cell(fc, q, L, corners, Fc);
    Real l = lo(r), h = hi(r);
    NC c{q, L, l > 0 ? l : (h < 0 ? Real(-h) : Real(0)), h > -l ? h : Real(-l)};
    ++out.cells;
    if (!points) return c;
    std::vector<Rational> x = as_point(centre, L + 1);
    Interval fcen = fc.has_centred ? fc.centre : R.f_point(centre, L + 1);
    Interval rp = fcen - enclose(R.general_point(x)) - Fc.to_interval();
    if (is_finite(rp)) {
      Real a = lo(rp) > 0 ? lo(rp) : (hi(rp) < 0 ? Real(-hi(rp)) : Real(0));
      if (a > best) best = a, argmax = x;
    }
    return c;
  };
  const Real inf(std::numeric_limits<double>::infinity());
  // The coarsest cells on which the hats are affine per simplex (Fact N).
  std::vector<Cell> start;
  {
    std::deque<Cell> todo;
    GridPoint lo_c(static_cast<std::size_t>(d), 0), hi_c(static_cast<std::size_t>(d), (std::int64_t{1} << L0) - 1);
    cells_in(lo_c, hi_c, L0, [&](Cell c) { todo.push_back(std::move(c)); });
    while (!todo.empty()) {
      Cell c = std::move(todo.front());
      todo.pop_front();
      if (R.resolved(c.q, c.L)) start.push_back(std::move(c));
      else children(c, [&](Cell ch) { todo.push_back(std::move(ch)); });
      if (start.size() + todo.size() > 8 * opt.budget) {
        out.inf_lo = out.l1_lo = out.l2_lo = Real(0);
        out.inf_hi = out.l1_hi = out.l2_hi = inf;
        return out;
      }
    }
  }
  std::vector<NC> cells;
  Real best(0);
  for (const Cell& c : start) cells.push_back(eval(c.q, c.L, best, out.argmax));
  const Real rel = nearest(opt.rel_width);
  // Sup norm: split cells whose bound may exceed the best point value by more than rel.
  // With a tolerance, also refine until the sup norm is decided against it:
  // a bound within rel of the best point value may still straddle eps.
  const std::optional<Real> tol = opt.eps ? std::optional<Real>(nearest(*opt.eps)) : std::nullopt;
  for (;;) {
    Real target = best * (1 + rel);
    if (tol && best <= *tol && *tol < target) target = *tol;
    std::vector<NC> next;
    bool split = false;
    for (auto& c : cells) {
      if (c.ahi > target && c.L < opt.max_level && out.cells < opt.budget) {
        split = true;
        children(Cell{c.q, c.L, true, true}, [&](Cell ch) { next.push_back(eval(ch.q, ch.L, best, out.argmax)); });
      } else {
        next.push_back(std::move(c));
      }
    }
    cells = std::move(next);
    if (!split) break;
  }
  out.inf_lo = best;
  out.inf_hi = Real(0);
  for (const auto& c : cells)
    if (c.ahi > out.inf_hi) out.inf_hi = c.ahi;
  // L^1 and L^2: sums of vol * |r|^p bounds, refining the widest contributions.
  auto sums = [&](Real& s1l, Real& s1h, Real& s2l, Real& s2h) {
    s1l = s1h = s2l = s2h = Real(0);
    for (const auto& c : cells) {
      Real vol = ldexp(Real(1), -c.L * d), t;
      mpfr_mul(t.backend().data(), c.alo.backend().data(), vol.backend().data(), MPFR_RNDD);
      mpfr_add(s1l.backend().data(), s1l.backend().data(), t.backend().data(), MPFR_RNDD);
      mpfr_mul(t.backend().data(), c.ahi.backend().data(), vol.backend().data(), MPFR_RNDU);
      mpfr_add(s1h.backend().data(), s1h.backend().data(), t.backend().data(), MPFR_RNDU);
      mpfr_mul(t.backend().data(), c.alo.backend().data(), c.alo.backend().data(), MPFR_RNDD);
      mpfr_mul(t.backend().data(), t.backend().data(), vol.backend().data(), MPFR_RNDD);
      mpfr_add(s2l.backend().data(), s2l.backend().data(), t.backend().data(), MPFR_RNDD);
      mpfr_mul(t.backend().data(), c.ahi.backend().data(), c.ahi.backend().data(), MPFR_RNDU);
      mpfr_mul(t.backend().data(), t.backend().data(), vol.backend().data(), MPFR_RNDU);
      mpfr_add(s2h.backend().data(), s2h.backend().data(), t.backend().data(), MPFR_RNDU);
    }
  };
  Real s1l, s1h, s2l, s2h;
  // Integrals converge slowly where r changes sign at the grid scale: aim at
  // 10x the sup-norm tolerance and stop at the budget.
  // The integrals are reported, not judged: they get a tenth of the budget.
  const Real rel_p = rel * 10;
  points = false;
  const std::size_t integral_end = std::min(opt.budget, out.cells + opt.budget / 10);
  for (int round = 0; round < 40; ++round) {
    sums(s1l, s1h, s2l, s2h);
    if (s1h - s1l <= rel_p * s1l || out.cells >= integral_end) break;
    Real mean = (s1h - s1l) / cells.size();
    std::vector<NC> next;
    for (auto& c : cells) {
      Real w = (c.ahi - c.alo) * ldexp(Real(1), -c.L * d);
      if (w >= mean && c.L < opt.max_level && out.cells < integral_end)
        children(Cell{c.q, c.L, true, true}, [&](Cell ch) { next.push_back(eval(ch.q, ch.L, best, out.argmax)); });
      else
        next.push_back(std::move(c));
    }
    cells = std::move(next);
  }
  sums(s1l, s1h, s2l, s2h);
  out.l1_lo = s1l;
  out.l1_hi = s1h;
  mpfr_sqrt(out.l2_lo.backend().data(), s2l.backend().data(), MPFR_RNDD);
  mpfr_sqrt(out.l2_hi.backend().data(), s2h.backend().data(), MPFR_RNDU);
  if (best > out.inf_lo) out.inf_lo = best;
  return out;
}

// Rational lower bound of |a|^p (exact for integer p, else rounded down).
Real pow_lower(const Rational& a, const Rational& p) {
  Real r, base, e;
  mpfr_set_q(base.backend().data(), Rational(bmp::abs(a)).backend().data(), MPFR_RNDD);
  if (bmp::denominator(p) == 1) {
    Rational q = 1, b = bmp::abs(a);
    for (long i = 0; i < bmp::numerator(p).convert_to<long>(); ++i) q *= b;
    mpfr_set_q(r.backend().data(), q.backend().data(), MPFR_RNDD);
    return r;
  }
  // |a|^p = exp(p log|a|): with |a| rounded down, the exponent rounded toward the smaller result.
  mpfr_set_q(e.backend().data(), p.backend().data(), base >= 1 ? MPFR_RNDD : MPFR_RNDU);
  mpfr_pow(r.backend().data(), base.backend().data(), e.backend().data(), MPFR_RNDD);
  return r;
}

}  // namespace

VerifyReport verify_scheme(const Network& net, const Target& f, const VerifyOptions& opt) {
  VerifyReport rep;
  rep.dim = net.dim;
  rep.width = net.width;
  rep.grades = net.grades.size();
  if (f.dim != net.dim)
    throw InputError("the target has dimension " + std::to_string(f.dim) + " but the scheme has " + std::to_string(net.dim));
  for (const auto& p : opt.p)
    if (p < 1) throw InputError("--p values must be >= 1, got " + to_string(p));

  // C1: fixed width and MGDL structure.
  ClaimResult c1{"C1", Verdict::Proved, "", std::nullopt};
  std::string err = structure_error(net);
  if (!err.empty()) {
    c1.verdict = Verdict::Refuted;
    c1.summary = err;
    std::size_t g = 0;
    if (err.rfind("grade ", 0) == 0) g = std::stoul(err.substr(6));
    c1.witness = Witness{g, {}, err};
    rep.claims.push_back(c1);
    for (const char* name : {"C2", "C2 sign-preserving", "C3", "C4"})
      rep.claims.push_back({name, Verdict::Undecided, "not checked: the network does not have the MGDL structure", std::nullopt});
    return rep;
  }
  {
    std::size_t dmin = SIZE_MAX, dmax = 0;
    for (const auto& g : net.grades) dmin = std::min(dmin, g.layers.size()), dmax = std::max(dmax, g.layers.size());
    rep.depths = net.grades.empty() ? "-" : (dmin == dmax ? std::to_string(dmin) : std::to_string(dmin) + ".." + std::to_string(dmax));
    c1.summary = "width " + std::to_string(net.width) + " for every hidden layer of all " + std::to_string(net.grades.size()) +
                 " grades; depth per grade " + rep.depths + "; grade k reads only grade k-1's last layer";
  }
  rep.claims.push_back(c1);

  // Which grades get norm enclosures: 0, level ends (by hint), the last, and any asked for.
  std::vector<std::size_t> norm_at{0};
  for (std::size_t k = 1; k <= net.grades.size(); ++k) {
    bool level_end = k == net.grades.size() || net.grades[k].hint.level != net.grades[k - 1].hint.level;
    if (level_end) norm_at.push_back(k);
  }
  for (auto k : opt.at_grades) {
    if (k > net.grades.size()) throw InputError("--at grade " + std::to_string(k) + " exceeds the " + std::to_string(net.grades.size()) + " grades");
    norm_at.push_back(k);
  }
  std::sort(norm_at.begin(), norm_at.end());
  norm_at.erase(std::unique(norm_at.begin(), norm_at.end()), norm_at.end());

  // Phase 1: carriers (sequential, cheap), then hat proofs (parallel).
  const std::size_t K = net.grades.size();
  std::vector<Carriers> in(K + 1);
  in[0] = input_carriers(net.dim);
  std::size_t unsupported_from = 0;  // first grade reading more than x (0: none)
  for (std::size_t k = 1; k <= K; ++k) {
    const Grade& G = net.grades[k - 1];
    if (!unsupported_from && !reads_only_x(G, in[k - 1])) unsupported_from = k;
    in[k] = output_carriers(G, in[k - 1]);
  }
  const std::size_t supported = unsupported_from ? unsupported_from - 1 : K;
  rep.unsupported_grades = K - supported;
  struct Model {
    std::optional<Dyadic> a;  // a proved hat a phi_{m,z}
  };
  std::vector<Model> model(supported + 1);
  parallel_for(supported, opt.threads, [&](std::size_t i) {
    const std::size_t k = i + 1;
    const Grade& G = net.grades[i];
    HatProof hp = prove_hat(G, in[i], net.dim, G.hint.m, G.hint.node);
    if (!hp.ok) return;
    try {
      model[k].a = Dyadic::from_rational(hp.a);
    } catch (const InputError&) {
      model[k].a.reset();  // a non-dyadic amplitude: checked as a general grade
    }
  });
  Store store(net.dim);
  for (std::size_t k = 1; k <= K; ++k) {
    if (k > supported) continue;
    const Grade& G = net.grades[k - 1];
    if (model[k].a) {
      ++rep.hat_grades;
      if (model[k].a->is_zero()) ++rep.trivial_grades;
      store.hats.add(k, G.hint.m, G.hint.node, *model[k].a);
    } else {
      ++rep.general_grades;
      store.general.push_back({k, &G, in[k - 1]});
    }
  }

  // Phase 2: C2 and its sign form, one independent check per grade.
  std::vector<GradeCheck> checks(supported + 1);
  std::vector<char> checked(supported + 1, 0);
  parallel_for(supported, opt.threads, [&](std::size_t i) {
    const std::size_t k = i + 1;
    const Grade& G = net.grades[i];
    if (model[k].a && model[k].a->is_zero()) return;
    Residual R(f, net.dim, store, k - 1);
    checks[k] = model[k].a ? check_hat(R, k, G.hint.m, G.hint.node, *model[k].a, opt) : check_general(R, k, G, in[i], opt);
    checked[k] = 1;
  });

  // Phase 3: norm enclosures at the chosen grades, each independent.
  std::vector<std::size_t> norm_grades;
  for (auto k : norm_at)
    if (k <= supported) norm_grades.push_back(k);
  rep.norms.resize(norm_grades.size());
  parallel_for(norm_grades.size(), opt.threads, [&](std::size_t i) {
    const std::size_t k = norm_grades[i];
    Residual R(f, net.dim, store, k);
    rep.norms[i] = norms_now(R, k, k == 0 ? 0 : net.grades[k - 1].hint.level, opt);
  });
  for (const auto& n : rep.norms) rep.cells += n.cells;

  // Aggregate in grade order (deterministic whatever the thread count).
  ClaimResult c2{"C2", Verdict::Proved, "", std::nullopt}, c2s{"C2 sign-preserving", Verdict::Proved, "", std::nullopt};
  std::size_t c2_undecided = 0, c2s_undecided = 0, max_cells = 0;
  std::vector<Real> c4_min(opt.p.size(), Real(std::numeric_limits<double>::infinity()));
  std::vector<std::size_t> c4_argmin(opt.p.size(), 0), c4_undecided(opt.p.size(), 0);
  int deepest = 0;
  for (std::size_t k = 1; k <= supported; ++k) {
    if (!checked[k]) continue;
    const GradeCheck& gc = checks[k];
    const Grade& G = net.grades[k - 1];
    const bool hat = model[k].a.has_value();
    if (!hat && !gc.nonzero) ++rep.trivial_grades;
    rep.cells += gc.cells;
    max_cells = std::max(max_cells, gc.cells);
    deepest = std::max(deepest, gc.deepest);
    if (gc.weak == Verdict::Refuted && c2.verdict != Verdict::Refuted) c2.verdict = Verdict::Refuted, c2.witness = gc.weak_w;
    if (gc.sign == Verdict::Refuted && c2s.verdict != Verdict::Refuted) c2s.verdict = Verdict::Refuted, c2s.witness = gc.sign_w;
    if (gc.weak == Verdict::Undecided) ++c2_undecided;
    if (gc.sign == Verdict::Undecided) ++c2s_undecided;
    // C4 at this nontrivial grade: |a|^p ||phi||_p^p when the sign form is proved.
    for (std::size_t i = 0; i < opt.p.size(); ++i) {
      if (hat && gc.sign == Verdict::Proved) {
        Rational npp = hat_norm_pp(net.dim, G.hint.m, G.hint.node, opt.p[i]);
        Real bound = pow_lower(model[k].a->to_rational(), opt.p[i]) * nearest(npp);
        if (bound < c4_min[i]) c4_min[i] = bound, c4_argmin[i] = k;
      } else if (gc.nonzero) {
        ++c4_undecided[i];
      }
    }
  }

  auto finish = [&](ClaimResult& c, std::size_t undecided, const std::string& what) {
    if (c.verdict == Verdict::Refuted) {
      c.summary = what + " fails at grade " + std::to_string(c.witness->grade);
      return;
    }
    std::size_t open = undecided + rep.unsupported_grades;
    if (open) {
      c.verdict = Verdict::Undecided;
      c.summary = what + " undecided at " + std::to_string(open) + " grades (budget " + std::to_string(opt.budget) +
                  " cells per grade" + (rep.unsupported_grades ? "; grades from " + std::to_string(unsupported_from) +
                                                                     " on read features of earlier grades, which this checker does not enclose"
                                                               : std::string()) + ")";
      return;
    }
    c.summary = what + " for all " + std::to_string(rep.grades) + " grades and every x (" + std::to_string(rep.hat_grades) +
                " proved hat blocks, " + std::to_string(rep.general_grades) + " other grades; at most " +
                std::to_string(max_cells) + " cells per grade, finest level " + std::to_string(deepest) + ")";
  };
  finish(c2, c2_undecided, "|r_k(x)| <= |r_{k-1}(x)|");
  finish(c2s, c2s_undecided, "r_k(x) between 0 and r_{k-1}(x)");
  rep.claims.push_back(c2);
  rep.claims.push_back(c2s);

  // C3: the certified sup norm at the last grade against the tolerance.
  ClaimResult c3{"C3", Verdict::Undecided, "", std::nullopt};
  if (!rep.norms.empty() && !unsupported_from) {
    const NormEnclosure& last = rep.norms.back();
    std::ostringstream s;
    s << "||r_" << last.grade << "||_inf in [" << dec(last.inf_lo) << ", " << dec(last.inf_hi) << "]";
    for (std::size_t i = 1; i < rep.norms.size(); ++i)
      if (rep.norms[i].level != rep.norms[i - 1].level || i == 1) {
        Real ratio = rep.norms[i].inf_hi / rep.norms[i - 1].inf_lo;
        if (i == 1) s << "; ratios per level <= ";
        else s << ", ";
        s << to_decimal(ratio, 3);
      }
    if (!opt.eps) {
      s << "; no tolerance given";
    } else {
      Real eps = nearest(*opt.eps);
      s << "; tolerance " << to_string(*opt.eps);
      if (last.inf_hi <= eps) c3.verdict = Verdict::Proved;
      else if (last.inf_lo > eps) {
        c3.verdict = Verdict::Refuted;
        c3.witness = Witness{last.grade, last.argmax, "|r(x)| >= " + dec(last.inf_lo) + " > " + to_string(*opt.eps)};
      }
    }
    c3.summary = s.str();
  } else {
    c3.summary = "norms not enclosed";
  }
  rep.claims.push_back(c3);

  for (std::size_t i = 0; i < opt.p.size(); ++i) {
    ClaimResult c4{"C4 p=" + to_string(opt.p[i]), Verdict::Proved, "", std::nullopt};
    std::size_t open = c4_undecided[i] + rep.unsupported_grades;
    if (c2s.verdict == Verdict::Refuted && open == 0) open = 1;
    if (open) {
      c4.verdict = Verdict::Undecided;
      c4.summary = "strict decay not certified at " + std::to_string(open) + " nontrivial grades (it is certified from the sign-preserving form of C2)";
    } else if (c4_argmin[i] == 0) {
      c4.summary = "no nontrivial grade";
    } else {
      c4.summary = "||r_{k-1}||_p^p - ||r_k||_p^p >= |a_k|^p ||phi_k||_p^p > 0 at every nontrivial grade; smallest " +
                   dec(c4_min[i]) + " at grade " + std::to_string(c4_argmin[i]);
    }
    rep.claims.push_back(c4);
  }
  return rep;
}

}  // namespace mgdl
