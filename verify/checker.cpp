// The checker (see checker.hpp): the search over dyadic cells and one judge
// per claim. Cells are evaluated only where no finer hat meets them, so the
// hat part of F has its exact range from the corner values (Fact N); f and
// the other grades are enclosed by the kernel's lemmas (kernel/enclose.hpp).
#include "verify/checker.hpp"

#include "verify/network.hpp"

#include "kernel/enclose.hpp"
#include "kernel/realise.hpp"
#include "kernel/rounding.hpp"
#include "numbers/comm.hpp"
#include "numbers/parallel.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <atomic>
#include <deque>
#include <exception>
#include <sstream>
#include <unordered_set>

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

std::string enc(const Interval& x) { return "[" + decimal_down(lo(x), 8) + ", " + decimal_up(hi(x), 8) + "]"; }
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
  // Grades must be added in increasing order (the first grade meeting a cell
  // is then the first one recorded for it).
  void add(std::size_t grade, int m, const GridPoint& z, const Dyadic& a) {
    if (grade < last_grade_) throw InternalError("IndexedHats: grades added out of order");
    last_grade_ = grade;
    if (static_cast<int>(by_level_.size()) <= m) by_level_.resize(static_cast<std::size_t>(m) + 1);
    by_level_[static_cast<std::size_t>(m)][node_key(m, z)].emplace_back(grade, a);
    mark_finer(grade, m, z, m);
  }
  // A hat this rank does not keep (its support misses the rank's slabs): only
  // the cells coarser than the slabs (levels < B), which any rank may search,
  // learn that it lies inside them.
  void add_elsewhere(std::size_t grade, int m, const GridPoint& z, int B) {
    if (grade < last_grade_) throw InternalError("IndexedHats: grades added out of order");
    last_grade_ = grade;
    mark_finer(grade, m, z, std::min(m, B));
  }
  // Records, for the ancestors of levels below `below` of the level-m cells
  // of the support of phi_{m,z}, the first grade making them unresolved.
  void mark_finer(std::size_t grade, int m, const GridPoint& z, int below) {
    // Every coarser cell holding a level-m cell of the support is unresolved
    // below level m from this grade on: the hat is not affine on its Kuhn
    // simplices. Record the first grade that makes each such cell unresolved.
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
      for (int j = below - 1; j >= 0; --j) {
        key[0] = j;
        for (std::size_t i = 0; i < z.size(); ++i) key[i + 1] = q[i] >> (m - j);
        if (!finer_.emplace(key, grade).second) break;  // recorded by an earlier grade, and so are all its ancestors
      }
    }
  }
  // True when no hat of grade <= upto and level finer than L meets the
  // interior of the level-L cell q: then the sum of the hats of grades <= upto
  // is affine on each Kuhn simplex of the cell (Fact N).
  bool resolved(const GridPoint& q, int L, std::size_t upto) const {
    std::vector<std::int64_t> key(q.size() + 1);
    key[0] = L;
    std::copy(q.begin(), q.end(), key.begin() + 1);
    auto it = finer_.find(key);
    return it == finer_.end() || it->second > upto;
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
  int d_;
  std::vector<std::unordered_map<std::uint64_t, std::vector<std::pair<std::size_t, Dyadic>>>> by_level_;
  std::unordered_map<std::vector<std::int64_t>, std::size_t, KeyHash> finer_;  // [level, q] -> first grade of a finer hat inside
  std::size_t last_grade_ = 0;
};

// Everything the checks read, shared by all threads.
struct Store {
  explicit Store(int d) : hats(d) {}
  IndexedHats hats;
  struct General {
    std::size_t grade;
    Grade g;
    Carriers in;
  };
  std::vector<General> general;       // in grade order (the only grades whose weights are kept)
};

// The residual r_j = f - (g_1 + ... + g_j), as seen by one check.
class Residual {
 public:
  Residual(const Target& f, int d, const Store& store, std::size_t upto) : f_(f), d_(d), store_(store), upto_(upto) {}

  bool resolved(const GridPoint& q, int L) const { return store_.hats.resolved(q, L, upto_); }
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
  // The same, with f at the corners from `corner` (which must return f_corner).
  FCell f_eval(const GridPoint& q, int L, const CornerValues& corner) const { return target_on_cell(f_, q, L, centred(), corner); }
  bool reads_corners() const { return target_on_cell_reads_corners(f_, centred()); }
  Interval f_corner(std::span<const std::int64_t> p, int L) const { return target_at_point(f_, p, L); }
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
      QI r = grade_range(g.g, g.in, box);
      sum.lo += r.lo;
      sum.hi += r.hi;
    }
    return sum;
  }
  Rational general_point(const std::vector<Rational>& x) const {
    Rational sum = 0;
    for (const auto& g : store_.general) {
      if (g.grade > upto_) break;
      sum += grade_value(g.g, g.in, x);
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

// The cube cut into S = 2^B slabs along x_1 (docs/theory.md 7.5): every
// search and every norm partition is the union of independent parts, one per
// slab, so the results are the same however the slabs are shared out among
// ranks. Rank r of N owns the slabs [r S / N, (r + 1) S / N).
struct SlabPart {
  std::int64_t slab = 0;
  std::size_t budget = 0;  // cells this part may examine
};
struct Slabs {
  int B = 0;
  std::int64_t S = 1, first = 0, last = 1;  // owned: [first, last)
  Slabs() = default;
  Slabs(int level, int rank, int ranks) : B(level), S(std::int64_t{1} << level) {
    first = static_cast<std::int64_t>(run_begin(static_cast<std::uint64_t>(S), rank, ranks));
    last = static_cast<std::int64_t>(run_begin(static_cast<std::uint64_t>(S), rank + 1, ranks));
  }
  // The slab holding the level-L cell q, L >= B.
  std::int64_t of_cell(const GridPoint& q, int L) const { return q[0] >> (L - B); }
  // Whether the level-L cell q and slab s share interior points.
  bool meets(const GridPoint& q, int L, std::int64_t s) const {
    if (L >= B) return of_cell(q, L) == s;
    return (q[0] << (B - L)) <= s && s < ((q[0] + 1) << (B - L));
  }
  // The slab a point p / 2^L belongs to: [s, s + 1) 2^-B, the last one closed.
  std::int64_t of_point(std::int64_t p0, int L) const {
    const std::int64_t s = L >= B ? p0 >> (L - B) : p0 << (B - L);
    return std::min(s, S - 1);
  }
  // Slabs whose interiors meet the open interval (lo, hi) 2^-m of x_1.
  std::pair<std::int64_t, std::int64_t> meeting(std::int64_t lo, std::int64_t hi, int m) const {
    auto fl = [&](std::int64_t v) { return m >= B ? (v >= 0 ? v >> (m - B) : -((-v + (std::int64_t{1} << (m - B)) - 1) >> (m - B))) : v << (B - m); };
    const std::int64_t a = std::max<std::int64_t>(0, fl(lo));
    const std::int64_t ceil_hi = m >= B ? -fl(-hi) : hi << (B - m);
    return {a, std::min<std::int64_t>(S, ceil_hi)};  // [a, b)
  }
  // Part i of n of a grade's search (the slabs its support meets, in order)
  // gets an equal share of the budget, the first budget % n one more: the
  // parts of a grade never examine more than `budget` cells in all.
  static std::size_t share(std::size_t budget, std::int64_t i, std::int64_t n) {
    const auto N = static_cast<std::size_t>(n), I = static_cast<std::size_t>(i);
    return budget / N + (I < budget % N ? 1 : 0);
  }
  // Whether a hat phi_{m,z} can be nonzero in the closed owned region.
  bool keeps(int m, const GridPoint& z) const {
    if (m < B) return true;  // coarse hats are kept by every rank
    const auto [a, b] = meeting(z[0] - 1, z[0] + 1, m);
    return a < last && b > first;
  }
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
  bool nonzero = false;  // g not proved zero on the whole cube (an open cell counts as nonzero)
  std::size_t cells = 0, open_cells = 0;
  int deepest = 0;
};

// What the B&B needs to know about a grade on a cell and at a point. `value`
// encloses one function u (r_k for hats, r_{k-1} otherwise) on the cell, and
// the point test encloses the same u at the cell's centre: the self-check
// requires the two to meet.
struct CellTest {
  bool weak_ok, sign_ok, g_zero;
  Interval value;
};
struct PointTest {
  bool weak_fail, sign_fail;
  std::string evidence;
  Interval value;  // u at the point; not finite when f is undefined there
};

// An interval standing for "no enclosure" (NaN endpoints; is_finite is false).
Interval unknown() {
  Interval v;
  mpfi_set_d(v.backend().data(), std::numeric_limits<double>::quiet_NaN());
  return v;
}

template <class OnCell, class OnPoint>
GradeCheck branch_and_bound(std::deque<Cell> queue, std::size_t k, const VerifyOptions& opt, OnCell on_cell, OnPoint on_point,
                            std::function<bool(const Cell&)> meets_support, const Residual& R, const Slabs& sl, const SlabPart& part) {
  const std::int64_t slab = part.slab;
  const std::size_t budget = part.budget;
  GradeCheck out;
  std::size_t splits = 0;  // cells split only because a finer hat lies inside: bounded too
  while (!queue.empty()) {
    Cell c = std::move(queue.front());
    queue.pop_front();
    // This search covers the cells' parts in slab `slab` only: a cell wider
    // than a slab is enclosed whole (its enclosure holds on every part), and
    // its centre is tried only by the search of the slab holding the centre.
    if (!meets_support(c) || !sl.meets(c.q, c.L, slab)) continue;
    if (!R.resolved(c.q, c.L)) {  // a finer hat inside: the exact corner ranges need smaller cells
      if (c.L >= opt.max_level || splits >= 8 * budget) {
        ++out.open_cells;
        continue;
      }
      ++splits;
      children(c, [&](Cell ch) { queue.push_back(std::move(ch)); });
      continue;
    }
    if (out.cells >= budget) {
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
    if (sl.of_point(centre[0], c.L + 1) == slab) {
      PointTest pt = on_point(centre, c.L + 1);
      require_point_in_cell(pt.value, t.value, "the residual");
      if (pt.sign_fail && c.sign && !out.sign_w) out.sign_w = Witness{k, as_point(centre, c.L + 1), pt.evidence};
      if (pt.weak_fail && c.weak && !out.weak_w) out.weak_w = Witness{k, as_point(centre, c.L + 1), pt.evidence};
      if (out.sign_w) c.sign = false;
      if (out.weak_w) {
        c.weak = false;
        break;
      }
      if (!c.weak && !c.sign) continue;
    }
    if (c.L + 1 > opt.max_level) {
      ++out.open_cells;
      continue;
    }
    children(c, [&](Cell ch) { queue.push_back(std::move(ch)); });
  }
  out.open_cells += queue.size();
  if (out.open_cells) out.nonzero = true;  // a grade nobody looked at everywhere is never trivial
  out.weak = out.weak_w ? Verdict::Refuted : (out.open_cells ? Verdict::Undecided : Verdict::Proved);
  out.sign = out.sign_w ? Verdict::Refuted : (out.open_cells ? Verdict::Undecided : Verdict::Proved);
  if (out.weak_w && !out.sign_w) out.sign = Verdict::Refuted, out.sign_w = out.weak_w;  // C2 failing breaks the stronger form
  return out;
}

// The level-m cells (lower corners lo..hi) that make up the support box of
// phi_{m,z}: the cells having z as a corner, clipped to the cube.
void support_box(int m, const GridPoint& z, GridPoint& lo, GridPoint& hi) {
  const std::int64_t top = std::int64_t{1} << m;
  lo.resize(z.size());
  hi.resize(z.size());
  for (std::size_t i = 0; i < z.size(); ++i) {
    lo[i] = std::max<std::int64_t>(0, z[i] - 1);
    hi[i] = std::min<std::int64_t>(top - 1, z[i]);
  }
}

// fn(mask, p) for the 2^d corners p of the cell with lower corner q (bit i
// of mask: +1 in coordinate i), in mask order.
template <class Fn>
void for_each_corner(std::span<const std::int64_t> q, Fn fn) {
  GridPoint corner(q.size());
  for (std::uint64_t mask = 0; mask < (std::uint64_t{1} << q.size()); ++mask) {
    for (std::size_t i = 0; i < q.size(); ++i) corner[i] = q[i] + static_cast<std::int64_t>((mask >> i) & 1);
    fn(mask, static_cast<const GridPoint&>(corner));
  }
}

// The key {L, p_1..p_d} of a grid point or cell p of level L.
std::vector<std::int64_t> level_key(std::span<const std::int64_t> p, int L) {
  std::vector<std::int64_t> key(p.size() + 1);
  key[0] = L;
  std::copy(p.begin(), p.end(), key.begin() + 1);
  return key;
}

// Values at the corners of a set of level-L cells, each (level, grid point)
// once: neighbouring cells share corners. Keys are {L, p_1..p_d}.
template <class V>
class CornerTable {
 public:
  using Key = std::vector<std::int64_t>;
  // cells: (q, L) pairs; value(p, L) computes one entry (in parallel).
  template <class Cells, class Value>
  void build(const Cells& cells, unsigned threads, Value value) {
    keys_.clear();
    for (const auto& [q, L] : cells) for_each_corner(q, [&, L = L](std::uint64_t, const GridPoint& p) { keys_.push_back(level_key(p, L)); });
    std::sort(keys_.begin(), keys_.end());
    keys_.erase(std::unique(keys_.begin(), keys_.end()), keys_.end());
    values_.assign(keys_.size(), V());
    parallel_for(keys_.size(), threads, [&](std::size_t i) {
      values_[i] = value(std::span<const std::int64_t>(keys_[i]).subspan(1), static_cast<int>(keys_[i][0]));
    });
  }
  // Frees both tables (a partition's corner tables are as large as it is).
  void release() {
    std::vector<Key>().swap(keys_);
    std::vector<V>().swap(values_);
  }
  const V& at(std::span<const std::int64_t> p, int L) const {
    const Key key = level_key(p, L);
    const auto it = std::lower_bound(keys_.begin(), keys_.end(), key);
    if (it == keys_.end() || *it != key) throw InternalError("a corner value was not prepared");
    return values_[static_cast<std::size_t>(it - keys_.begin())];
  }

 private:
  std::vector<Key> keys_;
  std::vector<V> values_;
};

// What the target contributes on given cells, computed once for a batch of
// consecutive grades and then only read (by every thread): f on a cell does
// not depend on the grade, and neighbouring hats of one level share the
// cells of their supports. Used only when no general grade is present (then
// every residual asks the same of f on a cell).
class FCellCache {
 public:
  // At most 2^15 / N cells are held on each of N ranks (the ranks' caches
  // together hold what one process's would, and each rank's searches start
  // only from its own slabs' cells): past it, the cache starts again from the
  // cells asked for (a cell not held is computed again, to the same value).
  explicit FCellCache(int ranks) : max_cells_(std::max<std::size_t>(std::size_t{1} << 12, (std::size_t{1} << 15) / static_cast<std::size_t>(ranks))) {}
  void clear() { map_.clear(); }
  // Adds f's data on the cells of `keys` not held yet.
  void extend(const Residual& R, std::vector<std::vector<std::int64_t>> keys, unsigned threads) {
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    if (map_.size() + keys.size() > max_cells_) map_.clear();
    keys.erase(std::remove_if(keys.begin(), keys.end(), [&](const auto& k) { return map_.count(k) != 0; }), keys.end());
    std::vector<std::pair<GridPoint, int>> cells(keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) cells[i] = {GridPoint(keys[i].begin() + 1, keys[i].end()), static_cast<int>(keys[i][0])};
    std::vector<TargetCell> data(keys.size());
    if (R.reads_corners()) {
      CornerTable<Interval> fc;  // f at each corner once
      fc.build(cells, threads, [&](std::span<const std::int64_t> p, int L) { return R.f_corner(p, L); });
      const CornerValues corner = [&](std::span<const std::int64_t> p, int L) { return fc.at(p, L); };
      parallel_for(keys.size(), threads, [&](std::size_t i) { data[i] = R.f_eval(cells[i].first, cells[i].second, corner); });
    } else {
      parallel_for(keys.size(), threads, [&](std::size_t i) { data[i] = R.f_eval(cells[i].first, cells[i].second); });
    }
    map_.reserve(map_.size() + keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) map_.emplace(std::move(keys[i]), std::move(data[i]));
  }
  const TargetCell* find(const GridPoint& q, int L) const {
    auto it = map_.find(level_key(q, L));
    return it == map_.end() ? nullptr : &it->second;
  }
  // The level-m cells of the support box of phi_{m,z} (check_hat's first cells).
  static void support_cells(int m, const GridPoint& z, std::vector<std::vector<std::int64_t>>& out) {
    GridPoint lo_c, hi_c;
    support_box(m, z, lo_c, hi_c);
    for_each_point(lo_c, hi_c, [&](const GridPoint& q) {
      out.push_back(level_key(q, m));
    });
  }

 private:
  std::size_t max_cells_;
  std::unordered_map<std::vector<std::int64_t>, TargetCell, KeyHash> map_;
};

// C2 for a proved hat grade g = a phi_{m,z} on the cells of its support box.
GradeCheck check_hat(const Residual& R, std::size_t k, int m, const GridPoint& z, const Dyadic& a, const VerifyOptions& opt,
                     const FCellCache* cache, const Slabs& sl, const SlabPart& part) {
  const int d = R.dim();
  GridPoint lo_c, hi_c;
  support_box(m, z, lo_c, hi_c);
  std::deque<Cell> queue;  // cells holding finer hats are split by the search
  cells_in(lo_c, hi_c, m, [&](Cell c) { queue.push_back(std::move(c)); });
  const int sg = a.sign();
  const Dyadic half_a = a.times_pow2(-1);
  auto phi = [&](const GridPoint& p, int L) { return hat_dyadic(m, z, p, L); };
  // F at the level-m nodes of the support box (shared by its cells), each
  // computed once; nodes of finer cells are computed where asked.
  std::size_t box_nodes = 1;
  for (std::size_t i = 0; i < z.size(); ++i) box_nodes *= static_cast<std::size_t>(hi_c[i] - lo_c[i] + 2);
  std::vector<std::optional<Dyadic>> box_F(box_nodes);
  auto F_at = [&](const GridPoint& p, int L) {
    if (L != m) return R.hat_part(p, L);
    std::size_t idx = 0;
    for (std::size_t i = p.size(); i-- > 0;) idx = idx * static_cast<std::size_t>(hi_c[i] - lo_c[i] + 2) + static_cast<std::size_t>(p[i] - lo_c[i]);
    if (!box_F[idx]) box_F[idx] = R.hat_part(p, L);
    return *box_F[idx];
  };
  auto on_cell = [&](const Cell& c) {
    const TargetCell* hit = cache ? cache->find(c.q, c.L) : nullptr;
    Residual::FCell computed;
    if (!hit) computed = R.f_eval(c.q, c.L);
    const Residual::FCell& fc = hit ? *hit : computed;
    // F_k = F + a phi and G = F + a phi / 2 are affine on each simplex of the
    // cell: exact ranges from the corners (Fact N), slopes for the centred form.
    std::vector<Dyadic> ck(std::size_t{1} << d), cw(std::size_t{1} << d);
    for_each_corner(c.q, [&](std::uint64_t mask, const GridPoint& corner) {
      Dyadic F = F_at(corner, c.L), ph = phi(corner, c.L);
      ck[mask] = F + a * ph;
      cw[mask] = F + half_a * ph;
    });
    Dyadic kc, wc;
    if (fc.has_centred) {
      GridPoint centre(c.q.size());
      for (std::size_t i = 0; i < centre.size(); ++i) centre[i] = 2 * c.q[i] + 1;
      Dyadic F = R.hat_part(centre, c.L + 1), ph = phi(centre, c.L + 1);
      kc = F + a * ph;
      wc = F + half_a * ph;
    }
    // r_k has the sign of a (sign form); r_{k-1} - a phi/2 has the sign of a
    // (C2). The first implies the second (r_{k-1} - a phi/2 = r_k + a phi/2,
    // and a phi has the sign of a): the second is enclosed only when needed.
    const Interval rk = R.diff_on_cell(fc, c.q, c.L, ck, kc);
    const bool sign_ok = sg > 0 ? lo(rk) >= 0 : hi(rk) <= 0;
    bool weak_ok = sign_ok;
    if (!weak_ok) {
      const Interval rw = R.diff_on_cell(fc, c.q, c.L, cw, wc);
      weak_ok = sg > 0 ? lo(rw) >= 0 : hi(rw) <= 0;
    }
    return CellTest{weak_ok, sign_ok, false, rk};
  };
  auto on_point = [&](const GridPoint& p, int L) {
    PointTest t{false, false, "", unknown()};
    Interval prev = R.f_point(p, L) - enclose(R.general_point(as_point(p, L))) - R.hat_part(p, L).to_interval();
    Dyadic g = a * phi(p, L);
    Interval cur = prev - g.to_interval();
    t.value = cur;
    if (g.is_zero() || !is_finite(prev)) return t;
    Interval twice = prev * 2 - g.to_interval();  // g (2 r_{k-1} - g) < 0 refutes C2
    t.weak_fail = sg > 0 ? hi(twice) < 0 : lo(twice) > 0;
    t.sign_fail = sg > 0 ? hi(cur) < 0 : lo(cur) > 0;
    t.evidence = "r_" + std::to_string(k - 1) + "(x) in " + enc(prev) + ", g_" + std::to_string(k) + "(x) ~ " +
                 to_decimal(g.to_real(), 10) + ", r_" + std::to_string(k) + "(x) in " + enc(cur);
    return t;
  };
  auto meets = [&](const Cell& c) { return patch_gauge_lower(m, z, c.q, c.L - m) < (std::int64_t{1} << (c.L - m)); };
  GradeCheck out = branch_and_bound(std::move(queue), k, opt, on_cell, on_point, meets, R, sl, part);
  out.nonzero = true;
  return out;
}

// C2 for a grade that is a function of x but not a proved hat: over the whole cube.
GradeCheck check_general(const Residual& R, std::size_t k, const Grade& G, const Carriers& in, const VerifyOptions& opt, const Slabs& sl,
                         const SlabPart& part) {
  const int d = R.dim();
  const int L0 = 0;
  GridPoint lo_c(static_cast<std::size_t>(d), 0), hi_c(static_cast<std::size_t>(d), (std::int64_t{1} << L0) - 1);
  std::deque<Cell> queue;
  cells_in(lo_c, hi_c, L0, [&](Cell c) { queue.push_back(std::move(c)); });
  auto on_cell = [&](const Cell& c) {
    std::vector<QI> box;
    for (auto v : c.q) box.push_back({Rational(v, Integer(1) << c.L), Rational(v + 1, Integer(1) << c.L)});
    QI gq = grade_range(G, in, box);
    if (gq.lo == 0 && gq.hi == 0) return CellTest{true, true, true, unknown()};
    std::vector<Dyadic> corners(std::size_t{1} << d);
    GridPoint centre(c.q.size());
    for_each_corner(c.q, [&](std::uint64_t mask, const GridPoint& corner) { corners[mask] = R.hat_part(corner, c.L); });
    for (std::size_t i = 0; i < centre.size(); ++i) centre[i] = 2 * c.q[i] + 1;
    const Interval prev = R.diff_on_cell(R.f_eval(c.q, c.L), c.q, c.L, corners, R.hat_part(centre, c.L + 1));
    // g in [glo, ghi] (outward). Exact comparisons: 2 r >= g >= 0 gives g (2 r - g) >= 0 (C2),
    // r >= g >= 0 gives 0 <= r - g <= r (the sign form); symmetrically for g <= 0.
    const Real glo = lo(enclose(gq.lo)), ghi = hi(enclose(gq.hi));
    CellTest t{false, false, false, prev};
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
    PointTest t{false, false, "", unknown()};
    std::vector<Rational> x = as_point(p, L);
    Rational g = grade_value(G, in, x);
    Interval prev = R.f_point(p, L) - enclose(R.general_point(x)) - R.hat_part(p, L).to_interval();
    t.value = prev;
    if (g == 0 || !is_finite(prev)) return t;
    Interval cur = prev - enclose(g), twice = prev * 2 - enclose(g);
    t.weak_fail = g > 0 ? hi(twice) < 0 : lo(twice) > 0;
    t.sign_fail = g > 0 ? hi(cur) < 0 : lo(cur) > 0;
    t.evidence = "r_" + std::to_string(k - 1) + "(x) in " + enc(prev) + ", g_" + std::to_string(k) + "(x) ~ " +
                 to_decimal(nearest(g), 10) + ", r_" + std::to_string(k) + "(x) in " + enc(cur);
    return t;
  };
  GradeCheck out = branch_and_bound(std::move(queue), k, opt, on_cell, on_point, [](const Cell&) { return true; }, R, sl, part);
  return out;
}

// The hats added between two norm grades: a cell of the partition is dirty
// (r may have changed on it) when the open support of one of them meets its
// interior. Everything here may only err towards "dirty" (more work, never a
// stale bound): keys of coarse cells are hashed, and a collision only marks
// a clean cell dirty.
class DirtyIndex {
 public:
  explicit DirtyIndex(int d) : d_(d) {}
  void add(int m, const GridPoint& z) {
    if (static_cast<int>(nodes_.size()) <= m) nodes_.resize(static_cast<std::size_t>(m) + 1);
    nodes_[static_cast<std::size_t>(m)].insert(node_key(m, z));
    // Coarser cells meeting the open box (z - 1, z + 1) 2^-m: at most 2 per axis.
    GridPoint lo(z.size()), hi(z.size()), q(z.size());
    for (int L = 0; L < m; ++L) {
      const std::int64_t s = std::int64_t{1} << (m - L), top = (std::int64_t{1} << L) - 1;
      for (std::size_t i = 0; i < z.size(); ++i) {
        lo[i] = std::max<std::int64_t>(0, floor_div(z[i] - 1, s));
        hi[i] = std::min<std::int64_t>(top, ceil_div(z[i] + 1, s) - 1);
      }
      for_each_point(lo, hi, [&](const GridPoint& c) { coarse_.insert(coarse_key(c, L)); });
    }
  }
  bool dirty(const GridPoint& q, int L) const {
    if (coarse_.count(coarse_key(q, L))) return true;
    GridPoint z(q.size());
    for (int m = 0; m <= L && m < static_cast<int>(nodes_.size()); ++m) {
      const auto& set = nodes_[static_cast<std::size_t>(m)];
      if (set.empty()) continue;
      // The level-m cell holding q: only its corners' hats can be nonzero on q.
      const std::int64_t top = std::int64_t{1} << m;
      for (std::uint64_t mask = 0; mask < (std::uint64_t{1} << d_); ++mask) {
        bool inside = true;
        for (std::size_t i = 0; i < q.size(); ++i) {
          z[i] = (q[i] >> (L - m)) + static_cast<std::int64_t>((mask >> i) & 1);
          inside = inside && z[i] <= top;
        }
        if (inside && set.count(node_key(m, z))) return true;
      }
    }
    return false;
  }

 private:
  static std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
  static std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return -floor_div(-a, b); }
  static std::uint64_t coarse_key(const GridPoint& q, int L) {
    std::uint64_t h = 0x9e3779b97f4a7c15ull * static_cast<std::uint64_t>(L + 1);
    for (auto v : q) {
      h ^= static_cast<std::uint64_t>(v) + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
      h *= 0xbf58476d1ce4e5b9ull;
    }
    return h;
  }
  int d_;
  std::vector<std::unordered_set<std::uint64_t>> nodes_;  // per level m: keys of the nodes of added hats
  std::unordered_set<std::uint64_t> coarse_;              // (L, q), L < m, meeting an added hat's open box
};

// Norm enclosures of r_k from a partition of the cube into cells on which the
// hats counted in r_k are affine per Kuhn simplex (Fact N), each with a
// certified bound of |r_k| and, for the sup norm's lower end, a certified
// lower bound of |r_k| at its centre. The partition is kept from one norm
// grade to the next: r_k equals r_j on every cell that no hat of grades
// j+1..k meets, so only the other cells are evaluated again (and split where
// a new finer hat makes them unresolved). Results do not depend on the
// thread count: cells are evaluated in parallel and assembled in order.
class NormPartition {
 public:
  // changed: the hats added since the last call (nullptr: start afresh).
  // cache: f's data on cells, when f on a cell is the same for every grade (no general grade).
  NormEnclosure enclose(const Residual& R, std::size_t k, int level, const VerifyOptions& opt, const DirtyIndex* changed,
                        const FCellCache* cache, const Slabs& sl);

 private:
  struct NC {
    GridPoint q;
    int L;
    AbsBound a;  // |r| in [a.lo, a.hi] on the cell
    Real pv;     // |r(centre)| >= pv (0 when not evaluated)
  };
  std::vector<NC> cells_;
  bool valid_ = false;
};

NormEnclosure NormPartition::enclose(const Residual& R, std::size_t k, int level, const VerifyOptions& opt, const DirtyIndex* changed,
                                     const FCellCache* cache, const Slabs& sl) {
  const int d = R.dim();
  const Comm* comm = opt.comm;
  NormEnclosure out;
  out.grade = k;
  out.level = level;
  const Real inf(std::numeric_limits<double>::infinity());
  auto trivial = [&] {
    out.inf_lo = out.l1_lo = out.l2_lo = Real(0);  // out of budget: the trivial enclosure
    out.inf_hi = out.l1_hi = out.l2_hi = inf;
    valid_ = false;
    cells_.clear();
    return out;
  };
  // F (and f, when the cell data reads it) at the corners of the cells being
  // evaluated: each (level, grid point) once, since neighbouring cells of one
  // level share corners. The level stays in the key: hat_part at level L sums
  // the hats of levels <= L only.
  CornerTable<Dyadic> corner_F;
  CornerTable<Interval> corner_f;
  const bool f_corners = R.reads_corners();
  auto prepare_corners = [&](std::span<const std::pair<GridPoint, int>> todo) {
    corner_F.build(todo, opt.threads, [&](std::span<const std::int64_t> p, int L) { return R.hat_part(GridPoint(p.begin(), p.end()), L); });
    if (f_corners) corner_f.build(todo, opt.threads, [&](std::span<const std::int64_t> p, int L) { return R.f_corner(p, L); });
  };
  const CornerValues f_at_corner = [&](std::span<const std::int64_t> p, int L) { return corner_f.at(p, L); };
  auto eval = [&](const GridPoint& q, int L, bool points) {
    const TargetCell* hit = cache ? cache->find(q, L) : nullptr;
    Residual::FCell computed;
    if (!hit) computed = f_corners ? R.f_eval(q, L, f_at_corner) : R.f_eval(q, L);
    const Residual::FCell& fc = hit ? *hit : computed;
    std::vector<Dyadic> corners(std::size_t{1} << d);
    GridPoint centre(q.size());
    for_each_corner(q, [&](std::uint64_t mask, const GridPoint& p) { corners[mask] = corner_F.at(p, L); });
    for (std::size_t i = 0; i < q.size(); ++i) centre[i] = 2 * q[i] + 1;
    const bool need_centre = points || fc.has_centred;
    Dyadic Fc = need_centre ? R.hat_part(centre, L + 1) : Dyadic();
    Interval r = R.diff_on_cell(fc, q, L, corners, Fc);
    NC c{q, L, abs_bound(r), Real(0)};
    if (!points) return c;
    Interval fcen = fc.has_centred ? fc.centre : R.f_point(centre, L + 1);
    Interval rp = fcen - mgdl::enclose(R.general_point(as_point(centre, L + 1))) - Fc.to_interval();
    require_point_in_cell(rp, r, "the residual");
    if (is_finite(rp)) c.pv = lo(rp) > 0 ? lo(rp) : (hi(rp) < 0 ? Real(-hi(rp)) : Real(0));
    return c;
  };
  // Evaluates cells (q, L) in parallel, in order, eval_chunk at a time: the
  // corner tables of a chunk are about as large as its cells' results (a
  // corner shared by two chunks is computed in both, to the same value).
  auto eval_all = [&](const std::vector<std::pair<GridPoint, int>>& todo, bool points) {
    std::vector<NC> res(todo.size());
    const std::size_t chunk = std::max<std::size_t>(1, opt.eval_chunk);
    for (std::size_t a = 0; a < todo.size(); a += chunk) {
      const std::size_t b = std::min(todo.size(), a + chunk);
      prepare_corners(std::span<const std::pair<GridPoint, int>>(todo.data() + a, b - a));
      parallel_for(b - a, opt.threads, [&](std::size_t i) { res[a + i] = eval(todo[a + i].first, todo[a + i].second, points); });
      corner_F.release();
      corner_f.release();
    }
    out.cells += count_scan(comm, todo.size()).total;  // over all ranks
    return res;
  };
  // While the integrals refine (their splits are undone at the end), origin
  // names for each cell the cell of the partition to keep that it lies in
  // ((index << 1) | 1 when it is that cell itself), and `saved` holds the
  // kept cells that were split, by index.
  std::vector<std::uint64_t> origin;
  std::vector<std::pair<std::uint64_t, NC>> saved;
  // Replaces each cell i of the partition with fresh[first[i] .. first[i+1])
  // when that range is not empty (cells split or evaluated again), in order.
  auto replace = [&](const std::vector<std::size_t>& first, std::vector<NC>& fresh) {
    std::vector<NC> next;
    std::vector<std::uint64_t> next_origin;
    std::size_t n = 0;
    for (std::size_t i = 0; i < cells_.size(); ++i) n += first[i] == first[i + 1] ? 1 : first[i + 1] - first[i];
    next.reserve(n);
    if (!origin.empty()) next_origin.reserve(n);
    for (std::size_t i = 0; i < cells_.size(); ++i) {
      if (first[i] == first[i + 1]) {
        next.push_back(std::move(cells_[i]));
        if (!origin.empty()) next_origin.push_back(origin[i]);
        continue;
      }
      if (!origin.empty() && (origin[i] & 1)) saved.emplace_back(origin[i] >> 1, std::move(cells_[i]));
      for (std::size_t j = first[i]; j < first[i + 1]; ++j) {
        next.push_back(std::move(fresh[j]));
        if (!origin.empty()) next_origin.push_back(origin[i] & ~std::uint64_t{1});
      }
    }
    cells_ = std::move(next);
    origin = std::move(next_origin);
  };
  // The coarsest resolved cells under the level-L cell q (Fact N needs them);
  // at most 8 budget of them per slab (the slab's leaves start at slab_start).
  auto resolve = [&](const GridPoint& q, int L, std::vector<std::pair<GridPoint, int>>& leaves, std::size_t slab_start) {
    std::deque<Cell> todo{Cell{q, L, true, true}};
    while (!todo.empty()) {
      Cell c = std::move(todo.front());
      todo.pop_front();
      const bool resolved = R.resolved(c.q, c.L);
      if (leaves.size() - slab_start + todo.size() > 8 * opt.budget || (!resolved && c.L >= opt.max_level)) return false;
      if (resolved) leaves.emplace_back(std::move(c.q), c.L);
      else children(c, [&](Cell ch) { todo.push_back(std::move(ch)); });
    }
    return true;
  };

  // The partition is one per slab, in slab order (this rank's slabs here):
  // it starts from the slab's level-B cells.
  if (!valid_ || !changed) {
    std::vector<std::pair<GridPoint, int>> leaves;
    bool ok = true;
    for (std::int64_t s = sl.first; s < sl.last && ok; ++s) {
      GridPoint lo_c(static_cast<std::size_t>(d), 0), hi_c(static_cast<std::size_t>(d), sl.S - 1);
      lo_c[0] = hi_c[0] = s;
      const std::size_t start = leaves.size();
      for_each_point(lo_c, hi_c, [&](const GridPoint& q) { ok = ok && resolve(q, sl.B, leaves, start); });
    }
    if (any_rank(comm, !ok)) return trivial();
    cells_ = eval_all(leaves, true);
  } else {
    // Cells no new hat meets keep their bounds; the others are evaluated again.
    std::vector<std::pair<GridPoint, int>> leaves;
    std::vector<std::size_t> first(cells_.size() + 1, 0);
    bool ok = true;
    std::int64_t slab = -1;
    std::size_t start = 0;
    for (std::size_t i = 0; i < cells_.size() && ok; ++i) {
      first[i] = leaves.size();
      const std::int64_t s = sl.of_cell(cells_[i].q, cells_[i].L);
      if (s != slab) slab = s, start = leaves.size();
      if (changed->dirty(cells_[i].q, cells_[i].L) && !resolve(cells_[i].q, cells_[i].L, leaves, start)) ok = false;
    }
    if (any_rank(comm, !ok)) return trivial();
    first[cells_.size()] = leaves.size();
    std::vector<NC> fresh = eval_all(leaves, true);
    replace(first, fresh);
  }
  // The refinement below gets the budget on top of what the partition took
  // (all of it is counted in out.cells, over all ranks).
  const std::size_t base = out.cells;
  const int rank = comm_rank(comm);
  // The best point value only grows: a cell split in this enclosure keeps
  // its centre's value, which is still a value of this r_k. Across ranks the
  // first cell in slab order with the largest value wins, as in one process.
  Real best(0);
  GridPoint best_q;
  int best_L = -1, best_rank = -1;
  auto raise_best = [&](const std::vector<NC>& cs) {
    const NC* mine = nullptr;
    for (const NC& c : cs)
      if (c.pv > (mine ? mine->pv : best)) mine = &c;
    const MaxAt m = max_at(comm, mine ? mine->pv : best);
    if (!(m.value > best)) return;
    best = m.value;
    best_rank = m.rank;
    if (m.rank == rank) best_q = mine->q, best_L = mine->L;
  };
  raise_best(cells_);
  // Splits the cells chosen by `split`, in slab order, as long as the cells
  // evaluated stay below `limit` (counted over all ranks as in one process).
  auto refine = [&](auto split, std::size_t limit, bool points) {
    std::vector<std::size_t> cand;
    for (std::size_t i = 0; i < cells_.size(); ++i)
      if (cells_[i].L < opt.max_level && split(cells_[i])) cand.push_back(i);
    const CountScan cs = count_scan(comm, cand.size());
    const std::size_t per = std::size_t{1} << std::min(d, 20);
    // Candidate j (in slab order over all ranks) is split when out.cells + per j < limit.
    auto allowed = [&](std::uint64_t j) {
      if (out.cells >= limit) return false;
      const std::size_t left = limit - out.cells;
      return j < left / per + (left % per != 0);
    };
    if (cs.total == 0 || !allowed(0)) return false;
    std::vector<std::pair<GridPoint, int>> todo;
    std::vector<std::size_t> first(cells_.size() + 1, 0);
    std::size_t next = 0;
    for (std::size_t i = 0; i < cells_.size(); ++i) {
      first[i] = todo.size();
      if (next < cand.size() && cand[next] == i) {
        if (allowed(cs.before + next)) children(Cell{cells_[i].q, cells_[i].L, true, true}, [&](Cell ch) { todo.emplace_back(std::move(ch.q), ch.L); });
        ++next;
      }
    }
    first[cells_.size()] = todo.size();
    std::vector<NC> fresh = eval_all(todo, points);
    release_free_memory();  // the corner tables
    // A child lies in its parent, where the parent's bounds of this same r_k
    // hold too: splitting never widens them.
    for (std::size_t i = 0; i < cells_.size(); ++i)
      for (std::size_t j = first[i]; j < first[i + 1]; ++j) {
        if (cells_[i].a.hi < fresh[j].a.hi) fresh[j].a.hi = cells_[i].a.hi;
        if (cells_[i].a.lo > fresh[j].a.lo) fresh[j].a.lo = cells_[i].a.lo;
      }
    raise_best(fresh);
    replace(first, fresh);
    return true;
  };
  const Real rel = nearest(opt.rel_width);
  // What tightening may spend beyond deciding C3 (docs/theory.md 7): as many
  // evaluations as the partition took in this enclosure, at least 64 2^d,
  // unless the caller fixed it.
  const std::size_t tighten = std::min(opt.budget, opt.tighten ? *opt.tighten : std::max<std::size_t>(base, std::size_t{64} << std::min(d, 20)));
  // Sup norm, first against the tolerance (the whole budget): while the best
  // point value is within it, split the cells whose bound exceeds it.
  const std::optional<Real> tol = opt.eps ? std::optional<Real>(down(*opt.eps)) : std::nullopt;  // where to aim; C3 compares exactly
  while (tol && best <= *tol)
    if (!refine([&](const NC& c) { return c.a.hi > *tol; }, base + opt.budget, true)) break;
  // Then towards the relative width: split cells whose bound may exceed the
  // best point value by more than rel, within half the tightening allowance
  // (the integrals below get the rest).
  // Each round splits the cells above that mark with the largest bounds
  // first (they decide the upper end), as many as the allowance still pays
  // for; ties go to the earlier cell in slab order.
  const std::size_t tighten_end = out.cells + tighten, sup_end = out.cells + tighten / 2;
  const std::size_t children_per_cell = std::size_t{1} << std::min(d, 20);
  for (;;) {
    const Real mark = best * (1 + rel);
    std::vector<std::size_t> above;
    for (std::size_t i = 0; i < cells_.size(); ++i)
      if (cells_[i].a.hi > mark && cells_[i].L < opt.max_level) above.push_back(i);
    const std::uint64_t total = count_scan(comm, above.size()).total;
    if (total == 0 || out.cells >= sup_end) break;
    const std::size_t room = (sup_end - out.cells + children_per_cell - 1) / children_per_cell;
    if (total > room) {
      // Every rank's `room` largest (a prefix of its list sorted by bound,
      // stable), then the `room` largest of all, ties in rank order.
      std::stable_sort(above.begin(), above.end(), [&](std::size_t x, std::size_t y) { return cells_[x].a.hi > cells_[y].a.hi; });
      if (above.size() > room) above.resize(room);
      ByteWriter w;
      w.u64(above.size());
      for (auto i : above) w.real(cells_[i].a.hi);
      const auto all = allgather(comm, w.bytes());
      std::vector<std::pair<Real, int>> pool;  // (bound, rank), in rank order
      for (std::size_t r = 0; r < all.size(); ++r) {
        ByteReader rd(all[r]);
        const std::size_t n = rd.u64();
        for (std::size_t j = 0; j < n; ++j) pool.emplace_back(rd.real(), static_cast<int>(r));
      }
      std::stable_sort(pool.begin(), pool.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
      std::size_t mine = 0;
      for (std::size_t j = 0; j < room && j < pool.size(); ++j) mine += pool[j].second == rank;
      above.resize(mine);
    }
    std::vector<char> chosen(cells_.size(), 0);
    for (auto i : above) chosen[i] = 1;
    if (!refine([&](const NC& c) { return chosen[static_cast<std::size_t>(&c - cells_.data())] != 0; }, SIZE_MAX, true)) break;
  }
  out.inf_lo = best;
  {
    // The point where the best value was found, from the rank holding it.
    ByteWriter w;
    if (best_rank == rank && best_L >= 0) {
      GridPoint centre(best_q.size());
      for (std::size_t i = 0; i < centre.size(); ++i) centre[i] = 2 * best_q[i] + 1;
      for (const auto& v : as_point(centre, best_L + 1)) w.rational(v);
    }
    const auto all = allgather(comm, w.bytes());
    if (best_rank >= 0) {
      ByteReader rd(all[static_cast<std::size_t>(best_rank)]);
      for (int i = 0; i < d; ++i) out.argmax.push_back(rd.rational());
    }
  }
  Real top(0);
  for (const auto& c : cells_)
    if (c.a.hi > top) top = c.a.hi;
  out.inf_hi = max_at(comm, top).value;
  // L^1 and L^2: sums of vol * |r|^p bounds, refining the widest contributions.
  // Each slab's cells are summed in order, then the slabs' sums in slab
  // order: the same roundings for any number of ranks.
  auto sums = [&] {
    ByteWriter w;
    for (std::size_t i = 0; i < cells_.size();) {
      const std::int64_t s = sl.of_cell(cells_[i].q, cells_[i].L);
      std::size_t j = i;
      while (j < cells_.size() && sl.of_cell(cells_[j].q, cells_[j].L) == s) ++j;
      const NormSums part = norm_sums(std::span<const NC>(cells_.data() + i, j - i), d, [](const NC& c) { return c.L; },
                                      [](const NC& c) -> const AbsBound& { return c.a; });
      for (const Real* v : {&part.s1_lo, &part.s1_hi, &part.s2_lo, &part.s2_hi}) w.real(*v);
      i = j;
    }
    Real s1l(0), s1h(0), s2l(0), s2h(0);
    for (const auto& bytes : allgather(comm, w.bytes())) {
      ByteReader rd(bytes);
      while (!rd.done()) {
        s1l = add_down(s1l, rd.real());
        s1h = add_up(s1h, rd.real());
        s2l = add_down(s2l, rd.real());
        s2h = add_up(s2h, rd.real());
      }
    }
    return NormBounds{s1l, s1h, sqrt_down(s2l), sqrt_up(s2h)};
  };
  // Integrals converge slowly where r changes sign at the grid scale: aim at
  // 10x the sup-norm tolerance and stop at the budget.
  // The integrals are reported, not judged: they get what is left of the
  // tightening allowance (and at most a tenth of the budget). The cells split for them are
  // not kept: the partition carried to the next norm grade holds only what
  // Fact N and the sup norm need.
  const Real rel_p = rel * 10;
  const std::size_t integral_end = std::min({base + opt.budget, out.cells + opt.budget / 10, std::max(out.cells, tighten_end)});
  const std::size_t kept = cells_.size();
  origin.resize(kept);
  for (std::size_t i = 0; i < kept; ++i) origin[i] = (std::uint64_t{i} << 1) | 1;
  for (int round = 0; round < 40; ++round) {
    const NormBounds s = sums();
    if (s.l1_hi - s.l1_lo <= rel_p * s.l1_lo || out.cells >= integral_end) break;
    const Real mean = (s.l1_hi - s.l1_lo) / count_scan(comm, cells_.size()).total;
    if (!refine([&](const NC& c) { return (c.a.hi - c.a.lo) * ldexp(Real(1), -c.L * d) >= mean; }, integral_end, false)) break;
  }
  const NormBounds s = sums();
  out.l1_lo = s.l1_lo;
  out.l1_hi = s.l1_hi;
  out.l2_lo = s.l2_lo;
  out.l2_hi = s.l2_hi;
  require_consistent_norms(out.inf_lo, out.inf_hi, out.l1_lo, out.l1_hi, out.l2_lo, out.l2_hi, "r_" + std::to_string(k));
  // The partition before the integrals' splits: each split cell comes back
  // in place of its descendants (which are contiguous, in its place).
  std::sort(saved.begin(), saved.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<NC> back;
  back.reserve(kept);
  std::size_t r = 0;
  for (std::size_t i = 0; i < cells_.size(); ++i) {
    const std::uint64_t o = origin[i] >> 1;
    if (origin[i] & 1) {
      back.push_back(std::move(cells_[i]));
    } else if (back.size() == o) {  // the first descendant of kept cell o
      if (r >= saved.size() || saved[r].first != o) throw InternalError("the norm partition lost a cell it split for the integrals");
      back.push_back(std::move(saved[r++].second));
    }
  }
  if (back.size() != kept || r != saved.size()) throw InternalError("the norm partition lost a cell it split for the integrals");
  cells_ = std::move(back);
  valid_ = true;
  return out;
}

// The certified decrease of ||r||_p^p at a grade g = a phi_{m,z} whose sign
// form is proved: |a|^p ||phi_{m,z}||_p^p (docs/theory.md 6), rounded down.
Real c4_bound(const Dyadic& a, int d, int m, const GridPoint& z, const Rational& p) {
  return mul_down(pow_down(a.to_rational(), p), down(hat_norm_pp(d, m, z, p)));
}

// What phase 1 learns from the weights alone, reading the grades one at a
// time: which grades are functions of x, which are proved hats (kept as
// (m, z, a) by the ranks whose slabs their supports meet: O(1) per grade,
// never the weights), and the weights of the other grades that read only x
// (few in a constructed scheme).
// Every rank holds one of these per grade (12 bytes); the node and amplitude
// of a proved hat only when it keeps the hat (Model::kept), so that what a rank
// holds per hat falls as 1/N.
struct GradeRec {
  std::int32_t level = -1;        // the level hint (norms are enclosed at level ends)
  std::int16_t m = -1;            // a proved hat: a phi_{m,node}
  bool hat = false, zero = false;  // a proved hat; with amplitude 0
  std::uint32_t kept = UINT32_MAX;  // index into Model::kept, for a hat this rank keeps
};
struct KeptHat {
  GridPoint node;
  Dyadic a;
};
struct Model {
  std::size_t K = 0;
  std::size_t supported = 0;         // grades 1..supported read only x-carriers
  std::size_t unsupported_from = 0;  // first grade reading more than x (0: none)
  std::vector<GradeRec> rec;         // rec[k], k = 1..K (rec[0] unused)
  std::vector<KeptHat> kept;         // the proved hats this rank keeps (its slabs meet their supports), in grade order
  // Grade k's node and amplitude, when it is a proved hat that this rank keeps; null otherwise.
  const KeptHat* kept_hat(std::size_t k) const { return rec[k].kept == UINT32_MAX ? nullptr : &kept[rec[k].kept]; }
  std::vector<Store::General> general;  // the supported grades that are not proved hats
  std::optional<StructureError> structure;  // C1
  std::size_t depth_min = SIZE_MAX, depth_max = 0;
};

// Phase 1, streaming: `grades` emits every grade in order. Hat proofs run in
// parallel over batches of grades; the result does not depend on the threads.
// The proved hats go into `hats` as they are proved: whole when this rank's
// slabs meet the support, else only as a mark on the cells coarser than a slab.
Model analyse(int dim, int width, const GradeStream& grades, const VerifyOptions& opt, const Slabs& sl, IndexedHats& hats) {
  Model M;
  M.rec.emplace_back();
  StructureChecker sc(dim, width);
  Carriers in = input_carriers(dim);
  struct Pending {
    std::size_t k;
    Grade g;
    Carriers in;
    std::optional<Dyadic> a;
  };
  std::vector<Pending> batch;
  // On several ranks each proves an equal contiguous share of a batch, and one
  // all-gather per batch brings every rank every amplitude (exact bytes).
  const Comm* comm = opt.comm;
  const int rank = comm_rank(comm), ranks = comm_size(comm);
  const std::size_t batch_size = ranks > 1 ? 4096 : 512;
  auto flush = [&] {
    auto first = [&](int r) { return static_cast<std::size_t>(run_begin(batch.size(), r, ranks)); };
    const std::size_t i0 = first(rank), i1 = first(rank + 1);
    parallel_for(i1 - i0, opt.threads, [&](std::size_t j) {
      Pending& p = batch[i0 + j];
      const Grade& G = p.g;
      // A hint is only a candidate: a node of the grid at a level the cells can
      // resolve, and then a proof from the weights. Anything else is a general grade.
      if (!valid_node(G.hint.m, G.hint.node, dim) || G.hint.m >= opt.max_level) return;
      HatProof hp = prove_hat(G, p.in, dim, G.hint.m, G.hint.node);
      if (!hp.ok) return;
      try {
        p.a = Dyadic::from_rational(hp.a);
      } catch (const InputError&) {
        p.a.reset();  // a non-dyadic amplitude: checked as a general grade
      }
    });
    if (ranks > 1) {
      ByteWriter w;
      for (std::size_t i = i0; i < i1; ++i) {
        w.u64(batch[i].a ? 1 : 0);
        if (batch[i].a) w.dyadic(*batch[i].a);
      }
      const std::vector<std::string> got = comm->allgather(w.take());
      for (int r = 0; r < ranks; ++r) {
        if (r == rank) continue;
        ByteReader in(got[static_cast<std::size_t>(r)]);
        for (std::size_t i = first(r); i < first(r + 1); ++i)
          if (in.u64() != 0) batch[i].a = in.dyadic();
        if (!in.done()) throw InternalError("a malformed share of hat proofs from rank " + std::to_string(r));
      }
    }
    for (Pending& p : batch) {
      GradeRec& r = M.rec[p.k];
      if (p.a) {
        r.m = static_cast<std::int16_t>(p.g.hint.m);
        r.hat = true;
        r.zero = p.a->is_zero();
        if (sl.keeps(r.m, p.g.hint.node)) {
          hats.add(p.k, r.m, p.g.hint.node, *p.a);
          if (M.kept.size() >= UINT32_MAX) throw InputError("more than 2^32 - 1 hats on one rank");
          r.kept = static_cast<std::uint32_t>(M.kept.size());
          M.kept.push_back({p.g.hint.node, std::move(*p.a)});
        } else {
          hats.add_elsewhere(p.k, r.m, p.g.hint.node, sl.B);
        }
      } else {
        M.general.push_back({p.k, std::move(p.g), std::move(p.in)});
      }
    }
    batch.clear();
  };
  grades([&](const Grade& G) {
    const std::size_t k = ++M.K;
    M.rec.emplace_back();
    M.rec[k].level = G.hint.level;
    sc.add(G);
    M.depth_min = std::min(M.depth_min, G.layers.size());
    M.depth_max = std::max(M.depth_max, G.layers.size());
    if (sc.error() || M.unsupported_from) return;  // nothing more is analysed
    if (!reads_only_x(G, in)) {
      M.unsupported_from = k;
      return;
    }
    batch.push_back({k, G, in, std::nullopt});
    in = output_carriers(G, in);
    if (batch.size() >= batch_size) flush();
  });
  if (!sc.error() && !M.unsupported_from) flush();
  M.structure = sc.error();
  if (M.K == 0) M.depth_min = 0;
  M.supported = M.unsupported_from ? M.unsupported_from - 1 : M.K;
  return M;
}

ClaimResult judge_c1(const Model& M, VerifyReport& rep) {
  ClaimResult c;
  c.claim = Claim::C1;
  c.structure = M.structure;
  if (c.structure) {
    c.verdict = Verdict::Refuted;
    c.witness = Witness{c.structure->grade, {}, c.structure->what};
    return c;
  }
  c.verdict = Verdict::Proved;
  rep.depth_min = M.depth_min;
  rep.depth_max = M.depth_max;
  rep.depths = M.K == 0 ? "-"
               : rep.depth_min == rep.depth_max ? std::to_string(rep.depth_min)
                                                : std::to_string(rep.depth_min) + ".." + std::to_string(rep.depth_max);
  return c;
}

// One grade's pointwise verdict folded into the claim: the first witness, the
// open grades, the largest search.
void fold_grade(ClaimResult& c, Verdict v, const std::optional<Witness>& w, std::size_t cells, int deepest) {
  if (v == Verdict::Refuted && !c.witness) c.witness = w;
  if (v == Verdict::Undecided) ++c.open;
  c.max_cells = std::max(c.max_cells, cells);
  c.deepest = std::max(c.deepest, deepest);
}

// One slab's part of one grade's pointwise check, as exchanged between
// ranks. The part of a hat's home slab (the one holding its node) also
// carries the hat's certified decrease for each exponent.
struct Part {
  std::size_t k = 0;
  std::int64_t slab = 0;
  std::size_t budget = 0;  // this part's share of the grade's budget (not exchanged)
  GradeCheck check;
  std::vector<Real> c4;
  std::int64_t from = 0, to = 0;  // the slabs [from, to) of the grade's search, one part each
};

void put_witness(ByteWriter& w, const std::optional<Witness>& x) {
  w.u64(x ? 1 : 0);
  if (!x) return;
  w.u64(x->grade);
  w.u64(x->x.size());
  for (const auto& v : x->x) w.rational(v);
  w.str(x->evidence);
}
std::optional<Witness> get_witness(ByteReader& r) {
  if (r.u64() == 0) return std::nullopt;
  Witness x;
  x.grade = r.u64();
  const std::size_t n = r.u64();
  if (n > 64) throw std::runtime_error("a malformed message between ranks");
  for (std::size_t i = 0; i < n; ++i) x.x.push_back(r.rational());
  x.evidence = r.str();
  return x;
}
void put_part(ByteWriter& w, const Part& p) {
  const GradeCheck& g = p.check;
  w.u64(p.k);
  w.i64(p.slab);
  w.i64(p.from);
  w.i64(p.to);
  w.u64(static_cast<std::uint64_t>(g.weak));
  w.u64(static_cast<std::uint64_t>(g.sign));
  put_witness(w, g.weak_w);
  put_witness(w, g.sign_w);
  w.u64(g.nonzero ? 1 : 0);
  w.u64(g.cells);
  w.u64(g.open_cells);
  w.i64(g.deepest);
  w.u64(p.c4.size());
  for (const auto& b : p.c4) w.real(b);
}
Verdict verdict_from(std::uint64_t v) {
  if (v > static_cast<std::uint64_t>(Verdict::Undecided)) throw std::runtime_error("a malformed message between ranks");
  return static_cast<Verdict>(v);
}
Part get_part(ByteReader& r) {
  Part p;
  GradeCheck& g = p.check;
  p.k = r.u64();
  p.slab = r.i64();
  p.from = r.i64();
  p.to = r.i64();
  g.weak = verdict_from(r.u64());
  g.sign = verdict_from(r.u64());
  g.weak_w = get_witness(r);
  g.sign_w = get_witness(r);
  g.nonzero = r.u64() != 0;
  g.cells = r.u64();
  g.open_cells = r.u64();
  g.deepest = static_cast<int>(r.i64());
  const std::size_t nb = r.u64();
  if (nb > 4096) throw std::runtime_error("a malformed message between ranks");
  for (std::size_t j = 0; j < nb; ++j) p.c4.push_back(r.real());
  return p;
}
// Every rank's parts (each rank's in (grade, slab) order, the slabs of
// different ranks disjoint), merged into (grade, slab) order one at a time.
class PartMerge {
 public:
  explicit PartMerge(const std::vector<std::string>& all) {
    for (const auto& bytes : all) {
      in_.emplace_back(bytes);
      cur_.emplace_back();
      advance(in_.size() - 1);
    }
  }
  std::optional<Part> next() {
    std::size_t best = in_.size();
    for (std::size_t i = 0; i < in_.size(); ++i)
      if (cur_[i] && (best == in_.size() || std::pair(cur_[i]->k, cur_[i]->slab) < std::pair(cur_[best]->k, cur_[best]->slab))) best = i;
    if (best == in_.size()) return std::nullopt;
    std::optional<Part> out = std::move(cur_[best]);
    advance(best);
    return out;
  }

 private:
  void advance(std::size_t i) {
    cur_[i].reset();
    if (!in_[i].done()) cur_[i] = get_part(in_[i]);
  }
  std::vector<ByteReader> in_;
  std::vector<std::optional<Part>> cur_;
};

// A grade's check from its slabs' parts, in slab order: refuted where a part
// is (the first part's witness), open where a part is, else proved.
GradeCheck merge_parts(const Part* first, const Part* last) {
  GradeCheck g;
  bool open_w = false, open_s = false;
  for (const Part* p = first; p != last; ++p) {
    const GradeCheck& c = p->check;
    if (!g.weak_w && c.weak_w) g.weak_w = c.weak_w;
    if (!g.sign_w && c.sign_w) g.sign_w = c.sign_w;
    open_w = open_w || c.weak == Verdict::Undecided;
    open_s = open_s || c.sign == Verdict::Undecided;
    g.nonzero = g.nonzero || c.nonzero;
    g.cells += c.cells;
    g.open_cells += c.open_cells;
    g.deepest = std::max(g.deepest, c.deepest);
  }
  g.weak = g.weak_w ? Verdict::Refuted : open_w ? Verdict::Undecided : Verdict::Proved;
  g.sign = g.sign_w ? Verdict::Refuted : open_s ? Verdict::Undecided : Verdict::Proved;
  return g;
}

// The pointwise claims and C4, folded grade by grade in grade order (the
// same on every rank), so that no per-grade result is kept.
struct Judges {
  Judges(const Model& M, const VerifyOptions& opt) : M_(M), opt_(opt) {
    c2.claim = Claim::C2;
    c2s.claim = Claim::C2Sign;
    for (ClaimResult* c : {&c2, &c2s}) c->unsupported_from = M.unsupported_from, c->open = M.K - M.supported;
    for (const auto& p : opt.p) {
      ClaimResult c;
      c.claim = Claim::C4;
      c.p = p;
      c.unsupported_from = M.unsupported_from;
      c.open = M.K - M.supported;
      c4.push_back(std::move(c));
    }
  }
  // The certified decreases of ||r||_p^p (p = 1, 2) summed between two norm
  // grades (the self-check of require_decrease_fits), per range.
  struct Range {
    Real sum1{0}, sum2{0};
    bool certified = true;
  };
  // Self-check: every grade up to `upto` - 1 not folded yet is a zero hat
  // (the one kind of grade that no rank checks). A grade whose parts were
  // lost on the way (a round not exchanged, a hat no rank kept) would
  // otherwise count as checked.
  void passed_over(std::size_t upto) {
    for (; next_ < upto; ++next_)
      if (!(M_.rec[next_].hat && M_.rec[next_].zero)) throw InternalError("grade " + std::to_string(next_) + " was checked on no slab");
  }
  // Grade k's check (from its parts); `range`: the norm grade index it precedes.
  void fold(std::size_t k, const GradeCheck& gc, const std::vector<Real>& bounds, std::size_t range) {
    if (k < next_) throw InternalError("grade " + std::to_string(k) + " was folded twice, or out of order");
    passed_over(k);
    next_ = k + 1;
    const GradeRec& G = M_.rec[k];
    cells += gc.cells;
    if (!G.hat && !gc.nonzero) ++trivial;
    fold_grade(c2, gc.weak, gc.weak_w, gc.cells, gc.deepest);
    fold_grade(c2s, gc.sign, gc.sign_w, gc.cells, gc.deepest);
    const bool certified = G.hat && gc.sign == Verdict::Proved;
    if (certified && bounds.size() != opt_.p.size()) throw InternalError("a proved hat's decrease bounds are missing");
    if (ranges.size() <= range) ranges.resize(range + 1);
    Range& rg = ranges[range];
    rg.certified = rg.certified && certified;
    for (std::size_t i = 0; i < c4.size(); ++i) {
      ClaimResult& c = c4[i];
      if (!certified) {
        if (gc.nonzero) ++c.open;  // not certified (only the sign form of a proved hat certifies it)
        continue;
      }
      const Real& b = bounds[i];
      if (opt_.p[i] == 1) rg.sum1 = add_down(rg.sum1, b);
      if (opt_.p[i] == 2) rg.sum2 = add_down(rg.sum2, b);
      if (!(b > 0)) {  // |a|^p underflowed: no positive bound
        ++c.open;
        continue;
      }
      if (c.at == 0 || b < c.lower) c.lower = b, c.at = k;
    }
  }
  // Self-check: between two enclosed norms with only certified grades between
  // them, the certified decreases of ||r||_p^p (p = 1, 2) cannot add up to more
  // than the norms allow: sum <= ||r_j||_p^p (upper) - ||r_k||_p^p (lower).
  void require_within(const std::vector<NormEnclosure>& norms) const {
    for (std::size_t i = 1; i < norms.size(); ++i) {
      const Range rg = i < ranges.size() ? ranges[i] : Range{};  // no nonzero grade in between: sums 0
      if (!rg.certified) continue;
      const NormEnclosure &A = norms[i - 1], &B = norms[i];
      const std::string what = "grades " + std::to_string(A.grade + 1) + ".." + std::to_string(B.grade);
      for (const auto& p : opt_.p) {
        if (p == 1) require_decrease_fits(rg.sum1, A.l1_hi, B.l1_lo, 1, what);
        if (p == 2) require_decrease_fits(rg.sum2, A.l2_hi, B.l2_lo, 2, what);
      }
    }
  }
  std::vector<ClaimResult> finish() {
    for (ClaimResult* c : {&c2, &c2s}) c->verdict = c->witness ? Verdict::Refuted : c->open ? Verdict::Undecided : Verdict::Proved;
    for (auto& c : c4) c.verdict = c.open ? Verdict::Undecided : Verdict::Proved;
    std::vector<ClaimResult> out{c2, c2s};
    return out;
  }
  ClaimResult c2, c2s;
  std::vector<ClaimResult> c4;
  std::vector<Range> ranges;
  std::size_t cells = 0, trivial = 0;

 private:
  const Model& M_;
  const VerifyOptions& opt_;
  std::size_t next_ = 1;  // the first grade not folded or passed over yet
};

// C3: the certified sup norm at the last grade against the tolerance, compared exactly.
ClaimResult judge_c3(const std::vector<NormEnclosure>& norms, const VerifyOptions& opt, const Model& M, std::size_t K) {
  ClaimResult c;
  c.claim = Claim::C3;
  c.unsupported_from = M.unsupported_from;
  c.eps = opt.eps;
  if (norms.empty() || M.unsupported_from) {
    c.open = K - M.supported;
    return c;
  }
  const NormEnclosure& last = norms.back();
  c.at = last.grade;
  c.lower = last.inf_lo;
  c.upper = last.inf_hi;
  for (std::size_t i = 1; i < norms.size(); ++i)
    if (i == 1 || norms[i].level != norms[i - 1].level)
      c.ratios.push_back(norms[i - 1].inf_lo > 0 ? div_up(norms[i].inf_hi, norms[i - 1].inf_lo) : infinity());
  if (!opt.eps) return c;
  if (le(c.upper, *opt.eps)) {
    c.verdict = Verdict::Proved;
  } else if (gt(c.lower, *opt.eps)) {
    c.verdict = Verdict::Refuted;
    c.witness = Witness{last.grade, last.argmax, "|r(x)| >= " + decimal_down(c.lower) + " > " + to_string(*opt.eps)};
  }
  return c;
}

// The first grade reading more than x-carriers (0: none).
std::size_t first_feature_reader(const Network& net) {
  Carriers in = input_carriers(net.dim);
  for (std::size_t k = 1; k <= net.grades.size(); ++k) {
    const Grade& G = net.grades[k - 1];
    if (!reads_only_x(G, in)) return k;
    in = output_carriers(G, in);
  }
  return 0;
}

// The claims from the general-network analysis (verify/network.hpp): C2 and
// its sign form per grade, C3 from the last grade's certified sup norm, C4
// from the certified enclosures of ||r_{k-1}||_p^p - ||r_k||_p^p.
void judge_network(const Network& net, const Target& f, const VerifyOptions& opt, VerifyReport& rep) {
  rep.network = true;
  rep.general_grades = net.grades.size();
  rep.rows = analyse_network(net, f, opt, rep.cells);
  const std::size_t K = net.grades.size();
  for (const auto& r : rep.rows) rep.norms.push_back(r.norm);
  for (std::size_t k = 1; k <= K; ++k)
    if (rep.rows[k].trivial) ++rep.trivial_grades;
  for (Claim which : {Claim::C2, Claim::C2Sign}) {
    ClaimResult c;
    c.claim = which;
    for (std::size_t k = 1; k <= K; ++k) {
      const GradeRow& r = rep.rows[k];
      fold_grade(c, which == Claim::C2 ? r.c2 : r.sign, which == Claim::C2 ? r.c2_w : r.sign_w, r.c2_cells, r.deepest);
    }
    c.verdict = c.witness ? Verdict::Refuted : c.open ? Verdict::Undecided : Verdict::Proved;
    rep.claims.push_back(c);
  }
  {
    ClaimResult c;
    c.claim = Claim::C3;
    c.eps = opt.eps;
    const NormEnclosure& last = rep.rows.back().norm;
    c.at = K;
    c.lower = last.inf_lo;
    c.upper = last.inf_hi;
    if (opt.eps) {
      if (le(c.upper, *opt.eps)) {
        c.verdict = Verdict::Proved;
      } else if (gt(c.lower, *opt.eps)) {
        c.verdict = Verdict::Refuted;
        c.witness = Witness{K, last.argmax, "|r(x)| >= " + decimal_down(c.lower) + " > " + to_string(*opt.eps)};
      }
    }
    rep.claims.push_back(c);
  }
  for (std::size_t pi = 0; pi < opt.p.size(); ++pi) {
    ClaimResult c;
    c.claim = Claim::C4;
    c.p = opt.p[pi];
    for (std::size_t k = 1; k <= K; ++k) {
      const GradeRow& r = rep.rows[k];
      if (r.trivial) continue;
      const GradeRow::Decrease& d = r.decrease[pi];
      if (d.verdict == Verdict::Refuted && !c.witness)
        c.witness = Witness{k, {}, "||r_" + std::to_string(k - 1) + "||_p^p - ||r_" + std::to_string(k) + "||_p^p in [" +
                                       decimal_down(d.lo) + ", " + decimal_up(d.hi) + "] < 0"};
      if (d.verdict == Verdict::Undecided) ++c.open;
      if (d.verdict == Verdict::Proved && (c.at == 0 || d.lo < c.lower)) c.lower = d.lo, c.at = k;
    }
    c.verdict = c.witness ? Verdict::Refuted : c.open ? Verdict::Undecided : Verdict::Proved;
    rep.claims.push_back(c);
  }
}

}  // namespace

const char* to_string(Claim c) {
  switch (c) {
    case Claim::C1: return "C1";
    case Claim::C2: return "C2";
    case Claim::C2Sign: return "C2 sign-preserving";
    case Claim::C3: return "C3";
    case Claim::C4: return "C4";
  }
  return "?";
}

const ClaimResult& VerifyReport::claim(Claim c, const Rational& p) const {
  for (const auto& r : claims)
    if (r.claim == c && (c != Claim::C4 || r.p == p)) return r;
  throw std::out_of_range(std::string("no result for claim ") + to_string(c));
}

namespace {
void check_options(int dim, const Target& f, const VerifyOptions& opt) {
  if (f.dim != dim)
    throw InputError("the target has dimension " + std::to_string(f.dim) + " but the scheme has " + std::to_string(dim));
  if (opt.p.empty()) throw InputError("C4 needs at least one exponent p");
  if (opt.eps && *opt.eps <= 0) throw InputError("the tolerance eps must be positive, got " + to_string(*opt.eps));
  for (const auto& p : opt.p)
    if (p < 1) throw InputError("--p values must be >= 1, got " + to_string(p));
  const int B = opt.slab_level ? *opt.slab_level : default_slab_level(dim);
  if (B < 0 || B > 20 || B > opt.max_level)
    throw InputError("--slab-level must be in 0..20 and at most --max-level, got " + std::to_string(B));
  // Each norm partition starts from the 2^(B d) level-B cells: at most 2^16.
  if (B * dim > 16)
    throw InputError("--slab-level " + std::to_string(B) + " would start every norm partition from 2^" + std::to_string(B * dim) +
                     " cells; in " + std::to_string(dim) + "-D it must be at most " + std::to_string(16 / dim));
  if (comm_size(opt.comm) > (1 << B))
    throw InputError(std::to_string(comm_size(opt.comm)) + " ranks need at least as many slabs: --slab-level must be at least " +
                     std::to_string(static_cast<int>(std::ceil(std::log2(comm_size(opt.comm))))) + ", got " + std::to_string(B));
}

// C1 refuted: every other claim is undecided at every grade.
void undecided_after_c1(VerifyReport& rep, const VerifyOptions& opt, std::size_t K) {
  auto undecided = [&](Claim c, const Rational& p) {
    ClaimResult u;
    u.claim = c;
    u.p = p;
    u.verdict = Verdict::Undecided;
    rep.claims.push_back(u);
  };
  for (Claim c : {Claim::C2, Claim::C2Sign, Claim::C3}) undecided(c, 0);
  for (const auto& p : opt.p) undecided(Claim::C4, p);
  for (std::size_t i = 1; i < rep.claims.size(); ++i) rep.claims[i].open = K;
}
}  // namespace

VerifyReport verify_scheme(const Network& net, const Target& f, const VerifyOptions& opt) {
  check_options(net.dim, f, opt);
  if (opt.network || first_feature_reader(net)) {
    VerifyReport rep;
    rep.dim = net.dim;
    rep.width = net.width;
    rep.grades = net.grades.size();
    Model M;
    M.K = net.grades.size();
    M.structure = structure_check(net);
    M.depth_min = net.grades.empty() ? 0 : SIZE_MAX;
    for (const auto& g : net.grades) M.depth_min = std::min(M.depth_min, g.layers.size()), M.depth_max = std::max(M.depth_max, g.layers.size());
    rep.claims.push_back(judge_c1(M, rep));
    if (rep.claims[0].verdict == Verdict::Refuted) {
      undecided_after_c1(rep, opt, M.K);
      return rep;
    }
    judge_network(net, f, opt, rep);
    return rep;
  }
  auto r = verify_stream(net.dim, net.width, [&](const std::function<void(const Grade&)>& emit) {
    for (const Grade& g : net.grades) emit(g);
  }, f, opt);
  if (!r) throw InternalError("verify_stream asked for the general-network analysis of a scheme whose grades read only x");
  return *r;
}

std::optional<VerifyReport> verify_stream(int dim, int width, const GradeStream& grades, const Target& f, const VerifyOptions& opt) {
  check_options(dim, f, opt);
  if (opt.network) return std::nullopt;
  VerifyReport rep;
  rep.dim = dim;
  rep.width = width;
  const Comm* comm = opt.comm;
  const int B = opt.slab_level ? *opt.slab_level : default_slab_level(dim);
  rep.slab_level = B;
  const Slabs sl(B, comm_rank(comm), comm_size(comm));

  // Phase 1: structure, carriers and hat proofs, from the weights alone, one grade at a time.
  Store store(dim);
  Model M = analyse(dim, width, grades, opt, sl, store.hats);
  const std::size_t K = M.K;
  rep.grades = K;
  rep.claims.push_back(judge_c1(M, rep));
  if (rep.claims[0].verdict == Verdict::Refuted) {
    undecided_after_c1(rep, opt, K);
    return rep;
  }
  if (M.unsupported_from) return std::nullopt;  // a grade reads earlier grades' features: the caller runs judge_network

  // Which grades get norm enclosures: 0, level ends (by hint), the last, and any asked for.
  std::vector<std::size_t> norm_at{0};
  for (std::size_t k = 1; k <= K; ++k)
    if (k == K || M.rec[k + 1].level != M.rec[k].level) norm_at.push_back(k);
  for (auto k : opt.at_grades) {
    if (k > K) throw InputError("--at grade " + std::to_string(k) + " exceeds the " + std::to_string(K) + " grades");
    norm_at.push_back(k);
  }
  std::sort(norm_at.begin(), norm_at.end());
  norm_at.erase(std::unique(norm_at.begin(), norm_at.end()), norm_at.end());

  rep.unsupported_grades = K - M.supported;
  for (std::size_t k = 1; k <= M.supported; ++k)
    if (M.rec[k].hat) {
      ++rep.hat_grades;
      if (M.rec[k].zero) ++rep.trivial_grades;
    }
  rep.general_grades = M.general.size();
  std::vector<std::size_t> general_at(M.supported + 1, SIZE_MAX);  // index into store.general
  store.general = std::move(M.general);
  for (std::size_t i = 0; i < store.general.size(); ++i) general_at[store.general[i].grade] = i;

  // Phases 2 and 3, range by range of grades between norm grades: C2 and its
  // sign form, one independent check per grade and slab, then the norm
  // enclosure at the range's end. The checks run in batches of consecutive
  // grades, so that the target's data on the first cells of their searches
  // is computed once (FCellCache); the cache holds the range's cells (up to
  // its size limit), which are the cells the norm enclosure evaluates afresh.
  // Each rank checks its slabs' parts; every rank receives all parts of a
  // batch and folds them, grade by grade, into the same judges.
  Judges judges(M, opt);
  const bool cached = store.general.empty();
  FCellCache cache(comm_size(comm));
  auto check_range = [&](std::size_t from, std::size_t to, std::size_t range) {
    // The parts of up to `window` grades are computed before any is
    // exchanged: consecutive grades lie close together (a pass adds its nodes
    // in lexicographic order), so a short window would keep one rank busy and
    // the others waiting. The window's parts are then exchanged in rounds of `per_round` batches,
    // folded round by round: a rank holds its own parts of the window and one
    // round of every rank's, not the window of every rank's.
    const std::size_t batch = std::max<std::size_t>(1, opt.check_batch), window = std::size_t{1} << 18,
                      per_round = std::max<std::size_t>(1, opt.exchange_batches);
    ByteWriter pending;
    std::vector<std::size_t> ends;  // where each batch's parts end in pending
    for (std::size_t first = from; first <= to; first += batch) {
      const std::size_t last = std::min(to, first + batch - 1);
      // This rank's parts: (grade, slab) for its slabs meeting the grade's support.
      std::vector<Part> parts;
      for (std::size_t k = first; k <= last; ++k) {
        const GradeRec& G = M.rec[k];
        const KeptHat* h = M.kept_hat(k);
        if (G.hat && (G.zero || !h)) continue;  // g = 0, or a hat whose support misses this rank's slabs
        std::int64_t a = 0, b = sl.S;
        if (G.hat) std::tie(a, b) = sl.meeting(h->node[0] - 1, h->node[0] + 1, G.m);
        for (std::int64_t s = std::max(a, sl.first); s < std::min(b, sl.last); ++s)
          parts.push_back(Part{k, s, Slabs::share(opt.budget, s - a, b - a), {}, {}, a, b});
      }
      if (cached) {
        std::vector<std::vector<std::int64_t>> keys;
        for (std::size_t k = first; k <= last; ++k)
          if (const KeptHat* h = M.kept_hat(k); h && !M.rec[k].zero) FCellCache::support_cells(M.rec[k].m, h->node, keys);
        // Only cells this rank's searches start from (a cell wider than a slab may be any rank's).
        std::erase_if(keys, [&](const std::vector<std::int64_t>& key) {
          const int L = static_cast<int>(key[0]);
          if (L < B) return false;
          const std::int64_t s = key[1] >> (L - B);
          return s < sl.first || s >= sl.last;
        });
        cache.extend(Residual(f, dim, store, 0), std::move(keys), opt.threads);
      }
      parallel_for(parts.size(), opt.threads, [&](std::size_t i) {
        Part& p = parts[i];
        const std::size_t k = p.k;
        const GradeRec& G = M.rec[k];
        Residual R(f, dim, store, k - 1);
        const SlabPart sp{p.slab, p.budget};
        if (G.hat) {
          const KeptHat& h = *M.kept_hat(k);  // a part is made only for a kept hat
          p.check = check_hat(R, k, G.m, h.node, h.a, opt, cached ? &cache : nullptr, sl, sp);
          if (p.slab == sl.of_point(h.node[0], G.m))
            for (const auto& e : opt.p) p.c4.push_back(c4_bound(h.a, dim, G.m, h.node, e));
        } else {
          const Store::General& g = store.general[general_at[k]];
          p.check = check_general(R, k, g.g, g.in, opt, sl, sp);
        }
      });
      for (const Part& p : parts) put_part(pending, p);
      ends.push_back(pending.bytes().size());
      if (last < to && (last - from + 1) % window != 0) continue;
      // Every rank's parts of the window, folded grade by grade. Every rank
      // has the same batches, so the same rounds; a grade's parts lie in one
      // batch on every rank.
      const std::string mine = pending.take();
      pending = ByteWriter();
      for (std::size_t b = 0, at = 0; b < ends.size(); b += per_round) {
        const std::size_t end = ends[std::min(ends.size(), b + per_round) - 1];
        const std::vector<std::string> all = allgather(comm, mine.substr(at, end - at));
        at = end;
        PartMerge merged(all);
        std::vector<Part> group;  // the parts of one grade
        auto fold = [&] {
          // Self-check: one part for each slab of the grade's search, in slab order.
          const Part& g0 = group.front();
          bool whole = g0.from >= 0 && g0.from < g0.to && g0.to <= sl.S && group.size() == static_cast<std::size_t>(g0.to - g0.from);
          for (std::size_t i = 0; i < group.size() && whole; ++i)
            whole = group[i].from == g0.from && group[i].to == g0.to && group[i].slab == g0.from + static_cast<std::int64_t>(i);
          if (!whole) throw InternalError("grade " + std::to_string(g0.k) + " was checked on " + std::to_string(group.size()) + " parts, not one per slab of its search");
          std::vector<Real> bounds;
          for (const Part& p : group)
            if (!p.c4.empty()) bounds = p.c4;
          judges.fold(group.front().k, merge_parts(group.data(), group.data() + group.size()), bounds, range);
          group.clear();
        };
        while (std::optional<Part> p = merged.next()) {
          if (!group.empty() && group.front().k != p->k) fold();
          group.push_back(std::move(*p));
        }
        if (!group.empty()) fold();
      }
      ends.clear();
      release_free_memory();
    }
  };

  std::vector<std::size_t> norm_grades;
  for (auto k : norm_at)
    if (k <= M.supported) norm_grades.push_back(k);
  // One partition of the cube carried from each norm grade to the next: only
  // cells that the hats added in between meet are evaluated again. A general
  // grade may be nonzero anywhere: the enclosure after one starts afresh (the
  // general grades before the last norm grade are in both residuals alike).
  rep.norms.resize(norm_grades.size());
  NormPartition part;
  std::size_t next_check = 1;
  for (std::size_t i = 0; i < norm_grades.size(); ++i) {
    const std::size_t k = norm_grades[i];
    cache.clear();
    check_range(next_check, k, i);
    next_check = k + 1;
    Residual R(f, dim, store, k);
    std::optional<DirtyIndex> changed;
    if (i > 0) {
      changed.emplace(dim);
      for (std::size_t j = norm_grades[i - 1] + 1; j <= k && changed; ++j) {
        if (general_at[j] != SIZE_MAX) changed.reset();  // a general grade in between
        else if (const KeptHat* h = M.kept_hat(j); h && !M.rec[j].zero) changed->add(M.rec[j].m, h->node);  // the hats meeting this rank's slabs
      }
    }
    rep.norms[i] = part.enclose(R, k, k == 0 ? 0 : M.rec[k].level, opt, changed ? &*changed : nullptr, cached ? &cache : nullptr, sl);
    release_free_memory();
  }
  cache.clear();
  check_range(next_check, M.supported, norm_grades.size());
  judges.passed_over(M.supported + 1);
  for (const auto& n : rep.norms) rep.cells += n.cells;
  rep.cells += judges.cells;
  rep.trivial_grades += judges.trivial;
  judges.require_within(rep.norms);

  // The judges, in grade order (deterministic whatever the thread and rank counts).
  for (auto& c : judges.finish()) rep.claims.push_back(std::move(c));
  rep.claims.push_back(judge_c3(rep.norms, opt, M, K));
  for (auto& c : judges.c4) rep.claims.push_back(std::move(c));
  return rep;
}

int default_slab_level(int dim) {
  switch (dim) {
    case 1: return 6;
    case 2: return 4;
    case 3: return 3;
    default: return dim <= 5 ? 2 : 1;
  }
}

std::string label(const ClaimResult& c) {
  return c.claim == Claim::C4 ? "C4 p=" + to_string(c.p) : std::string(to_string(c.claim));
}

std::string describe(const ClaimResult& c, const VerifyReport& r, const VerifyOptions& opt) {
  const std::string grades = std::to_string(r.grades);
  auto open_text = [&](const std::string& what) {
    std::string s = what + " undecided at " + std::to_string(c.open) + " grades (budget " + std::to_string(opt.budget) +
                    " cells per grade, finest level " + std::to_string(opt.max_level);
    if (c.unsupported_from)
      s += "; grades from " + std::to_string(c.unsupported_from) + " on read features of earlier grades, which this checker does not enclose";
    return s + ")";
  };
  switch (c.claim) {
    case Claim::C1:
      if (c.verdict == Verdict::Refuted) return c.structure->what;
      return "width " + std::to_string(r.width) + " for every hidden layer of all " + grades + " grades; depth per grade " +
             r.depths + "; grade k reads only grade k-1's last layer";
    case Claim::C2:
    case Claim::C2Sign: {
      const std::string what = c.claim == Claim::C2 ? "|r_k(x)| <= |r_{k-1}(x)|" : "r_k(x) between 0 and r_{k-1}(x)";
      if (r.claims.size() && r.claims[0].verdict == Verdict::Refuted) return "not checked: the network does not have the MGDL structure";
      if (c.verdict == Verdict::Refuted) return what + " fails at grade " + std::to_string(c.witness->grade);
      if (c.verdict == Verdict::Undecided) return open_text(what);
      return what + " for all " + grades + " grades and every x (" + std::to_string(r.hat_grades) + " proved hat blocks, " +
             std::to_string(r.general_grades) + " other grades; at most " + std::to_string(c.max_cells) +
             " cells per grade, finest level " + std::to_string(c.deepest) + ")";
    }
    case Claim::C3: {
      if (r.claims.size() && r.claims[0].verdict == Verdict::Refuted) return "not checked: the network does not have the MGDL structure";
      if (c.unsupported_from || r.norms.empty()) return "norms not enclosed: " + open_text("||r_k||_inf");
      std::string s = "||r_" + std::to_string(c.at) + "||_inf in [" + decimal_down(c.lower) + ", " + decimal_up(c.upper) + "]";
      for (std::size_t i = 0; i < c.ratios.size(); ++i) s += (i ? ", " : "; ratios per level <= ") + decimal_up(c.ratios[i], 3);
      if (!c.eps) return s + "; no tolerance given";
      return s + "; tolerance " + to_string(*c.eps);
    }
    case Claim::C4: {
      if (r.claims.size() && r.claims[0].verdict == Verdict::Refuted) return "not checked: the network does not have the MGDL structure";
      if (r.network) {
        if (c.verdict == Verdict::Refuted) return "the L^p error grows at grade " + std::to_string(c.witness->grade);
        if (c.verdict == Verdict::Undecided)
          return "strict decay undecided at " + std::to_string(c.open) + " nontrivial grades (enclosures of ||r_{k-1}||_p^p - ||r_k||_p^p contain 0)";
        if (c.at == 0) return "no nontrivial grade";
        return "||r_{k-1}||_p^p - ||r_k||_p^p > 0 at every nontrivial grade (certified enclosures); smallest >= " +
               decimal_down(c.lower) + " at grade " + std::to_string(c.at);
      }
      if (c.verdict == Verdict::Undecided)
        return "strict decay not certified at " + std::to_string(c.open) +
               " nontrivial grades (it is certified from the sign-preserving form of C2 at proved hat grades)";
      if (c.at == 0) return "no nontrivial grade";
      return "||r_{k-1}||_p^p - ||r_k||_p^p >= |a_k|^p ||phi_k||_p^p > 0 at every nontrivial grade; smallest >= " +
             decimal_down(c.lower) + " at grade " + std::to_string(c.at);
    }
  }
  return "";
}

}  // namespace mgdl
