// The P1 baseline (theorems/baseline.hpp).
#include "theorems/baseline.hpp"

#include "kernel/enclose.hpp"
#include "kernel/rounding.hpp"
#include "numbers/parallel.hpp"

#include <algorithm>
#include <numeric>

namespace mgdl {

namespace {

Interval f_at_point(const Target& f, std::span<const std::int64_t> p, int L) {
  std::vector<Interval> x(p.size());
  for (std::size_t i = 0; i < p.size(); ++i) x[i] = dyadic_interval(p[i], p[i], L);
  const Interval v = f.box(x);
  if (!is_finite(v)) throw InputError("the target " + f.expr + " is not finite at a grid point of level " + std::to_string(L));
  return v;
}

// I_m f at the point c + y / scale of the level-m cell c (0 <= y_i <= scale),
// from f at the cell's corners (corner k = c + bits of k): the barycentric
// combination on the Kuhn simplex holding the point, with weights
// 1 - y_p1, y_p1 - y_p2, ..., y_pd (y sorted decreasingly; exact dyadics).
Interval interpolant_in_cell(const std::vector<Interval>& corner_f, std::span<const std::int64_t> y, std::int64_t scale, int shift) {
  const std::size_t d = y.size();
  std::vector<std::size_t> perm(d);
  std::iota(perm.begin(), perm.end(), std::size_t{0});
  std::stable_sort(perm.begin(), perm.end(), [&](std::size_t a, std::size_t b) { return y[a] > y[b]; });
  Interval sum = make_interval(Real(0), Real(0));
  std::uint64_t mask = 0;
  std::int64_t prev = scale;
  for (std::size_t k = 0; k <= d; ++k) {
    if (k) mask |= std::uint64_t{1} << perm[k - 1];
    const std::int64_t next = k < d ? y[perm[k]] : 0;
    const std::int64_t w = prev - next;  // weight * scale
    prev = next;
    if (w != 0) sum += corner_f[mask] * dyadic_interval(w, w, shift);
  }
  return sum;
}

std::vector<Interval> corner_values(const Target& f, const GridPoint& c, int m) {
  const std::size_t d = c.size();
  std::vector<Interval> out;
  GridPoint v(d);
  for (std::uint64_t mask = 0; mask < (std::uint64_t{1} << d); ++mask) {
    for (std::size_t i = 0; i < d; ++i) v[i] = c[i] + static_cast<std::int64_t>((mask >> i) & 1);
    out.push_back(f_at_point(f, v, m));
  }
  return out;
}

// I_m f at the point p / 2^L of the closed level-m cell c.
Interval interpolant(const std::vector<Interval>& corner_f, const GridPoint& c, int m, std::span<const std::int64_t> p, int L) {
  std::vector<std::int64_t> y(p.size());
  for (std::size_t i = 0; i < p.size(); ++i) y[i] = p[i] - (c[i] << (L - m));
  return interpolant_in_cell(corner_f, y, std::int64_t{1} << (L - m), L - m);
}

// Upper bound of |f - I_m f| on the level-L cell q (L >= m): Fact I for f on
// the cell (I_m f is affine on its Kuhn simplices, the triangulations being
// nested, so f - I_m f has f's interpolation defects there) with the corner
// values of f - I_m f, intersected with the natural enclosure
// f(cell) - hull(I_m f at the corners) (Fact N).
Interval defect_on_cell(const Target& f, int m, const GridPoint& cm, const std::vector<Interval>& corner_f, const GridPoint& q, int L) {
  const std::size_t d = q.size();
  const TargetCell tc = target_on_cell(f, q, L, true);
  std::vector<Interval> e, interp;
  GridPoint corner(d);
  for (std::uint64_t mask = 0; mask < (std::uint64_t{1} << d); ++mask) {
    for (std::size_t i = 0; i < d; ++i) corner[i] = q[i] + static_cast<std::int64_t>((mask >> i) & 1);
    interp.push_back(interpolant(corner_f, cm, m, corner, L));
    const Interval fv = tc.has_interp ? tc.corner[mask] : f_at_point(f, corner, L);
    e.push_back(fv - interp.back());
  }
  Real ilo = lo(interp[0]), ihi = hi(interp[0]);
  for (const auto& v : interp) ilo = std::min(ilo, lo(v)), ihi = std::max(ihi, hi(v));
  Interval r = tc.box - make_interval(ilo, ihi);
  if (tc.has_interp) r = intersect_enclosures(r, interpolation_enclosure(e, tc.below, tc.above));
  require_enclosure(r, "f - I_m f on a cell");
  return r;
}

Real abs_hi(const Interval& r) { return std::max(-lo(r), hi(r)); }

struct CellOutcome {
  bool ok = false;
  Real bound;
  std::optional<std::vector<Rational>> refuted_at;
};

// Adaptive bisection of the level-m cell q down to level m + refine: ok when
// every piece's bound is <= eps; bound = the largest piece bound (certified).
CellOutcome check_cell(const Target& f, int m, const GridPoint& q, const Real& eps, int refine) {
  const std::size_t d = q.size();
  const std::vector<Interval> corner_f = corner_values(f, q, m);
  std::size_t pieces = 0;
  const std::size_t max_pieces = std::size_t{64} << d;  // per cell: the cost of a level stays bounded
  CellOutcome out;
  out.bound = Real(0);
  std::vector<std::pair<GridPoint, int>> stack{{q, m}};
  bool ok = true;
  while (!stack.empty()) {
    auto [c, L] = std::move(stack.back());
    stack.pop_back();
    ++pieces;
    const Real b = abs_hi(defect_on_cell(f, m, q, corner_f, c, L));
    if (b <= eps) {
      out.bound = std::max(out.bound, b);
      continue;
    }
    // The centre may refute: |f - I_m f| > eps there, certainly.
    if (!out.refuted_at) {
      GridPoint centre(d);
      for (std::size_t i = 0; i < d; ++i) centre[i] = 2 * c[i] + 1;
      const Interval v = f_at_point(f, centre, L + 1) - interpolant(corner_f, q, m, centre, L + 1);
      if (lo(v) > eps || hi(v) < -eps) {
        std::vector<Rational> x;
        for (auto ci : centre) x.emplace_back(ci, Integer(1) << (L + 1));
        out.refuted_at = std::move(x);
      }
    }
    if (L - m >= refine || out.refuted_at || pieces >= max_pieces) {
      ok = false;
      out.bound = std::max(out.bound, b);
      break;
    }
    for (std::uint64_t mask = 0; mask < (std::uint64_t{1} << d); ++mask) {
      GridPoint ch(d);
      for (std::size_t i = 0; i < d; ++i) ch[i] = 2 * c[i] + static_cast<std::int64_t>((mask >> i) & 1);
      stack.push_back({std::move(ch), L + 1});
    }
  }
  out.ok = ok;
  return out;
}

}  // namespace

Interval p1_interpolant_at(const Target& f, int m, std::span<const std::int64_t> p, int L) {
  if (L < m) throw InputError("p1_interpolant_at: the point's level is coarser than m");
  const std::int64_t top = std::int64_t{1} << m;
  GridPoint c(p.size());
  for (std::size_t i = 0; i < p.size(); ++i) c[i] = std::min<std::int64_t>(p[i] >> (L - m), top - 1);
  return interpolant(corner_values(f, c, m), c, m, p, L);
}

Baseline p1_baseline(const Target& f, const Rational& eps, const BaselineOptions& opt) {
  if (eps <= 0) throw InputError("--eps must be positive");
  const std::size_t d = static_cast<std::size_t>(f.dim);
  const Real e = down(eps);
  Baseline out;
  for (int m = 0; m <= opt.max_level; ++m) {
    if (static_cast<double>(m) * static_cast<double>(d) > 62 || (std::uint64_t{1} << (m * static_cast<int>(d))) > opt.max_cells) break;
    const std::uint64_t n = std::uint64_t{1} << (m * static_cast<int>(d));
    std::vector<CellOutcome> res(n);
    parallel_for(n, opt.threads, [&](std::size_t i) {
      GridPoint q(d);
      std::uint64_t k = i;
      for (std::size_t j = 0; j < d; ++j) q[j] = static_cast<std::int64_t>(k % (std::uint64_t{1} << m)), k >>= m;
      res[i] = check_cell(f, m, q, e, opt.refine);
    });
    BaselineLevel lv;
    lv.m = m;
    lv.certified = std::all_of(res.begin(), res.end(), [](const CellOutcome& r) { return r.ok; });
    lv.bound = Real(0);
    for (const auto& r : res) {
      lv.bound = std::max(lv.bound, r.bound);
      if (r.refuted_at && !lv.refuted_at) lv.refuted_at = r.refuted_at;  // the first cell in order
    }
    if (!lv.certified) lv.bound = infinity();  // a failed cell's last piece bounds only that piece
    out.levels.push_back(lv);
    if (lv.certified) {
      out.found = true;
      out.level = m;
      out.nodes = 1;
      for (std::size_t j = 0; j < d; ++j) out.nodes *= (std::uint64_t{1} << m) + 1;
      break;
    }
  }
  return out;
}

}  // namespace mgdl
