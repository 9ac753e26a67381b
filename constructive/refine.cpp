// The cell-based engine (see refine.hpp and docs/theory.md, section 8).
#include "constructive/refine.hpp"

#include "kernel/rounding.hpp"
#include "numbers/comm.hpp"
#include "numbers/parallel.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <span>
#include <unordered_map>

namespace mgdl {

namespace {

using Key = std::vector<std::int64_t>;  // [level, q_1, ..., q_d]

Key make_key(int level, const GridPoint& q) {
  Key k;
  k.reserve(q.size() + 1);
  k.push_back(level);
  k.insert(k.end(), q.begin(), q.end());
  return k;
}
GridPoint key_point(const Key& k) { return GridPoint(k.begin() + 1, k.end()); }
// One row of the bound map as Engine::decode_bounds reads it.
void put_bound(ByteWriter& w, std::int64_t level, std::span<const std::int64_t> q, const Real& b) {
  w.i64(level);
  for (std::int64_t x : q) w.i64(x);
  w.real(b);
}

// Corner `mask` of the cell with lower corner q (bit i: +1 in coordinate i).
GridPoint corner_of(const GridPoint& q, std::uint32_t mask) {
  GridPoint v = q;
  for (std::size_t i = 0; i < v.size(); ++i) v[i] += (mask >> i) & 1;
  return v;
}
// The level-m cell q having the node z as its corner `c`; false when that
// cell lies outside the cube.
bool cell_with_corner(const GridPoint& z, std::uint32_t c, int m, GridPoint& q) {
  const std::int64_t top = std::int64_t{1} << m;
  q.resize(z.size());
  bool inside = true;
  for (std::size_t i = 0; i < z.size(); ++i) {
    q[i] = z[i] - ((c >> i) & 1);
    if (q[i] < 0 || q[i] >= top) inside = false;
  }
  return inside;
}


// The d! Kuhn simplices of a cell: permutation p visits corners
// 0, e_p0, e_p0 + e_p1, ... (bit masks), as in simplex_weights().
struct Simplices {
  std::vector<std::vector<std::uint32_t>> masks;  // [simplex][k], k = 0..d
  explicit Simplices(int d) {
    std::vector<int> p(static_cast<std::size_t>(d));
    std::iota(p.begin(), p.end(), 0);
    do {
      std::vector<std::uint32_t> m{0};
      for (int i : p) m.push_back(m.back() | (1u << i));
      masks.push_back(std::move(m));
    } while (std::next_permutation(p.begin(), p.end()));
  }
};

struct NodeValue {
  Dyadic F;    // F at the node, exact
  Interval e;  // f - F at the node
};

// What one level-m cell contributes: e at its corners, an enclosure of e on
// it, the interpolation defects, and per Kuhn simplex the sign and the
// allowances (a_v may be at most theta * allow at vertex k; docs/theory.md 8.1).
struct CellData {
  std::vector<Interval> corner;
  Real elo, ehi;
  Real below, above;  // I e - e <= below, e - I e <= above on each simplex
  std::vector<int> sign;
  std::vector<std::vector<Real>> allow;
};

}  // namespace

void subdivided_defects(const Target& f, const GridPoint& q, int m, int k, Real& below, Real& above) {
  below = above = infinity();
  const int d = static_cast<int>(q.size());
  if (!f.hessian || k < 1 || k > 4 || d < 1) return;
  const auto D = static_cast<std::size_t>(d);
  const std::int64_t n = std::int64_t{1} << k;  // sub-cells per side
  const int L = m + k;
  // Sub-corner j (0 <= j_i <= n) has index sum_i j_i (n + 1)^i.
  std::vector<std::int64_t> stride(D + 1, 1);
  for (std::size_t i = 0; i < D; ++i) stride[i + 1] = stride[i] * (n + 1);
  auto coord = [&](std::int64_t idx, std::size_t i) { return idx / stride[i] % (n + 1); };
  std::vector<Interval> fv(static_cast<std::size_t>(stride.back()));
  std::vector<Interval> pt(D);
  for (std::int64_t idx = 0; idx < stride.back(); ++idx) {
    for (std::size_t i = 0; i < D; ++i) pt[i] = dyadic_interval(q[i] * n + coord(idx, i), q[i] * n + coord(idx, i), L);
    fv[static_cast<std::size_t>(idx)] = f.box(pt);
    if (!is_finite(fv[static_cast<std::size_t>(idx)])) return;
  }
  // diff[w] = I_S f - f at the sub-corner w, for any level-m simplex S of the
  // cell holding w (the Kuhn interpolant is continuous): the path through the
  // coordinates of w in decreasing order, barycentric weights (units of 1/n)
  // n - w_p0, w_p0 - w_p1, ..., w_p(d-1) at the corners 0, e_p0, e_p0 + e_p1, ...
  std::vector<Interval> diff(fv.size());
  std::vector<std::size_t> perm(D);
  for (std::int64_t idx = 0; idx < stride.back(); ++idx) {
    std::iota(perm.begin(), perm.end(), std::size_t{0});
    std::stable_sort(perm.begin(), perm.end(), [&](std::size_t a, std::size_t b) { return coord(idx, a) > coord(idx, b); });
    Interval I(0);
    std::int64_t vertex = 0, prev = n;  // the index of the current corner of the cell
    for (std::size_t t = 0; t <= D; ++t) {
      const std::int64_t next = t < D ? coord(idx, perm[t]) : 0;
      if (prev != next) I += fv[static_cast<std::size_t>(vertex)] * dyadic_interval(prev - next, prev - next, k);
      if (t < D) vertex += n * stride[perm[t]];
      prev = next;
    }
    diff[static_cast<std::size_t>(idx)] = I - fv[static_cast<std::size_t>(idx)];
  }
  // Every sub-corner is a vertex of some level-(m + k) sub-simplex, and every
  // sub-simplex gets Fact I's defects at level m + k from the cell's Hessian
  // enclosure (valid on each sub-cell; 4^-k times the cell's own defects). So
  // the bound is the largest value at the sub-corners plus that remainder.
  std::vector<Interval> box(D), H, grad;
  Interval fb;
  for (std::size_t i = 0; i < D; ++i) box[i] = dyadic_interval(q[i], q[i] + 1, m);
  f.hessian(box, fb, grad, H);
  Real sb, sa;
  interpolation_defects(H, d, L, sb, sa);
  if (!(sb < infinity()) || !(sa < infinity())) return;
  Real vlo = -infinity(), vhi = -infinity();  // max of I_S f - f and of f - I_S f at the sub-corners
  for (const Interval& v : diff) {
    if (hi(v) > vlo) vlo = hi(v);
    if (-lo(v) > vhi) vhi = -lo(v);
  }
  Real lo_def = add_up(vlo, sb), hi_def = add_up(vhi, sa);
  if (lo_def < 0) lo_def = Real(0);
  if (hi_def < 0) hi_def = Real(0);
  below = lo_def;
  above = hi_def;
}

namespace {

constexpr int kLocalSpan = 24;  // grid levels one level of the local schedule may span before the guard

class Engine {
 public:
  Engine(const Target& f, const ScheduleOptions& opt, unsigned bits)
      : f_(f), opt_(opt), d_(f.dim), simplices_(f.dim), F_(f.dim), bits_(bits), theta_(opt.theta.to_real()),
        rank_(comm_rank(opt.comm)), ranks_(comm_size(opt.comm)) {
    // At least 8 slabs per rank, and 64 in all: a rank holds its slabs and
    // a few on either side (see below).
    while (S_ < 64 || S_ < 8 * static_cast<std::int64_t>(ranks_)) S_ = std::int64_t{1} << ++B_;
    own_a_ = slab_first(rank_);
    own_b_ = slab_first(rank_ + 1);
    if (opt.time_limit > 0)
      deadline_ = std::chrono::steady_clock::now() +
                  std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(std::min(opt.time_limit, 1e9)));
  }

  Construction run(const std::function<void(const Construction&)>& checkpoint, const Construction* resume);

 private:
  bool second() const { return opt_.rule == Rule::SecondOrder && static_cast<bool>(f_.hessian); }

  // --- values of the current residual e = f - F --------------------------------
  NodeValue node_value(int m, const GridPoint& v) {
    const std::uint64_t k = node_key(m, v);
    auto it = nodes_.find(k);
    if (it != nodes_.end()) return it->second;
    NodeValue nv = compute_node(m, v);
    return nodes_.emplace(k, nv).first->second;
  }
  NodeValue compute_node(int m, const GridPoint& v) const {
    std::vector<Interval> pt(static_cast<std::size_t>(d_));
    for (std::size_t i = 0; i < pt.size(); ++i) pt[i] = dyadic_interval(v[i], v[i], m);
    Interval fv = f_.box(pt);
    if (!is_finite(fv)) {  // name a cell of the cube holding the node
      GridPoint q = v;
      for (auto& x : q) x = std::min(x, (std::int64_t{1} << m) - 1);
      require_finite_on_cell(f_, fv, q, m);
    }
    if (hi(fv) - lo(fv) > point_width_max_) require_accurate_point(fv, "a grid point of level " + std::to_string(m), point_width_max_);
    NodeValue nv;
    nv.F = F_.at(v, m);
    nv.e = fv - nv.F.to_interval();
    return nv;
  }

  CellData compute_cell(int m, const GridPoint& q, const std::vector<NodeValue>& corners) const;
  const CellData& cell(int m, const GridPoint& q) {
    const std::uint64_t k = node_key(m, q);
    auto it = cells_.find(k);
    if (it != cells_.end()) return it->second;
    std::vector<NodeValue> corners(std::size_t{1} << d_);
    for (std::uint32_t mask = 0; mask < corners.size(); ++mask) {
      const GridPoint v = corner_of(q, mask);
      corners[mask] = node_value(m, v);
    }
    return cells_.emplace(k, compute_cell(m, q, corners)).first->second;
  }
  // Computes the data of many cells on the worker threads (results identical
  // to computing them one by one).
  void prefetch(int m, const std::vector<GridPoint>& qs);

  // --- the bound map ------------------------------------------------------------
  // Level j of the map cell containing the level-m cell q, or m + 1 when the
  // region of q is split finer than m.
  int cover_level(int m, const GridPoint& q) const {
    GridPoint a = q;
    for (int j = m; j >= 0; --j) {
      if (map_.count(make_key(j, a))) return j;
      for (auto& x : a) x >>= 1;
    }
    return m + 1;
  }
  // Splits the map cell of level j containing the level-m cell q until q is a
  // map cell (on this rank, as far as it holds the cells on the way).
  void split_down(int j, int m, const GridPoint& q) {
    GridPoint a(q.size());
    for (; j < m; ++j) {
      for (std::size_t i = 0; i < q.size(); ++i) a[i] = q[i] >> (m - j);
      auto it = map_.find(make_key(j, a));
      if (it == map_.end()) return;  // not held here
      Real b = it->second;
      map_.erase(it);
      GridPoint child(q.size());
      for (std::uint32_t mask = 0; mask < (1u << d_); ++mask) {
        for (std::size_t i = 0; i < q.size(); ++i) child[i] = 2 * a[i] + ((mask >> i) & 1);
        if (holds_cell(j + 1, child)) map_.emplace(make_key(j + 1, child), b);
      }
    }
  }
  void split(Key k, Real b) {  // by value: erasing k would invalidate references into the map
    map_.erase(k);
    const int j = static_cast<int>(k[0]);
    GridPoint child(static_cast<std::size_t>(d_));
    for (std::uint32_t mask = 0; mask < (1u << d_); ++mask) {
      for (int i = 0; i < d_; ++i) child[static_cast<std::size_t>(i)] = 2 * k[static_cast<std::size_t>(i) + 1] + ((mask >> i) & 1);
      if (holds_cell(j + 1, child)) map_.emplace(make_key(j + 1, child), b);
    }
  }
  // The largest bound of the whole map (every rank's cells).
  Real max_bound() const {
    Real u(0);
    for (const auto& [k, b] : map_)
      if (b > u) u = b;
    return ranks_ > 1 ? max_at(opt_.comm, u).value : u;
  }

  // --- ranks (docs/theory.md 8.2) -------------------------------------------------
  // The cube is cut into S_ = 2^B_ slabs along x1; rank r owns slabs
  // [slab_first(r), slab_first(r + 1)), and the hot cells whose lower corner
  // lies there. It holds every map cell coarser than a slab, the finer ones
  // within one slab of its own, every hat coarser than a slab and the finer
  // hats whose supports meet the slabs within three of its own: all a pass
  // reads for its hot cells (by (R), F at a corner or centre of a level-m map
  // cell is a sum of hats of levels <= m, whose supports are at most a slab wide
  // when m >= B_, and the points lie within two level-m cells of the rank's slabs).
  std::int64_t slab_first(int r) const { return static_cast<std::int64_t>(run_begin(static_cast<std::uint64_t>(S_), r, ranks_)); }
  std::int64_t slab_of(int j, std::int64_t q1) const { return j >= B_ ? q1 >> (j - B_) : q1 << (B_ - j); }
  int owner(int j, const GridPoint& q) const {
    if (ranks_ == 1) return 0;
    return static_cast<int>(((slab_of(j, q[0]) + 1) * ranks_ - 1) / S_);
  }
  bool holds_cell(int j, const GridPoint& q) const {
    if (ranks_ == 1 || j < B_) return true;
    const std::int64_t s = slab_of(j, q[0]);
    return s >= own_a_ - 1 && s <= own_b_;
  }
  bool holds_hat(int m, const GridPoint& z) const {
    if (ranks_ == 1 || m < B_) return true;
    const int sh = m - B_;
    const std::int64_t lo = (z[0] - 1) >> sh, hi = -((-(z[0] + 1)) >> sh);  // the support meets slabs [lo, hi)
    return lo < own_b_ + 3 && hi > own_a_ - 3;
  }

  // --- the rule -----------------------------------------------------------------
  // |T e| bound on simplex s of a cell, given the (signed) coefficients at its vertices.
  Real simplex_bound(const CellData& c, std::size_t s, const std::vector<Real>& a) const;
  Real cell_bound(int m, const GridPoint& q, const CellData& cd, const std::unordered_map<std::uint64_t, Real>& a_at) const;
  Dyadic coefficient(int m, const GridPoint& z);

  bool stop_requested() {
    if (opt_.interrupt && opt_.interrupt->load(std::memory_order_relaxed)) return true;
    if (deadline_ && std::chrono::steady_clock::now() >= *deadline_) {
      timed_out_ = true;
      return true;
    }
    return false;
  }

  // One pass at grid level m against target t. Returns false when stopped.
  enum class PassEnd { Done, Stopped, MaxGrades };
  PassEnd pass(int m, const Real& t, bool uniform_split, bool commit_all, Construction& c, int level);

  const Target& f_;
  const ScheduleOptions& opt_;
  int d_;
  Simplices simplices_;
  Approximant F_;
  unsigned bits_;
  Real theta_;
  Real point_width_max_ = infinity();
  std::optional<std::chrono::steady_clock::time_point> deadline_;
  int rank_ = 0, ranks_ = 1;
  int B_ = 0;
  std::int64_t S_ = 1, own_a_ = 0, own_b_ = 1;
  std::size_t grades_ = 0;  // the grades so far (c.grades is held by rank 0 alone)
  bool timed_out_ = false;
  std::map<Key, Real> map_;
  // Rank 0: the bound map at the end of the last completed level, each rank's
  // own cells in key order, encoded (a quarter of the decoded size); decoded
  // into Construction::cell_bounds only for a checkpoint and at the end.
  std::vector<std::string> bounds_;
  void decode_bounds(Construction& c) const;
  // Within one pass (grid level m), keyed by node_key(m, .) of the node or
  // of the cell's lower corner.
  std::unordered_map<std::uint64_t, NodeValue> nodes_;
  std::unordered_map<std::uint64_t, CellData> cells_;
  Real target_{0};                                  // the current pass's target t (read by compute_cell)
  Real L_{0};                                       // lower bound of ||e||_inf seen in the current level
  GridPoint stuck_;
  int stuck_m_ = -1;
};

CellData Engine::compute_cell(int m, const GridPoint& q, const std::vector<NodeValue>& nv) const {
  CellData c;
  const auto [box, pt, centre] = cell_points(q, m);
  Interval fb;
  std::vector<Interval> grad, H;
  if (second()) f_.hessian(box, fb, grad, H);
  else if (f_.gradient) f_.gradient(box, fb, grad);
  else fb = f_.box(box);
  require_finite_on_cell(f_, fb, q, m);
  std::vector<Dyadic> Fc(nv.size());
  Dyadic Fmin = nv[0].F, Fmax = nv[0].F;
  for (std::size_t k = 0; k < nv.size(); ++k) {
    Fc[k] = nv[k].F;
    c.corner.push_back(nv[k].e);
    if (compare(Fc[k], Fmin) < 0) Fmin = Fc[k];
    if (compare(Fc[k], Fmax) > 0) Fmax = Fc[k];
  }
  // Fact N: F is affine on each level-m simplex of the cell, so its range is
  // the hull of the corner values.
  Interval e = fb - make_interval(lo(Fmin.to_interval()), hi(Fmax.to_interval()));
  Interval fp = f_.box(pt);
  require_finite_on_cell(f_, fp, q, m);
  // Zero faces (Fact Z): faces of the cell on which f = 0 and F = 0, hence e = 0,
  // and the minorants of +-f that vanish there (zero_minorants; docs/theory.md 8.5).
  std::vector<ZeroMinorant> minorants;
  if (!grad.empty() && std::all_of(grad.begin(), grad.end(), [](const Interval& g) { return is_finite(g); })) {
    Interval ep = fp - F_.at(centre, m + 1).to_interval();
    const std::vector<Interval> gF = cell_gradient_hull(Fc, m, d_);
    e = intersect_enclosures(e, centred_enclosure(ep, grad, gF, m));
    const std::uint32_t faces = second() && lo(fb) <= 0 && hi(fb) >= 0 ? zero_faces(f_, q, m) & zero_corner_faces(Fc, d_) : 0;
    e = anchored_on_faces(e, faces, grad, gF, m);
    if (faces) zero_minorants(f_, box, faces, grad, H, m, minorants);
  }
  c.below = c.above = infinity();
  if (second()) interpolation_defects(H, d_, m, c.below, c.above);
  // Fact I on sub-simplices (8.1), where the cell's own defects are not small
  // next to the pass's target (elsewhere they change little and cost 2^(kd)
  // Hessians). Both bounds are valid; the smaller is kept. Not in 1-D, where
  // the cell is its only simplex and sub-cells only narrow the Hessian's hull
  // (measured: the same grade counts, twice the time).
  if (second() && d_ >= 2 && opt_.defect_depth > 0 && c.below < infinity() && c.above < infinity() &&
      add_up(c.below, c.above) > ldexp(target_, -3)) {
    Real sb, sa;
    subdivided_defects(f_, q, m, opt_.defect_depth, sb, sa);
    if (sb < c.below) c.below = sb;
    if (sa < c.above) c.above = sa;
  }
  if (c.below < infinity() && c.above < infinity()) {
    // Fact I: on each simplex, I e - below <= e <= I e + above, and I e lies in the corner hull.
    Real lo_c = infinity(), hi_c = -infinity();
    for (const auto& x : c.corner) {
      if (lo(x) < lo_c) lo_c = lo(x);
      if (hi(x) > hi_c) hi_c = hi(x);
    }
    e = intersect_enclosures(e, make_interval(sub_down(lo_c, c.below), add_up(hi_c, c.above)));
  }
  c.elo = lo(e);
  c.ehi = hi(e);
  // Per simplex: one bound type for all its vertices (docs/theory.md 8.1).
  for (const auto& masks : simplices_.masks) {
    std::vector<Real> pos_aff, neg_aff;
    bool pos_ok = c.below < infinity(), neg_ok = c.above < infinity();
    for (std::uint32_t mk : masks) {
      if (pos_ok) {
        Real u = sub_down(lo(c.corner[mk]), c.below);
        if (!(u > 0)) pos_ok = false;  // strictly: e > 0 on the closed simplex

        pos_aff.push_back(u);
      }
      if (neg_ok) {
        Real u = sub_down(Real(-hi(c.corner[mk])), c.above);
        if (!(u > 0)) neg_ok = false;
        neg_aff.push_back(u);
      }
    }
    // Both valid types are sound (Lemma 1' needs only e >= I_S(u) on S); the
    // simplex takes the one whose Lemma 2' bound after the rule is smaller,
    // computed as if every vertex got theta times its allowance (affine on ties).
    // |e| at the vertices (s = 1: hi e; s = -1: -lo e), and the defect on that side.
    auto choose = [&](int s, bool aff_ok, const std::vector<Real>& aff, bool const_ok, const Real& cst) -> std::optional<std::vector<Real>> {
      if (aff_ok && const_ok) {
        const Real& defect = s > 0 ? c.above : c.below;
        const Real sup = s > 0 ? c.ehi : Real(-c.elo);
        Real b_aff = -infinity(), top = -infinity();
        for (std::size_t k = 0; k < masks.size(); ++k) {
          const Real ev = s > 0 ? Real(hi(c.corner[masks[k]])) : Real(-lo(c.corner[masks[k]]));
          b_aff = std::max(b_aff, Real(ev - theta_ * aff[k]));
          top = std::max(top, ev);
        }
        b_aff = std::min(Real(b_aff + defect), Real(sup - theta_ * *std::min_element(aff.begin(), aff.end())));
        const Real b_cst = std::min(Real(top + defect), sup) - theta_ * cst;
        return b_aff <= b_cst ? aff : std::vector<Real>(masks.size(), cst);
      }
      if (aff_ok) return aff;
      if (const_ok) return std::vector<Real>(masks.size(), cst);
      return std::nullopt;
    };
    // The zero-face types (docs/theory.md 8.5), only where neither of the others
    // applies: the minorant whose Lemma 2' bound (as in `choose`) is smallest.
    auto zero_type = [&](int s) -> std::optional<std::vector<Real>> {
      const Real& defect = s > 0 ? c.above : c.below;
      const Real sup = s > 0 ? c.ehi : Real(-c.elo);
      std::optional<std::vector<Real>> best;
      Real best_b = infinity();
      for (const ZeroMinorant& zm : minorants) {
        if (zm.sign != s) continue;
        std::vector<Real> u;
        bool ok = true, some = false;
        Real b = -infinity(), umin = infinity();
        for (std::uint32_t mk : masks) {
          const Real ev = s > 0 ? Real(hi(c.corner[mk])) : Real(-lo(c.corner[mk]));
          bool on_zero = false;
          for (int j = 0; j < 2 * d_; ++j)
            if ((zm.zero >> j) & 1u) on_zero = on_zero || ((mk >> (j / 2)) & 1u) == static_cast<std::uint32_t>(j % 2);
          if (on_zero) {
            u.push_back(Real(0));
          } else {
            const Real Fv = s > 0 ? Real(hi(Fc[mk].to_interval())) : Real(-lo(Fc[mk].to_interval()));
            u.push_back(sub_down(zm.value[zm.k < 0 ? 0 : (mk >> zm.k) & 1u], Fv));
            ok = ok && u.back() > 0;
            some = true;
          }
          b = std::max(b, Real(ev - theta_ * u.back()));
          umin = std::min(umin, u.back());
        }
        if (!ok || !some) continue;
        b = defect < infinity() ? std::min(Real(b + defect), Real(sup - theta_ * umin)) : Real(sup - theta_ * umin);
        if (!best || b < best_b) best = std::move(u), best_b = b;
      }
      return best;
    };
    auto pos = choose(1, pos_ok, pos_aff, c.elo > 0, c.elo);
    auto neg = choose(-1, neg_ok, neg_aff, c.ehi < 0, Real(-c.ehi));
    if (!pos && !neg) pos = zero_type(1);
    if (!pos && !neg) neg = zero_type(-1);
    if (pos) {
      c.sign.push_back(1);
      c.allow.push_back(std::move(*pos));
    } else if (neg) {
      c.sign.push_back(-1);
      c.allow.push_back(std::move(*neg));
    } else {
      c.sign.push_back(0);
      c.allow.emplace_back(masks.size(), Real(0));
    }
  }
  return c;
}

void Engine::prefetch(int m, const std::vector<GridPoint>& qs) {
  // Corner values first (shared between cells), then the cells. The lists
  // hold node keys (8 bytes) until they are deduplicated: a batch lists each
  // cell up to 2^d times and each corner up to 4^d times.
  std::vector<std::uint64_t> want;
  for (const GridPoint& q : qs) {
    if (cells_.count(node_key(m, q))) continue;
    for (std::uint32_t mask = 0; mask < (1u << d_); ++mask) {
      const std::uint64_t v = node_key(m, corner_of(q, mask));
      if (!nodes_.count(v)) want.push_back(v);
    }
  }
  std::sort(want.begin(), want.end());
  want.erase(std::unique(want.begin(), want.end()), want.end());
  std::vector<NodeValue> values(want.size());
  parallel_for(want.size(), opt_.threads, [&](std::size_t i) { values[i] = compute_node(m, node_from_key(m, d_, want[i])); });
  for (std::size_t i = 0; i < want.size(); ++i) nodes_.emplace(want[i], std::move(values[i]));
  std::vector<NodeValue>().swap(values);
  std::vector<GridPoint> todo;
  for (const GridPoint& q : qs)
    if (!cells_.count(node_key(m, q))) todo.push_back(q);
  std::sort(todo.begin(), todo.end());
  todo.erase(std::unique(todo.begin(), todo.end()), todo.end());
  // Each task reads its corners from nodes_ (no insertion meanwhile).
  std::vector<CellData> data(todo.size());
  parallel_for(todo.size(), opt_.threads, [&](std::size_t t) {
    std::vector<NodeValue> corners;
    corners.reserve(std::size_t{1} << d_);
    for (std::uint32_t mask = 0; mask < (1u << d_); ++mask) corners.push_back(nodes_.at(node_key(m, corner_of(todo[t], mask))));
    data[t] = compute_cell(m, todo[t], corners);
  });
  for (std::size_t t = 0; t < todo.size(); ++t) cells_.emplace(node_key(m, todo[t]), std::move(data[t]));
}

Real Engine::simplex_bound(const CellData& c, std::size_t s, const std::vector<Real>& a) const {
  const auto& masks = simplices_.masks[s];
  const int sg = c.sign[s];
  if (sg == 0) {  // no coefficient at its vertices: e is unchanged on it
    Real b = std::max(c.ehi, Real(-c.elo));
    if (c.above < infinity() && c.below < infinity()) {
      Real hi_v = -infinity(), lo_v = infinity();
      for (std::uint32_t mk : masks) {
        if (hi(c.corner[mk]) > hi_v) hi_v = hi(c.corner[mk]);
        if (lo(c.corner[mk]) < lo_v) lo_v = lo(c.corner[mk]);
      }
      Real bi = std::max(add_up(hi_v, c.above), add_up(Real(-lo_v), c.below));
      if (bi < b) b = bi;
    }
    return b;
  }
  // e_new = e - I(a) lies between 0 and e (Lemma 1); its magnitude is at most
  // min( max_v (|e_v| - |a_v|) + defect,  sup |e| - min_v |a_v| ).
  Real b1 = -infinity(), amin = infinity();
  for (std::size_t k = 0; k < masks.size(); ++k) {
    const Interval& ev = c.corner[masks[k]];
    Real mag = sg > 0 ? sub_up(hi(ev), a[k]) : sub_up(a[k], lo(ev));  // a[k] signed
    if (mag > b1) b1 = mag;
    Real am = sg > 0 ? a[k] : Real(-a[k]);
    if (am < amin) amin = am;
  }
  const Real& defect = sg > 0 ? c.above : c.below;
  b1 = defect < infinity() ? add_up(b1, defect) : infinity();
  Real b2 = sub_up(sg > 0 ? c.ehi : Real(-c.elo), amin);
  Real b = b1 < b2 ? b1 : b2;
  return b < 0 ? Real(0) : b;
}

Dyadic Engine::coefficient(int m, const GridPoint& z) {
  int sign = 0;
  Real best = infinity();
  GridPoint q(z.size());
  for (std::uint32_t c = 0; c < (1u << d_); ++c) {
    if (!cell_with_corner(z, c, m, q)) continue;
    const CellData& cd = cell(m, q);
    const int k = std::popcount(c);
    for (std::size_t s = 0; s < simplices_.masks.size(); ++s) {
      if (simplices_.masks[s][static_cast<std::size_t>(k)] != c) continue;  // z is not a vertex of this simplex
      const int sg = cd.sign[s];
      if (sg == 0 || (sign != 0 && sg != sign)) return Dyadic();
      sign = sg;
      if (cd.allow[s][static_cast<std::size_t>(k)] < best) best = cd.allow[s][static_cast<std::size_t>(k)];
    }
  }
  if (sign == 0 || !(best > 0)) return Dyadic();
  Dyadic a = Dyadic::toward_zero(mul_down(theta_, best), bits_);
  return sign > 0 ? a : -a;
}

Real Engine::cell_bound(int m, const GridPoint& q, const CellData& cd, const std::unordered_map<std::uint64_t, Real>& a_at) const {
  Real worst(0);
  for (std::size_t s = 0; s < cd.sign.size(); ++s) {
    std::vector<Real> a;
    for (std::uint32_t mk : simplices_.masks[s]) {
      const GridPoint v = corner_of(q, mk);
      auto it = a_at.find(node_key(m, v));
      a.push_back(it == a_at.end() ? Real(0) : it->second);
    }
    Real b = simplex_bound(cd, s, a);
    if (b > worst) worst = b;
  }
  return worst;
}

Engine::PassEnd Engine::pass(int m, const Real& t, bool uniform_split, bool commit_all, Construction& c, int level) {
  target_ = t;
  nodes_.clear();
  cells_.clear();
  // Nodes and cells of level m are named by node keys (8 bytes; key order is
  // lexicographic order), and decoded where their coordinates are needed.
  const auto pt = [&](std::uint64_t key) { return node_from_key(m, d_, key); };
  // This rank's hot cells (all of them on one rank), in key order.
  std::vector<std::uint64_t> hot;
  for (const auto& [k, b] : map_)
    if (k[0] == m && (commit_all || b > t)) {
      const GridPoint q = key_point(k);
      if (owner(m, q) == rank_) hot.push_back(node_key(m, q));
    }
  auto map_at = [&](std::uint64_t q) -> Real& { return map_.at(make_key(m, pt(q))); };
  // 1. Candidates: every corner of a hot cell.
  std::vector<std::uint64_t> cand;
  cand.reserve(hot.size() << d_);
  for (std::uint64_t h : hot) {
    const GridPoint q = pt(h);
    for (std::uint32_t mask = 0; mask < (1u << d_); ++mask) cand.push_back(node_key(m, corner_of(q, mask)));
  }
  std::sort(cand.begin(), cand.end());
  cand.erase(std::unique(cand.begin(), cand.end()), cand.end());
  // 2. A node may get a grade only when every level-m cell around it is a map
  // cell of level m (coarser neighbours are split down to m; finer ones
  // exclude the node). The outcome for a node does not depend on the splits
  // made for other nodes (a split never makes a cell finer than m), so each
  // rank decides for its own candidates, and then applies every rank's splits
  // to the cells it holds.
  std::vector<std::uint64_t> nodes;
  std::vector<std::uint64_t> splits;  // level-m cells this rank split down to
  for (std::uint64_t key : cand) {
    const GridPoint z = pt(key);
    bool ok = true;
    GridPoint q(z.size());
    for (std::uint32_t cm = 0; cm < (1u << d_) && ok; ++cm) {
      if (!cell_with_corner(z, cm, m, q)) continue;
      const int j = cover_level(m, q);
      if (j > m) {
        ok = false;
      } else if (j < m) {
        split_down(j, m, q);
        if (ranks_ > 1) splits.push_back(node_key(m, q));
      }
    }
    if (ok) nodes.push_back(key);
  }
  std::vector<std::uint64_t>().swap(cand);
  if (ranks_ > 1) {
    ByteWriter w;
    for (std::uint64_t q : splits) w.u64(q);
    std::vector<std::uint64_t>().swap(splits);
    const std::vector<std::string> got = allgather(opt_.comm, w.take());
    for (int r = 0; r < ranks_; ++r) {
      if (r == rank_) continue;
      ByteReader in(got[static_cast<std::size_t>(r)]);
      while (!in.done()) {
        const GridPoint q = pt(in.u64());
        if (const int j = cover_level(m, q); j < m) split_down(j, m, q);
      }
    }
  }
  // 3. Tentative coefficients, and the bound each hot cell would get. One
  // sweep over the nodes in key order, sweep_batch nodes at a time. A node
  // z reads the cells it is a corner of, a hot cell q the coefficients of its
  // corners; every such cell or corner w has z <= w + 1 (coordinate-wise), so
  // with `ones` = key(w + 1) - key(w), once the nodes up to key K are done a
  // hot cell q with key(q) + ones <= K has its bound, and a cell, corner
  // value or tentative coefficient w with key(w) + ones <= K is read no more.
  // About one layer of cells across x1 (2^(m(d-1))) is held at a time. The results
  // are those of computing every cell at once (each is a function of the
  // residual). A node at a corner of two ranks' cells is computed by both, alike.
  std::uint64_t ones = 0;
  for (int i = 0; i < d_; ++i) ones = ones * ((std::uint64_t{1} << m) + 1) + 1;
  std::unordered_map<std::uint64_t, Real> tentative;
  std::vector<std::uint64_t> coef_key;  // the nonzero tentative coefficients, in key order
  std::vector<Dyadic> coef_val;
  std::vector<Real> bound(hot.size());
  std::vector<char> passes(hot.size());
  std::unordered_map<std::size_t, CellData> failing;  // what the final bound of a failing hot cell needs
  // A batch is at most an eighth of a layer, or 1024 nodes where that is more
  // (so that threads have work): the window is then one layer plus that, not
  // one layer plus sweep_batch nodes (at m = 6 in 3-D a layer is 4,225 nodes
  // and a batch 1,024: about 1.25 layers, where it was about 2).
  const std::size_t batch = std::min<std::size_t>(std::max<std::size_t>(1, opt_.sweep_batch), std::max<std::uint64_t>(1024, ones / 8));
  bool stopped = false;
  for (std::size_t ni = 0, hi_ = 0; ni < nodes.size() || hi_ < hot.size();) {
    const std::size_t nj = std::min(nodes.size(), ni + batch);
    const bool last = nj == nodes.size();
    const std::uint64_t done = last ? std::numeric_limits<std::uint64_t>::max() : nodes[nj] - 1;  // every node up to here is done after this batch
    std::size_t hj = hi_;
    while (hj < hot.size() && hot[hj] + ones <= done) ++hj;
    std::vector<GridPoint> want;
    for (std::size_t h = hi_; h < hj; ++h) want.push_back(pt(hot[h]));
    GridPoint q(static_cast<std::size_t>(d_));
    for (std::size_t k = ni; k < nj; ++k) {
      const GridPoint z = pt(nodes[k]);
      for (std::uint32_t cm = 0; cm < (1u << d_); ++cm)
        if (cell_with_corner(z, cm, m, q)) want.push_back(q);
    }
    prefetch(m, want);
    std::vector<GridPoint>().swap(want);
    c.held_cells = std::max(c.held_cells, cells_.size());
    if (stop_requested()) {
      stopped = true;  // every rank learns it below, and all stop at this pass
      break;
    }
    for (std::size_t k = ni; k < nj; ++k) {
      Dyadic a = coefficient(m, pt(nodes[k]));
      if (a.is_zero()) continue;
      tentative.emplace(nodes[k], a.to_real());
      coef_key.push_back(nodes[k]);
      coef_val.push_back(std::move(a));
    }
    for (std::size_t h = hi_; h < hj; ++h) {
      const GridPoint qh = pt(hot[h]);
      const CellData& cd = cell(m, qh);
      for (const auto& v : cd.corner) {
        Real low = lo(v) > 0 ? lo(v) : (hi(v) < 0 ? Real(-hi(v)) : Real(0));
        if (low > L_) L_ = low;  // |e| at a point: a lower bound of ||e^(l-1)||_inf (Lemma 1)
      }
      bound[h] = cell_bound(m, qh, cd, tentative);
      passes[h] = bound[h] <= t;
      if (!passes[h]) {
        CellData keep = cd;
        keep.allow.clear();
        failing.emplace(h, std::move(keep));
      }
    }
    if (!last) {
      const auto behind = [&](const auto& kv) { return kv.first + ones <= done; };
      std::erase_if(cells_, behind);
      std::erase_if(nodes_, behind);
      std::erase_if(tentative, behind);
    }
    ni = nj;
    hi_ = hj;
  }
  nodes_.clear();
  cells_.clear();
  std::unordered_map<std::uint64_t, Real>().swap(tentative);
  std::vector<std::uint64_t>().swap(nodes);
  release_free_memory();  // the sweep's working set, before the exchange
  if (!stopped && stop_requested()) stopped = true;  // also on a rank with no hot cell in this pass
  // Commits z (the grades are added in lexicographic order of their nodes).
  // a_at: the committed coefficients at the corners of this rank's failing cells.
  std::vector<std::uint64_t> failing_corners;
  for (const auto& [h, cd] : failing) {
    const GridPoint q = pt(hot[h]);
    for (std::uint32_t mask = 0; mask < (1u << d_); ++mask) failing_corners.push_back(node_key(m, corner_of(q, mask)));
  }
  std::sort(failing_corners.begin(), failing_corners.end());
  failing_corners.erase(std::unique(failing_corners.begin(), failing_corners.end()), failing_corners.end());
  std::unordered_map<std::uint64_t, Real> a_at;
  auto commit = [&](std::uint64_t zk, const Dyadic& a) {
    const GridPoint z = pt(zk);
    if (holds_hat(m, z)) F_.add(m, z, a);
    if (rank_ == 0) c.grades.push_back({level, m, z, a});
    ++grades_;
    if (std::binary_search(failing_corners.begin(), failing_corners.end(), zk)) a_at.emplace(zk, a.to_real());
  };
  // What this rank's cells commit, as indices into coef_key in key order: the
  // corners with a coefficient of the cells that meet t (of every cell, when
  // commit_all; a corner of a failing cell only when a passing cell shares it).
  auto own_commits = [&] {
    std::vector<std::size_t> out;
    if (commit_all) {  // the corners of every hot cell
      out.resize(coef_key.size());
      std::iota(out.begin(), out.end(), std::size_t{0});
      return out;
    }
    std::vector<std::uint64_t> corners;
    for (std::size_t h = 0; h < hot.size(); ++h)
      if (passes[h]) {
        const GridPoint q = pt(hot[h]);
        for (std::uint32_t mask = 0; mask < (1u << d_); ++mask) corners.push_back(node_key(m, corner_of(q, mask)));
      }
    std::sort(corners.begin(), corners.end());
    corners.erase(std::unique(corners.begin(), corners.end()), corners.end());
    std::size_t i = 0;
    for (std::uint64_t z : corners) {
      while (i < coef_key.size() && coef_key[i] < z) ++i;
      if (i < coef_key.size() && coef_key[i] == z) out.push_back(i);
    }
    return out;
  };
  // What this rank applies to the cells it holds after the pass: each hot
  // cell's new bound (passing cells now, failing ones after step 5).
  struct Outcome {
    std::uint64_t q;
    bool pass;
    Real bound;
  };
  std::vector<Outcome> held;  // hot cells of any rank that this rank holds, in key order
  std::vector<std::vector<std::size_t>> failing_at(static_cast<std::size_t>(ranks_));  // rank r's failing cells: index into held, or SIZE_MAX
  bool every_pass = true;
  std::optional<std::uint64_t> first_hot;
  if (ranks_ == 1) {
    if (stopped) return PassEnd::Stopped;
    held.reserve(hot.size());
    for (std::size_t h = 0; h < hot.size(); ++h) {
      held.push_back({hot[h], passes[h] != 0, passes[h] ? std::min(bound[h], map_at(hot[h])) : Real(0)});
      if (!passes[h]) failing_at[0].push_back(h);
      every_pass = every_pass && passes[h];
    }
    if (!hot.empty()) first_hot = hot.front();
    std::vector<Real>().swap(bound);
    if (!uniform_split || every_pass) {
      // 4. Commit them.
      for (std::size_t i : own_commits()) {
        if (grades_ >= opt_.max_grades) return PassEnd::MaxGrades;  // bounds stay as they were (Lemma 1)
        commit(coef_key[i], coef_val[i]);
      }
    }
  } else {
    // 3'. All ranks share what they found: their hot cells, whether each
    // meets t (and then its new bound), and the coefficients at the corners
    // of those that do (at every corner, when commit_all), which are all that
    // step 4 commits. Each rank keeps what it needs of it, read as a stream.
    ByteWriter w;
    // Why this rank stopped (0: it did not; 1: interrupted; 2: its time limit):
    // every rank takes the same reason, an interruption before a time limit.
    w.u64(!stopped ? 0 : timed_out_ ? 2 : 1);
    w.real(L_);
    w.u64(hot.size());
    for (std::size_t h = 0; h < hot.size(); ++h) {
      w.u64(hot[h]);
      w.u64(passes[h] ? 1 : 0);
      if (passes[h]) w.real(std::min(bound[h], map_at(hot[h])));
    }
    std::vector<Real>().swap(bound);
    const std::vector<std::size_t> send = own_commits();
    w.u64(send.size());
    for (std::size_t i : send) {
      w.u64(coef_key[i]);
      w.dyadic(coef_val[i]);
    }
    std::vector<std::uint64_t>().swap(coef_key);
    std::vector<Dyadic>().swap(coef_val);
    const std::vector<std::string> got = allgather(opt_.comm, w.take());
    std::vector<ByteReader> in;
    std::uint64_t why = 0;
    std::vector<std::uint64_t> left(static_cast<std::size_t>(ranks_));  // coefficients still to read from each rank
    for (int r = 0; r < ranks_; ++r) {
      ByteReader& rd = in.emplace_back(got[static_cast<std::size_t>(r)]);
      const std::uint64_t w_r = rd.u64();
      if (w_r > 2) throw InternalError("a malformed share from rank " + std::to_string(r));
      if (w_r != 0 && (why == 0 || w_r < why)) why = w_r;
      const Real lr = rd.real();
      if (lr > L_) L_ = lr;
      const std::uint64_t nh = rd.u64();
      for (std::uint64_t i = 0; i < nh; ++i) {
        const std::uint64_t q = rd.u64();
        const bool p = rd.u64() != 0;
        Real b = p ? rd.real() : Real(0);
        every_pass = every_pass && p;
        if (!first_hot) first_hot = q;
        const bool here = map_.count(make_key(m, pt(q))) != 0;
        if (!p) failing_at[static_cast<std::size_t>(r)].push_back(here ? held.size() : SIZE_MAX);
        if (here) held.push_back({q, p, std::move(b)});
      }
      left[static_cast<std::size_t>(r)] = rd.u64();
    }
    if (why != 0) {
      timed_out_ = why == 2;
      return PassEnd::Stopped;
    }
    if (!uniform_split || every_pass) {
      // 4. The union of the ranks' coefficients (each rank's in key order; a
      // node at a corner of two ranks' cells comes from both, alike), merged
      // in key order.
      std::vector<std::optional<std::pair<std::uint64_t, Dyadic>>> head(static_cast<std::size_t>(ranks_));
      auto advance = [&](std::size_t r) {
        head[r].reset();
        if (left[r] == 0) return;
        --left[r];
        const std::uint64_t z = in[r].u64();
        head[r].emplace(z, in[r].dyadic());
      };
      for (std::size_t r = 0; r < head.size(); ++r) advance(r);
      for (;;) {
        std::size_t best = head.size();
        for (std::size_t r = 0; r < head.size(); ++r)
          if (head[r] && (best == head.size() || head[r]->first < head[best]->first)) best = r;
        if (best == head.size()) break;
        const std::pair<std::uint64_t, Dyadic> z = std::move(*head[best]);
        advance(best);
        for (std::size_t r = 0; r < head.size(); ++r)
          if (head[r] && head[r]->first == z.first) {
            if (compare(head[r]->second, z.second) != 0) throw InternalError("two ranks computed different coefficients at one node");
            advance(r);
          }
        if (grades_ >= opt_.max_grades) return PassEnd::MaxGrades;  // bounds stay as they were (Lemma 1)
        commit(z.first, z.second);
      }
      for (std::size_t r = 0; r < in.size(); ++r)
        if (!in[r].done()) throw InternalError("a malformed share from rank " + std::to_string(r));
    }
  }
  if (uniform_split && !every_pass) {  // adaptive: the hot cells go one level finer together, nothing committed
    if (first_hot && m + 1 > c.options.max_level) {
      stuck_ = pt(*first_hot);
      stuck_m_ = m;
      return PassEnd::Done;
    }
    for (const Outcome& o : held) split(make_key(m, pt(o.q)), map_at(o.q));
    return PassEnd::Done;
  }
  // 5. Certified bounds with the committed coefficients (each rank those of
  // its failing cells, then shared); cells above t go one level finer. Only
  // failing cells can stay above t: the last of them in key order is the
  // stuck cell, if any (each rank names its own last one).
  std::optional<GridPoint> stuck;
  auto stuck_at = [&](const GridPoint& q, const Real& b) {
    if (!commit_all && b > t && m + 1 > c.options.max_level) stuck = q;
  };
  if (ranks_ == 1) {
    for (std::size_t h : failing_at[0]) {
      const GridPoint q = pt(hot[h]);
      held[h].bound = std::min(cell_bound(m, q, failing.at(h), a_at), map_at(hot[h]));
      stuck_at(q, held[h].bound);
    }
  } else {
    ByteWriter w;
    for (std::size_t h = 0; h < hot.size(); ++h)
      if (!passes[h]) {
        const GridPoint q = pt(hot[h]);
        const Real b = std::min(cell_bound(m, q, failing.at(h), a_at), map_at(hot[h]));
        stuck_at(q, b);
        w.real(b);
      }
    w.u64(stuck ? 1 : 0);
    if (stuck) w.u64(node_key(m, *stuck));
    const std::vector<std::string> got = allgather(opt_.comm, w.take());
    for (int r = 0; r < ranks_; ++r) {
      ByteReader rd(got[static_cast<std::size_t>(r)]);
      for (std::size_t i : failing_at[static_cast<std::size_t>(r)]) {
        Real b = rd.real();
        if (i != SIZE_MAX) held[i].bound = std::move(b);
      }
      if (rd.u64() != 0) stuck = pt(rd.u64());  // the last rank's is the last in key order
      if (!rd.done()) throw InternalError("a malformed bound share from rank " + std::to_string(r));
    }
  }
  if (stuck) {
    stuck_ = *stuck;
    stuck_m_ = m;
  }
  for (Outcome& o : held) {
    const Key k = make_key(m, pt(o.q));
    if (!commit_all && o.bound > t && m + 1 <= c.options.max_level) split(k, o.bound);
    else map_.at(k) = o.bound;
  }
  return PassEnd::Done;
}

Construction Engine::run(const std::function<void(const Construction&)>& checkpoint, const Construction* resume) {
  Construction c;
  c.target = f_;
  c.options = opt_;
  c.bits = bits_;
  const int max_level = opt_.max_level < 0 ? max_level_for_dim(d_) : opt_.max_level;
  c.options.max_level = max_level;
  const Real eps = down(opt_.eps);  // level targets aim at or below eps; the stop test is exact
  point_width_max_ = eps;
  if (resume && !resume->levels.empty()) {  // the state at the end of the last completed level
    c.levels = resume->levels;
    grades_ = resume->grades.size();
    for (const auto& g : resume->grades)
      if (holds_hat(g.m, g.node)) F_.add(g.m, g.node, g.a);
    for (const auto& cb : resume->cell_bounds)
      if (holds_cell(cb.level, cb.q)) map_.emplace(make_key(cb.level, cb.q), cb.bound);
    if (rank_ == 0) {
      c.grades = resume->grades;
      // The bound map is part of the state: a resumed run that adds no level
      // (finished, truncated, or interrupted again) writes it back unchanged.
      ByteWriter w;
      for (const auto& cb : resume->cell_bounds) put_bound(w, cb.level, cb.q, cb.bound);
      bounds_.assign(1, w.take());
    }
    if (c.levels.back().truncated) {
      c.stop = StopReason::MaxGrades;
      c.bound = c.levels.back().bound;
      decode_bounds(c);
      return c;
    }
    // A run that ended at max-level committed its last level and stopped;
    // with the same tolerance it would stop there again.
    if (resume->stop == StopReason::MaxLevel && resume->stuck_m >= 0 && opt_.eps == resume->options.eps) {
      c.stop = StopReason::MaxLevel;
      c.stuck_node = resume->stuck_node;
      c.stuck_m = resume->stuck_m;
      c.bound = c.levels.back().bound;
      decode_bounds(c);
      return c;
    }
  } else {
    // Level 0: the whole cube, bounded by the enclosure of f on it.
    GridPoint root(static_cast<std::size_t>(d_), 0);
    const CellData& cd = cell(0, root);
    map_.emplace(make_key(0, root), std::max(cd.ehi, Real(-cd.elo)));
  }
  Real U = resume && !resume->levels.empty() ? resume->levels.back().bound : max_bound();
  c.bound = U;
  for (int level = static_cast<int>(c.levels.size()) + 1;; ++level) {
    if (le(U, opt_.eps)) {
      c.stop = StopReason::Tolerance;
      break;
    }
    if (grades_ >= opt_.max_grades) {
      c.stop = StopReason::MaxGrades;
      break;
    }
    const std::size_t first = grades_;
    Real kq;  // t = kappa * U, rounded down
    mpfr_set_q(kq.backend().data(), opt_.kappa.backend().data(), MPFR_RNDD);
    // The last level need not go below the tolerance.
    Real t = std::max(mul_down(kq, U), eps);
    // The last level (docs/theory.md 8.2): when the level after this one would
    // have the target eps anyway (kappa^2 U <= eps), this one aims at eps, with
    // damping last_theta; it ends, as every level does, because eps > (1 - last_theta) U.
    const Real theta_default = theta_;
    if (!opt_.last_theta.is_zero() && opt_.schedule != Schedule::Uniform) {
      const Real lt = opt_.last_theta.to_real();
      if (mul_up(kq, mul_up(kq, U)) <= eps && mul_up(Real(1 - lt), U) < eps) {
        t = eps;
        theta_ = lt;
      }
    }
    L_ = Real(0);
    int finest = 0;
    PassEnd end = PassEnd::Done;
    stuck_m_ = -1;
    if (opt_.schedule == Schedule::Uniform) {
      // Level l on grid l: every cell is split to level l and every node gets its coefficient.
      const int m = level;
      if (m > max_level) {
        c.stop = StopReason::MaxLevel;
        break;
      }
      for (;;) {
        std::vector<std::pair<Key, Real>> coarse;
        for (const auto& [k, b] : map_)
          if (k[0] < m) coarse.emplace_back(k, b);
        if (coarse.empty()) break;
        for (const auto& [k, b] : coarse) split(k, b);
      }
      end = pass(m, t, false, true, c, level);
      release_free_memory();
      finest = m;
    } else {
      bool uniform_split = opt_.schedule == Schedule::Adaptive;
      int first_m = -1;
      for (;;) {
        int m = -1, deepest = -1;
        for (const auto& [k, b] : map_)
          if (b > t) {
            if (m < 0 || k[0] < m) m = static_cast<int>(k[0]);
            deepest = std::max(deepest, static_cast<int>(k[0]));
          }
        if (ranks_ > 1) {  // over every rank's cells
          ByteWriter w;
          w.i64(m);
          w.i64(deepest);
          for (const std::string& bytes : allgather(opt_.comm, w.take())) {
            ByteReader in(bytes);
            const auto mr = static_cast<int>(in.i64()), dr = static_cast<int>(in.i64());
            if (mr >= 0 && (m < 0 || mr < m)) m = mr;
            deepest = std::max(deepest, dr);
          }
        }
        if (m < 0) break;
        if (stuck_m_ >= 0) break;
        if (first_m < 0) first_m = m;
        // The termination guard of the local schedule (docs/theory.md 8.3):
        // after kLocalSpan grid levels in one level, the remaining hot cells
        // are brought to one grid level and continue under the adaptive rule
        // (nothing is committed until all of them meet the target).
        if (!uniform_split && m > first_m + kLocalSpan) {
          for (bool again = true; again;) {
            again = false;
            for (const auto& [k, b] : map_)
              if (b > t && k[0] < deepest) {
                split(k, b);
                again = true;
                break;
              }
          }
          uniform_split = true;
          continue;
        }
        end = pass(m, t, uniform_split, false, c, level);
        release_free_memory();
        finest = std::max(finest, m);
        if (end != PassEnd::Done) break;
        if (opt_.progress) opt_.progress(level, m, grades_, U);
      }
    }
    if (end == PassEnd::Stopped) {
      if (rank_ == 0) c.grades.resize(first);
      c.stop = timed_out_ ? StopReason::TimeLimit : StopReason::Interrupted;
      c.bound = c.levels.empty() ? c.bound : c.levels.back().bound;
      break;
    }
    theta_ = theta_default;
    LevelRecord rec;
    rec.level = level;
    rec.m = finest;
    rec.first_grade = first;
    rec.grades = grades_ - first;
    rec.norm_lo = L_;
    rec.norm_hi = U;
    rec.truncated = end == PassEnd::MaxGrades;
    Real newU = max_bound();
    rec.bound = newU < U ? newU : U;
    U = rec.bound;
    c.bound = U;
    c.levels.push_back(rec);
    {  // each rank's own cells, to rank 0, in key order
      ByteWriter w;
      for (const auto& [k, b] : map_)
        if (owner(static_cast<int>(k[0]), key_point(k)) == rank_) put_bound(w, k[0], std::span<const std::int64_t>(k).subspan(1), b);
      bounds_.clear();
      if (ranks_ == 1) {
        bounds_.push_back(w.take());
      } else {
        std::vector<std::string> got = allgather(opt_.comm, w.take());
        if (rank_ == 0) bounds_ = std::move(got);
      }
      release_free_memory();
    }
    // A checkpoint is the file of a run stopped here. A level that met a cell
    // it could not refine is committed and ends the run (max-level); the
    // checkpoint says so, with the cell, so that resuming it changes nothing.
    c.stop = rec.truncated ? StopReason::MaxGrades : stuck_m_ >= 0 ? StopReason::MaxLevel : StopReason::Interrupted;
    if (stuck_m_ >= 0) {
      c.stuck_node = stuck_;
      c.stuck_m = stuck_m_;
    }
    if (checkpoint) {
      decode_bounds(c);
      checkpoint(c);
      c.cell_bounds.clear();
    }
    release_free_memory();
    if (opt_.progress) opt_.progress(level, finest, grades_, U);
    if (rec.truncated) {
      c.stop = StopReason::MaxGrades;
      break;
    }
    if (stuck_m_ >= 0) {
      c.stop = StopReason::MaxLevel;
      c.stuck_node = stuck_;
      c.stuck_m = stuck_m_;
      break;
    }
  }
  decode_bounds(c);
  return c;
}

void Engine::decode_bounds(Construction& c) const {
  c.cell_bounds.clear();
  std::vector<ByteReader> in(bounds_.begin(), bounds_.end());
  std::vector<std::optional<Construction::CellBound>> head(in.size());
  auto advance = [&](std::size_t r) {
    head[r].reset();
    if (in[r].done()) return;
    Construction::CellBound cb;
    cb.level = static_cast<int>(in[r].i64());
    cb.q.resize(static_cast<std::size_t>(d_));
    for (auto& x : cb.q) x = in[r].i64();
    cb.bound = in[r].real();
    head[r] = std::move(cb);
  };
  auto before = [](const Construction::CellBound& a, const Construction::CellBound& b) {
    return a.level != b.level ? a.level < b.level : a.q < b.q;
  };
  for (std::size_t r = 0; r < in.size(); ++r) advance(r);
  for (;;) {  // the ranks' lists merged, as streams
    std::size_t best = head.size();
    for (std::size_t r = 0; r < head.size(); ++r)
      if (head[r] && (best == head.size() || before(*head[r], *head[best]))) best = r;
    if (best == head.size()) break;
    c.cell_bounds.push_back(std::move(*head[best]));
    advance(best);
  }
}

}  // namespace

void zero_minorants(const Target& f, const std::vector<Interval>& box, std::uint32_t faces, const std::vector<Interval>& grad,
                    const std::vector<Interval>& H, int m, std::vector<ZeroMinorant>& out) {
  const int d = static_cast<int>(box.size());
  const Real h = ldexp(Real(1), -m);
  // sigma * d_i f >= lower(s, j, g) on the box, for the positive (s = 1) and
  // negative (s = -1) sides: dist = sigma (x_i - c), sigma = 1 on a lower face.
  auto lower = [](int s, int j, const Interval& g) { return (j % 2 == 0) == (s > 0) ? Real(lo(g)) : Real(-hi(g)); };
  constexpr int kSlabs = 8;
  for (int j = 0; j < 2 * d; ++j) {
    if (!((faces >> j) & 1u)) continue;
    const auto i = static_cast<std::size_t>(j / 2);
    // Fact Z with H = 0: s f >= lower * dist.
    for (int s : {1, -1}) {
      const Real v = mul_down(lower(s, j, grad[i]), h);
      if (v > 0) out.push_back({s, 1u << j, -1, {v, v}});
    }
    // Sloped along x_k: s f >= dist * L(x_k) where L is below the slope's lower
    // bound on each slab. q = dist * L has second derivative 2 sigma beta along an
    // edge holding both x_i and x_k, so beta (L's slope) must have the sign of
    // -sigma: L is largest at the low end of x_k on a lower face, at the high
    // end on an upper face ("top"). With A = L(top), B = L(other end), L at the
    // edge of slab t' (counted from the top) nearer the top is A - (A - B) t' / n.
    for (int k = 0; k < d; ++k) {
      if (k == static_cast<int>(i)) continue;
      std::vector<Interval> g_slab(kSlabs);
      bool finite = true;
      for (int t = 0; t < kSlabs && finite; ++t) {
        std::vector<Interval> b = box;
        const Real w = hi(box[static_cast<std::size_t>(k)]) - lo(box[static_cast<std::size_t>(k)]);  // exact: a power of 2
        b[static_cast<std::size_t>(k)] = make_interval(lo(box[static_cast<std::size_t>(k)]) + w * t / kSlabs,
                                                        lo(box[static_cast<std::size_t>(k)]) + w * (t + 1) / kSlabs);
        Interval fb;
        std::vector<Interval> g, Hs;
        if (f.gradient) f.gradient(b, fb, g);
        else f.hessian(b, fb, g, Hs);
        finite = g.size() == static_cast<std::size_t>(d) && is_finite(g[i]);
        if (finite) g_slab[static_cast<std::size_t>(t)] = g[i];
      }
      if (!finite) continue;
      const int top_bit = j % 2;  // lower face: L largest at x_k's low end (bit 0)
      for (int s : {1, -1}) {
        std::vector<Real> phi(kSlabs);  // counted from the top
        for (int t = 0; t < kSlabs; ++t) phi[static_cast<std::size_t>(t)] = lower(s, j, g_slab[static_cast<std::size_t>(top_bit ? kSlabs - 1 - t : t)]);
        const Real A = phi[0];
        if (!(A > 0)) continue;
        Real drop(0);  // the smallest admissible A - B, rounded up
        for (int t = 1; t < kSlabs; ++t) {
          const Real need = div_up(mul_up(sub_up(A, phi[static_cast<std::size_t>(t)]), Real(kSlabs)), Real(t));
          if (need > drop) drop = need;
        }
        const Real B = sub_down(A, drop);
        ZeroMinorant zm{s, 1u << j, k, {Real(0), Real(0)}};
        zm.value[top_bit] = mul_down(A, h);
        zm.value[1 - top_bit] = mul_down(B, h);
        out.push_back(zm);
      }
    }
  }
  // Fact Z2: f = dist_1 dist_2 times a mean of sigma_1 sigma_2 d_12 f; for one
  // lower and one upper face sigma_1 sigma_2 = -1.
  if (H.size() == static_cast<std::size_t>(d * d))
    for (int j1 = 0; j1 < 2 * d; ++j1)
      for (int j2 = j1 + 1; j2 < 2 * d; ++j2) {
        if (!((faces >> j1) & 1u) || !((faces >> j2) & 1u) || j1 / 2 == j2 / 2 || j1 % 2 == j2 % 2) continue;
        const Interval& h12 = H[static_cast<std::size_t>(j1 / 2 * d + j2 / 2)];
        if (!is_finite(h12)) continue;
        const Real h2 = ldexp(Real(1), -2 * m);
        for (int s : {1, -1}) {
          const Real v = mul_down(s > 0 ? Real(-hi(h12)) : Real(lo(h12)), h2);
          if (v > 0) out.push_back({s, (1u << j1) | (1u << j2), -1, {v, v}});
        }
      }
}

Construction construct_refined(const Target& f, const ScheduleOptions& opt,
                               const std::function<void(const Construction&)>& checkpoint, const Construction* resume) {
  if (f.dim > 4) throw InputError("the " + std::string(to_string(opt.rule)) + "/" + to_string(opt.schedule) + " engine handles d <= 4, got d = " + std::to_string(f.dim));
  Engine e(f, opt, precision_bits());
  return e.run(checkpoint, resume);
}

}  // namespace mgdl
