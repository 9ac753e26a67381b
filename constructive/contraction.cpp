// Patch enclosures by interval branch-and-bound, and the sweep T_m.
//
// Cells are dyadic cubes of level m + s. F is affine on every Kuhn simplex of
// its finest level, and the Kuhn triangulation of a finer level refines it,
// so on a cell of level >= every level of F the range of F is exactly the
// hull of its 2^d corner values (docs/theory.md, "Cells"). f is enclosed by
// its interval extension. Both are certified; only the refinement choices
// are heuristic.
#include "constructive/contraction.hpp"

#include "numbers/parallel.hpp"

#include <algorithm>
#include <optional>

namespace mgdl {

namespace {

struct Cell {
  GridPoint q;  // lower corner at level m + s
  int s;
  Real elo, ehi;
};

// F at points of finer grids: from the level-m nodal values when F's finest
// level is <= m (the schedule's case), else by the sparse sum.
class NodalF {
 public:
  NodalF(const Approximant& F, const NodalValues* table) : F_(F), table_(table) {}
  Dyadic at(std::span<const std::int64_t> p, int L) const { return table_ ? table_->at(p, L) : F_.at(p, L); }

 private:
  const Approximant& F_;
  const NodalValues* table_;
};

// Enclosures of e on cells and at cell corners do not depend on the patch, and
// neighbouring patches share cells: a sweep evaluates each cell once.
struct CellValue {
  Real elo, ehi;          // e(x) in [elo, ehi] on the cell
  bool point_ok = false;  // f finite at the lower corner
  Real plo, phi;          // e(lower corner) in [plo, phi]
};

class CellCache {
 public:
  CellCache(const Target& f, const NodalF& F, const Real& point_width_max = Real(std::numeric_limits<double>::infinity()))
      : f_(f), F_(F), point_width_max_(point_width_max) {}
  const CellValue& get(const GridPoint& q, int L, std::size_t& evaluations) {
    key_.assign(q.begin(), q.end());
    key_.push_back(L);
    auto it = map_.find(key_);
    if (it != map_.end()) return it->second;
    if (map_.size() > (std::size_t{1} << 20)) map_.clear();
    ++evaluations;
    return map_.emplace(key_, evaluate(q, L)).first->second;
  }

 private:
  CellValue evaluate(const GridPoint& q, int L) const {
    const std::size_t d = q.size();
    const auto [box, pt, centre] = cell_points(q, L);
    Interval fb;
    std::vector<Interval> grad;
    if (f_.gradient) f_.gradient(box, fb, grad);
    else fb = f_.box(box);
    require_finite_on_cell(f_, fb, q, L);
    // Exact range of F over the cell: hull of its corner values (Fact N).
    std::vector<Dyadic> corners(std::size_t{1} << d);
    GridPoint corner(d);
    Dyadic Fmin, Fmax;
    for (std::uint64_t mask = 0; mask < corners.size(); ++mask) {
      for (std::size_t k = 0; k < d; ++k) corner[k] = q[k] + ((mask >> k) & 1);
      corners[mask] = F_.at(corner, L);
      if (mask == 0 || compare(corners[mask], Fmin) < 0) Fmin = corners[mask];
      if (mask == 0 || compare(corners[mask], Fmax) > 0) Fmax = corners[mask];
    }
    Interval e = fb - make_interval(lo(Fmin.to_interval()), hi(Fmax.to_interval()));
    CellValue out{lo(e), hi(e), false, Real(0), Real(0)};
    // The value at the centre: a point enclosure, and with the gradients the
    // centred (mean value) enclosure, intersected with the plain one.
    Interval fp = f_.box(pt);
    require_finite_on_cell(f_, fp, q, L);  // undefined at the centre: not a continuous target
    if (hi(fp) - lo(fp) > point_width_max_) require_accurate_point(fp, "the centre of " + describe_cell(q, L), point_width_max_);
    {
      Interval ep = fp - F_.at(centre, L + 1).to_interval();
      out.point_ok = true;
      out.plo = lo(ep);
      out.phi = hi(ep);
      if (!grad.empty() && std::all_of(grad.begin(), grad.end(), [](const Interval& g) { return is_finite(g); })) {
        e = intersect_enclosures(e, centred_enclosure(ep, grad, cell_gradient_hull(corners, L, static_cast<int>(d)), L));
        out.elo = lo(e);
        out.ehi = hi(e);
      }
    }
    return out;
  }
  const Target& f_;
  const NodalF& F_;
  Real point_width_max_;
  std::vector<std::int64_t> key_;
  std::unordered_map<std::vector<std::int64_t>, CellValue, KeyHash> map_;
};

class PatchSearch {
 public:
  PatchSearch(CellCache& cache, int m, std::span<const std::int64_t> node, const ContractionOptions& opt)
      : cache_(cache), m_(m), node_(node), opt_(opt), d_(node.size()) {
    out_.min_hi = Real(std::numeric_limits<double>::infinity());
    out_.max_lo = Real(-std::numeric_limits<double>::infinity());
    out_.norm_lo = Real(0);
  }

  PatchBounds run() {
    std::vector<Cell> cells;
    const int s0 = opt_.start_depth;
    const std::int64_t top = std::int64_t{1} << (m_ + s0);
    // All level-(m+s0) cells of the box z + [-h, h]^d inside the cube.
    GridPoint lo_c(d_), hi_c(d_);
    for (std::size_t i = 0; i < d_; ++i) {
      lo_c[i] = std::max<std::int64_t>(0, (node_[i] - 1) << s0);
      hi_c[i] = std::min<std::int64_t>(top - 1, ((node_[i] + 1) << s0) - 1);
    }
    for_each_point(lo_c, hi_c, [&](const GridPoint& q) { add_cell(q, s0, cells); });
    for (int depth = s0; depth < opt_.max_depth; ++depth) {
      if (good_enough(cells)) break;
      std::vector<Cell> next;
      bool split = false;
      // When e certainly changes sign on the patch, a_z = 0 and only sup |e|
      // matters: refine only cells that may exceed the largest |e| seen.
      const bool mixed = out_.min_hi < 0 && out_.max_lo > 0;
      const Real sup_seen = out_.max_lo > -out_.min_hi ? out_.max_lo : Real(-out_.min_hi);
      for (Cell& c : cells) {
        bool need_min = mixed ? c.elo < -sup_seen - opt_.tol : c.elo < out_.min_hi - opt_.tol;
        bool need_max = mixed ? c.ehi > sup_seen + opt_.tol : c.ehi > out_.max_lo + opt_.tol;
        if (need_min || need_max) {
          split = true;
          GridPoint child(d_);
          for (std::uint64_t mask = 0; mask < (std::uint64_t{1} << d_); ++mask) {
            for (std::size_t k = 0; k < d_; ++k) child[k] = 2 * c.q[k] + ((mask >> k) & 1);
            add_cell(child, c.s + 1, next);
          }
        } else {
          next.push_back(std::move(c));
        }
      }
      cells = std::move(next);
      if (!split) break;
    }
    collect(cells);
    return out_;
  }

 private:
  void collect(const std::vector<Cell>& cells) {
    out_.min_lo = Real(std::numeric_limits<double>::infinity());
    out_.max_hi = Real(-std::numeric_limits<double>::infinity());
    for (const Cell& c : cells) {
      if (c.elo < out_.min_lo) out_.min_lo = c.elo;
      if (c.ehi > out_.max_hi) out_.max_hi = c.ehi;
    }
  }
  // Refinement stops early once the patch's certified B_z meets the goal:
  // sharper bounds would only enlarge a_z, not decide the level.
  bool good_enough(const std::vector<Cell>& cells) {
    if (!(opt_.goal > 0)) return false;
    collect(cells);
    return patch_bound(out_, coefficient(out_, opt_.theta, opt_.bits)) <= opt_.goal;
  }

  void add_cell(const GridPoint& q, int s, std::vector<Cell>& cells) {
    if (patch_gauge_lower(m_, node_, q, s) >= (std::int64_t{1} << s)) return;  // misses the open support
    const CellValue& v = cache_.get(q, m_ + s, out_.cells);
    // The point value at the lower corner guides refinement and bounds ||e|| below.
    if (v.point_ok) {
      if (v.phi < out_.min_hi) out_.min_hi = v.phi;
      if (v.plo > out_.max_lo) out_.max_lo = v.plo;
      Real a = v.plo > 0 ? v.plo : (v.phi < 0 ? Real(-v.phi) : Real(0));
      if (a > out_.norm_lo) out_.norm_lo = a;
    }
    cells.push_back(Cell{q, s, v.elo, v.ehi});
  }

  CellCache& cache_;
  int m_;
  std::span<const std::int64_t> node_;
  const ContractionOptions& opt_;
  std::size_t d_;
  PatchBounds out_;
};

}  // namespace

PatchBounds patch_bounds(const Target& f, const Approximant& F, int m, std::span<const std::int64_t> node,
                         const ContractionOptions& opt) {
  NodalF nf(F, nullptr);
  CellCache cache(f, nf);
  return PatchSearch(cache, m, node, opt).run();
}

Dyadic coefficient(const PatchBounds& pb, const Dyadic& theta, unsigned bits) {
  const Real* base = nullptr;
  if (pb.min_lo > 0) base = &pb.min_lo;
  else if (pb.max_hi < 0) base = &pb.max_hi;
  if (!base) return Dyadic();
  Real t = theta.to_real(), prod;
  mpfr_mul(prod.backend().data(), t.backend().data(), base->backend().data(), MPFR_RNDZ);
  return Dyadic::toward_zero(prod, bits);
}

Real patch_bound(const PatchBounds& pb, const Dyadic& a) {
  Real sup = pb.max_hi > -pb.min_lo ? pb.max_hi : Real(-pb.min_lo);
  const Dyadic absa_exact = a.abs();
  Real absa, r;
  mpfr_set_z_2exp(absa.backend().data(), absa_exact.mantissa().backend().data(), absa_exact.exponent(), MPFR_RNDD);
  mpfr_sub(r.backend().data(), sup.backend().data(), absa.backend().data(), MPFR_RNDU);
  return r;
}

std::uint64_t sweep_chunk_nodes(int m, int d) {
  const std::uint64_t slab = node_count(m, d) / node_count(m, 1);  // nodes with one first coordinate
  // Neighbouring rows share cells; chunks of several rows keep the cache's
  // reuse across rows (d >= 2); in 1-D only one cell is shared per boundary.
  const std::uint64_t rows = std::max<std::uint64_t>(d >= 2 ? 8 : 1, (256 + slab - 1) / slab);
  return rows * slab;
}

Sweep sweep(const Target& f, const Approximant& F, int m, const ContractionOptions& opt, const Real& abort_above) {
  const int d = f.dim;
  const std::uint64_t n = node_count(m, d);
  const std::uint64_t chunk = sweep_chunk_nodes(m, d);
  const std::size_t chunks = static_cast<std::size_t>((n + chunk - 1) / chunk);
  std::optional<NodalValues> table;
  if (F.finest_level() <= m) table.emplace(F, m);
  NodalF nf(F, table ? &*table : nullptr);
  std::vector<Sweep> part(chunks);
  std::atomic<std::size_t> first_abort{chunks};
  std::atomic<bool> interrupted{false}, timed_out{false};
  const bool has_deadline = opt.deadline != std::chrono::steady_clock::time_point::max();
  parallel_for(chunks, opt.threads, [&](std::size_t c) {
    // Chunks after an aborted one are not needed; every chunk before it runs.
    if (c > first_abort.load() || interrupted.load()) return;
    Sweep& out = part[c];
    out.bound = Real(-1);
    out.norm_lo = Real(0);
    out.norm_hi = Real(0);
    CellCache cache(f, nf, opt.point_width_max);
    const std::uint64_t end = std::min<std::uint64_t>(n, (c + 1) * chunk);
    for (std::uint64_t key = c * chunk; key < end; ++key) {
      if ((opt.interrupt && opt.interrupt->load(std::memory_order_relaxed)) || interrupted.load(std::memory_order_relaxed)) {
        interrupted = true;
        return;
      }
      if (has_deadline && std::chrono::steady_clock::now() >= opt.deadline) {
        timed_out = true;
        interrupted = true;
        return;
      }
      GridPoint z = node_from_key(m, d, key);
      PatchBounds pb = PatchSearch(cache, m, z, opt).run();
      out.cells += pb.cells;
      ++out.patches;
      Dyadic a = coefficient(pb, opt.theta, opt.bits);
      Real B = patch_bound(pb, a);
      Real sup = pb.max_hi > -pb.min_lo ? pb.max_hi : Real(-pb.min_lo);
      if (sup > out.norm_hi) out.norm_hi = sup;
      if (pb.norm_lo > out.norm_lo) out.norm_lo = pb.norm_lo;
      if (B > out.bound) {
        out.bound = B;
        out.worst = z;
      }
      if (!a.is_zero()) out.coefficients.emplace_back(std::move(z), std::move(a));
      if (B > abort_above) {
        out.complete = false;
        for (std::size_t seen = first_abort.load(); c < seen && !first_abort.compare_exchange_weak(seen, c);) {
        }
        return;
      }
    }
  });
  Sweep out;
  out.bound = Real(-1);
  out.norm_lo = Real(0);
  out.norm_hi = Real(0);
  if (interrupted) {
    out.complete = false;
    out.interrupted = true;
    out.timed_out = timed_out;
    return out;
  }
  for (std::size_t c = 0; c < chunks; ++c) {
    Sweep& p = part[c];
    out.cells += p.cells;
    out.patches += p.patches;
    if (p.norm_hi > out.norm_hi) out.norm_hi = p.norm_hi;
    if (p.norm_lo > out.norm_lo) out.norm_lo = p.norm_lo;
    if (p.bound > out.bound) {
      out.bound = p.bound;
      out.worst = p.worst;
    }
    for (auto& zc : p.coefficients) out.coefficients.push_back(std::move(zc));
    if (!p.complete) {
      out.complete = false;
      break;
    }
  }
  return out;
}

}  // namespace mgdl
