// The enclosure lemmas (see enclose.hpp): Fact N, the centred form, Fact I,
// and their combination on a cell.
#include "kernel/enclose.hpp"

#include "kernel/rounding.hpp"

#include <algorithm>

namespace mgdl {

Interval corner_hull(const std::vector<Dyadic>& corners) {
  Dyadic mn = corners.at(0), mx = corners.at(0);
  for (const auto& v : corners) {
    if (compare(v, mn) < 0) mn = v;
    if (compare(v, mx) > 0) mx = v;
  }
  return make_interval(lo(mn.to_interval()), hi(mx.to_interval()));
}

std::vector<Interval> cell_gradient_hull(const std::vector<Dyadic>& corners, int L, int d) {
  std::vector<Interval> g(static_cast<std::size_t>(d));
  for (int i = 0; i < d; ++i) {
    const std::size_t bit = std::size_t{1} << i;
    Dyadic mn, mx;
    bool first = true;
    for (std::size_t k = 0; k < corners.size(); ++k) {
      if (k & bit) continue;
      Dyadic diff = corners[k | bit] - corners[k];
      if (first || compare(diff, mn) < 0) mn = diff;
      if (first || compare(diff, mx) > 0) mx = diff;
      first = false;
    }
    g[static_cast<std::size_t>(i)] = make_interval(lo(mn.times_pow2(L).to_interval()), hi(mx.times_pow2(L).to_interval()));
  }
  return g;
}

Interval centred_enclosure(const Interval& r_centre, const std::vector<Interval>& grad_f,
                           const std::vector<Interval>& grad_F, int L) {
  Interval r = r_centre;
  const Interval half = dyadic_interval(-1, 1, L + 1);  // x_i - c_i over the cell
  for (std::size_t i = 0; i < grad_f.size(); ++i) r += (grad_f[i] - grad_F[i]) * half;
  return r;
}

std::uint32_t zero_faces(const Target& f, std::span<const std::int64_t> q, int L) {
  const CellPoints cp = cell_points(q, L);
  std::uint32_t out = 0;
  for (std::size_t i = 0; i < q.size(); ++i)
    for (int side = 0; side < 2; ++side) {
      std::vector<Interval> face = cp.box;
      const std::int64_t c = q[i] + side;
      face[i] = dyadic_interval(c, c, L);
      const Interval v = f.box(face);
      if (lo(v) == 0 && hi(v) == 0) out |= 1u << (2 * i + static_cast<std::size_t>(side));
    }
  return out;
}

Interval anchored_enclosure(const Interval& df_i, const Interval& dH_i, int L, int face) {
  const Interval t = face % 2 == 0 ? dyadic_interval(0, 1, L) : dyadic_interval(-1, 0, L);  // x_i - c over the cell
  return t * (df_i - dH_i);
}

Interval anchored_on_faces(Interval r, std::uint32_t faces, const std::vector<Interval>& grad_f,
                           const std::vector<Interval>& grad_H, int L) {
  for (int j = 0; j < 32 && (faces >> j); ++j)
    if (faces & (1u << j)) r = intersect_enclosures(r, anchored_enclosure(grad_f[static_cast<std::size_t>(j / 2)], grad_H[static_cast<std::size_t>(j / 2)], L, j));
  return r;
}

std::uint32_t zero_corner_faces(const std::vector<Dyadic>& corners, int d) {
  std::uint32_t out = (d >= 16 ? 0u : (1u << (2 * d)) - 1);
  for (std::size_t k = 0; k < corners.size(); ++k) {
    if (corners[k].is_zero()) continue;
    for (int i = 0; i < d; ++i) out &= ~(1u << (2 * i + static_cast<int>((k >> i) & 1)));  // corner k lies on face 2i + bit i
  }
  return out;
}

void interpolation_defects(const std::vector<Interval>& H, int d, int m, Real& below, Real& above) {
  below = above = infinity();
  const std::size_t n = static_cast<std::size_t>(d);
  if (H.size() != n * n || !std::all_of(H.begin(), H.end(), [](const Interval& x) { return is_finite(x); })) return;
  Real lmax(0), lmin_neg(0);  // upper bounds of lambda_max(H) and lambda_max(-H), at least 0
  for (std::size_t i = 0; i < n; ++i) {
    Real off(0);  // Gershgorin radius of row i
    for (std::size_t j = 0; j < n; ++j)
      if (j != i) off = add_up(off, std::max(abs(lo(H[i * n + j])), abs(hi(H[i * n + j]))));
    Real up = add_up(hi(H[i * n + i]), off), dn = add_up(Real(-lo(H[i * n + i])), off);
    if (up > lmax) lmax = up;
    if (dn > lmin_neg) lmin_neg = dn;
  }
  // (R^2 / 2) lambda with R^2 = d h^2 / 4 (every vertex is at distance R from the cell's centre): d 2^(-2m) / 8.
  Real scale(d);
  mpfr_mul_2si(scale.backend().data(), scale.backend().data(), -2 * m - 3, MPFR_RNDU);
  below = mul_up(lmax, scale);
  above = mul_up(lmin_neg, scale);
}

Interval interpolation_enclosure(const std::vector<Interval>& e_corners, const Real& below, const Real& above) {
  Real l = infinity(), h = -infinity();
  for (const auto& v : e_corners) {
    if (lo(v) < l) l = lo(v);
    if (hi(v) > h) h = hi(v);
  }
  return make_interval(sub_down(l, below), add_up(h, above));
}

void require_enclosure(const Interval& v, const char* what) {
  const Real l = lo(v), h = hi(v);
  if (mpfr_nan_p(l.backend().data()) || mpfr_nan_p(h.backend().data()) || l > h)
    throw InternalError(std::string("self-check failed: empty or undefined enclosure of ") + what);
}

Interval intersect_enclosures(const Interval& a, const Interval& b) {
  if (!is_finite(b)) return a;
  if (!is_finite(a)) return b;
  Real l = lo(a) > lo(b) ? lo(a) : lo(b);
  Real h = hi(a) < hi(b) ? hi(a) : hi(b);
  if (l > h) throw InternalError("self-check failed: two enclosures of one quantity are disjoint");
  return make_interval(l, h);
}

void require_point_in_cell(const Interval& point, const Interval& cell, const char* what) {
  if (!is_finite(point) || !is_finite(cell)) return;
  if (hi(point) < lo(cell) || hi(cell) < lo(point))
    throw InternalError(std::string("self-check failed: a point value of ") + what + " lies outside its cell's enclosure");
}

void require_consistent_norms(const Real& inf_lo, const Real& inf_hi, const Real& l1_lo, const Real& l1_hi, const Real& l2_lo,
                              const Real& l2_hi, const std::string& what) {
  auto ok = [](const Real& l, const Real& h) { return !isnan(l) && !isnan(h) && l >= 0 && l <= h; };
  if (!ok(inf_lo, inf_hi) || !ok(l1_lo, l1_hi) || !ok(l2_lo, l2_hi) || l1_lo > l2_hi || l2_lo > inf_hi || l1_lo > inf_hi)
    throw InternalError("self-check failed: inconsistent norm enclosures of " + what);
}

void require_decrease_fits(const Real& sum, const Real& before_hi, const Real& after_lo, int p, const std::string& what) {
  const Real room = p == 1 ? sub_up(before_hi, after_lo) : sub_up(mul_up(before_hi, before_hi), mul_down(after_lo, after_lo));
  if (sum > room)
    throw InternalError("self-check failed: the certified L^" + std::to_string(p) + " decreases of " + what +
                        " exceed what the norm enclosures allow");
}

void require_finite_on_cell(const Target& f, const Interval& v, std::span<const std::int64_t> q, int L) {
  if (is_finite(v)) return;
  GridPoint cur(q.begin(), q.end()), child(q.size());
  int level = L;
  for (int step = 0; step < 24 && level < 60; ++step) {  // the first child still not finite
    bool found = false;
    for (std::uint64_t mask = 0; mask < (std::uint64_t{1} << q.size()) && !found; ++mask) {
      for (std::size_t i = 0; i < q.size(); ++i) child[i] = 2 * cur[i] + static_cast<std::int64_t>((mask >> i) & 1);
      found = !is_finite(f.box(cell_points(child, level + 1).box));
    }
    if (!found) break;
    cur = child;
    ++level;
  }
  throw InputError("target is not finite or not defined on " + describe_cell(cur, level) + " (targets must be continuous on [0,1]^" +
                   std::to_string(q.size()) + ")");
}

Interval target_at_point(const Target& f, std::span<const std::int64_t> p, int L) {
  std::vector<Interval> pt(p.size());
  for (std::size_t i = 0; i < p.size(); ++i) pt[i] = dyadic_interval(p[i], p[i], L);
  return f.box(pt);
}

bool target_on_cell_reads_corners(const Target& f, bool derivatives) { return derivatives && static_cast<bool>(f.hessian); }

TargetCell target_on_cell(const Target& f, std::span<const std::int64_t> q, int L, bool derivatives) {
  return target_on_cell(f, q, L, derivatives, [&](std::span<const std::int64_t> p, int level) { return target_at_point(f, p, level); });
}

TargetCell target_on_cell(const Target& f, std::span<const std::int64_t> q, int L, bool derivatives, const CornerValues& corner_value) {
  TargetCell t;
  const CellPoints cp = cell_points(q, L);
  if (!derivatives || (!f.hessian && !f.gradient)) {
    t.box = f.box(cp.box);
    require_finite_on_cell(f, t.box, q, L);
    return t;
  }
  if (f.hessian) {
    std::vector<Interval> H;
    f.hessian(cp.box, t.box, t.grad, H);
    interpolation_defects(H, static_cast<int>(q.size()), L, t.below, t.above);
    if (t.below < infinity() && t.above < infinity()) {
      GridPoint corner(q.size());
      for (std::uint64_t mask = 0; mask < (std::uint64_t{1} << q.size()); ++mask) {
        for (std::size_t i = 0; i < q.size(); ++i) corner[i] = q[i] + static_cast<std::int64_t>((mask >> i) & 1);
        t.corner.push_back(corner_value(corner, L));
      }
      t.has_interp = std::all_of(t.corner.begin(), t.corner.end(), [](const Interval& v) { return is_finite(v); });
      if (t.has_interp) t.hess = std::move(H);
    }
  } else {
    f.gradient(cp.box, t.box, t.grad);
  }
  require_finite_on_cell(f, t.box, q, L);
  t.centre = f.box(cp.centre_box);
  t.has_centred = is_finite(t.centre) && std::all_of(t.grad.begin(), t.grad.end(), [](const Interval& g) { return is_finite(g); });
  if (t.has_centred && lo(t.box) <= 0 && hi(t.box) >= 0) t.zero_faces = zero_faces(f, q, L);  // f = 0 on a face needs 0 in f(Q)
  return t;
}

Interval enclose_residual(const TargetCell& t, int L, const std::vector<Dyadic>& corners, const Dyadic& centre,
                          const QInterval& other) {
  const Interval g = make_interval(lo(enclose(other.lo)), hi(enclose(other.hi)));
  Interval r = t.box - g - corner_hull(corners);  // Fact N
  if (t.has_interp) {
    std::vector<Interval> e(corners.size());
    for (std::size_t k = 0; k < corners.size(); ++k) e[k] = t.corner[k] - corners[k].to_interval();
    r = intersect_enclosures(r, interpolation_enclosure(e, t.below, t.above) - g);  // Fact I on f - H
  }
  if (t.has_centred) {
    if (other.lo != 0 || other.hi != 0) throw InternalError("the centred form needs the gradient of every grade");
    const int d = static_cast<int>(t.grad.size());
    const std::vector<Interval> gH = cell_gradient_hull(corners, L, d);
    r = intersect_enclosures(r, centred_enclosure(t.centre - centre.to_interval(), t.grad, gH, L));
    r = anchored_on_faces(r, t.zero_faces & zero_corner_faces(corners, d), t.grad, gH, L);  // r = f - H = 0 on these faces
  }
  require_enclosure(r, "the residual on a cell");
  return r;
}

AbsBound abs_bound(const Interval& r) {
  const Real l = lo(r), h = hi(r);
  return AbsBound{l > 0 ? l : (h < 0 ? Real(-h) : Real(0)), h > -l ? h : Real(-l)};
}

Rational hat_norm_pp(int d, int m, std::span<const std::int64_t> node, const Rational& p) {
  if (p < 1) throw InternalError("hat_norm_pp needs p >= 1");
  require_valid_node(m, node, d);
  // (number of Kuhn simplices of the cube at z) * h^d / prod_{i=1..d} (p + i).
  const std::int64_t top = std::int64_t{1} << m;
  Integer simplices = 0;
  for (std::uint64_t v = 0; v < (std::uint64_t{1} << d); ++v) {
    bool inside = true;
    int k = 0;
    for (int i = 0; i < d; ++i) {
      int bit = static_cast<int>((v >> i) & 1);
      std::int64_t c = node[static_cast<std::size_t>(i)] - bit;  // cell lower corner
      inside = inside && c >= 0 && c + 1 <= top;
      k += bit;
    }
    if (!inside) continue;
    Integer term = 1;  // Kuhn simplices of the cell at the corner z: k! (d - k)!
    for (int i = 2; i <= k; ++i) term *= i;
    for (int i = 2; i <= d - k; ++i) term *= i;
    simplices += term;
  }
  Rational r(simplices, Integer(1) << (m * d));
  for (int i = 1; i <= d; ++i) r /= (p + i);
  return r;
}

}  // namespace mgdl
