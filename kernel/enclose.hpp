// The lemmas every cell enclosure rests on (docs/theory.md 3, 7 and 8), and
// the one function that combines them into an enclosure of the residual
// f - H - G on a dyadic cell. Each function states its guarantee; the tests
// in tests/test_kernel.cpp check exactly that guarantee against references.
#pragma once

#include "kernel/grid.hpp"
#include "kernel/realise.hpp"
#include "kernel/rounding.hpp"
#include "targets/target.hpp"

#include <functional>
#include <vector>

namespace mgdl {

// Fact N. Guarantee: for H affine on each Kuhn simplex of a cell, with the
// given values at the cell's 2^d corners, H(cell) = [min, max] of the corner
// values; the result contains it (exactly, or outward when the precision is
// too small for a corner value).
Interval corner_hull(const std::vector<Dyadic>& corners);

// Guarantee: for H affine on each Kuhn simplex of the level-L cell with the
// given corner values (corner k = q + bits of k), the gradient of H on every
// simplex lies in the result (per coordinate i, the hull of the edge
// differences in direction i, times 2^L).
std::vector<Interval> cell_gradient_hull(const std::vector<Dyadic>& corners, int L, int d);

// The centred (mean value) form. Guarantee: if r(c) is in r_centre, c is the
// centre of a level-L cell, and the (Clarke) gradients of f and F on the
// cell lie in grad_f and grad_F, then r = f - F on the cell lies in
// r_centre + sum_i (grad_f_i - grad_F_i) [-2^-(L+1), 2^-(L+1)].
Interval centred_enclosure(const Interval& r_centre, const std::vector<Interval>& grad_f,
                           const std::vector<Interval>& grad_F, int L);

// Fact Z (zero faces). Face 2i of the level-L cell q is its face x_i =
// q_i 2^-L, face 2i + 1 the face x_i = (q_i + 1) 2^-L. Guarantee: bit j of
// the result is set only if f(x) = 0 at every point x of face j: f's
// enclosure on that face (a box flat in coordinate i) is exactly [0, 0].
std::uint32_t zero_faces(const Target& f, std::span<const std::int64_t> q, int L);

// Fact Z (the anchored form). Guarantee: if r = f - H is 0 on face j = 2i +
// side of a level-L cell and the (Clarke) partial derivatives d_i f and d_i H
// on the cell lie in df_i and dH_i, then r on the cell lies in
// (x_i - c_j) (df_i - dH_i) with x_i - c_j in [0, 2^-L] (side 0) or
// [-2^-L, 0] (side 1): the mean value theorem on the segment from x to the
// face, which stays in the cell. The result always contains 0.
Interval anchored_enclosure(const Interval& df_i, const Interval& dH_i, int L, int face);

// Fact Z on several faces. Guarantee: if r lies in `r` on a level-L cell and
// r = f - H is 0 on every face j with bit j of `faces` set, then r lies in the
// intersection of `r` with anchored_enclosure(grad_f[i], grad_H[i], L, j) for
// each such face (i = j / 2).
Interval anchored_on_faces(Interval r, std::uint32_t faces, const std::vector<Interval>& grad_f,
                           const std::vector<Interval>& grad_H, int L);

// Faces of a cell on which H (affine on each Kuhn simplex, corner values
// given) is 0: bit j set when every corner on face j is exactly 0 (then H is
// 0 on the whole face, Fact N on the face's simplices).
std::uint32_t zero_corner_faces(const std::vector<Dyadic>& corners, int d);

// Fact I. Guarantee: if H (d x d, row-major) encloses every Hessian of a C^2
// function g on a level-m Kuhn simplex S, then on S
//   I_S g - g <= below  and  g - I_S g <= above,
// with below = (d 2^-2m / 8) max(0, lambda_max(H)) and above the same for -H,
// lambda_max bounded by Gershgorin's theorem, both rounded up; +inf when H is
// not finite (g not known to be C^2 on S).
void interpolation_defects(const std::vector<Interval>& H, int d, int m, Real& below, Real& above);

// Fact I applied. Guarantee: if e - I_S e lies in [-below, above] on every
// Kuhn simplex S of a cell and e at the cell's corners lies in e_corners,
// then e on the cell lies in [min lo(e_corners) - below, max hi + above].
Interval interpolation_enclosure(const std::vector<Interval>& e_corners, const Real& below, const Real& above);

// The tighter of two enclosures of one quantity. Guarantee: contains that
// quantity when both do. Self-check: disjoint enclosures cannot both be
// right, so they throw InternalError (never a verdict).
Interval intersect_enclosures(const Interval& a, const Interval& b);

// Throws InternalError unless lo(v) <= hi(v) (no NaN): an enclosure that is
// empty or undefined is a defect, never evidence. `what` names it.
void require_enclosure(const Interval& v, const char* what);

// Throws InputError when v (an enclosure of f on the level-L cell q, or at a
// point of it) is not finite: f may be undefined there, and targets must be
// continuous on the cube. The message names the smallest sub-box (up to 24
// bisections) on which f's enclosure is still not finite.
void require_finite_on_cell(const Target& f, const Interval& v, std::span<const std::int64_t> q, int L);

// Self-checks (docs/theory.md 7): each throws InternalError, never a verdict.
// A point value of a function must meet the enclosure of the cell holding
// the point (both finite; otherwise nothing is checked).
void require_point_in_cell(const Interval& point, const Interval& cell, const char* what);
// Norm enclosures of one function on the unit cube: each non-empty and >= 0,
// and compatible with ||r||_1 <= ||r||_2 <= ||r||_inf.
void require_consistent_norms(const Real& inf_lo, const Real& inf_hi, const Real& l1_lo, const Real& l1_hi, const Real& l2_lo,
                              const Real& l2_hi, const std::string& what);
// C4 against the norms, for p = 1 or 2: certified decreases summing (rounded
// down) to `sum` from ||r_j||_p^p to ||r_k||_p^p cannot exceed the largest
// value of ||r_j||_p^p - ||r_k||_p^p that the enclosures ||r_j||_p <= before_hi
// and ||r_k||_p >= after_lo allow (rounded up).
void require_decrease_fits(const Real& sum, const Real& before_hi, const Real& after_lo, int p, const std::string& what);

// What the target contributes to the enclosures on one level-L cell Q,
// computed once per cell. Guarantee: box contains f(Q) and centre contains
// f at Q's centre; when has_centred, grad contains f's gradients on Q; when
// has_interp, corner[k] contains f at corner k and [below, above] are Fact
// I's defects of f on Q's Kuhn simplices.
struct TargetCell {
  Interval box, centre;
  std::vector<Interval> grad, corner;
  std::vector<Interval> hess;  // when has_interp: f's Hessians on Q (d x d, row-major)
  Real below, above;
  bool has_centred = false, has_interp = false;
  std::uint32_t zero_faces = 0;  // when has_centred: faces of Q on which f = 0 (zero_faces())
};
// Throws InputError naming the cell when f is not finite on Q (targets must
// be continuous on the cube). With derivatives = false only box and centre.
TargetCell target_on_cell(const Target& f, std::span<const std::int64_t> q, int L, bool derivatives);
// f's enclosure at the grid point p / 2^L: f on the exact point, as
// target_on_cell evaluates it at a corner.
Interval target_at_point(const Target& f, std::span<const std::int64_t> p, int L);
// The same cell data, taking f at the corners from `corner` (p, L) -> value,
// which must return target_at_point(f, p, L): callers evaluating many
// neighbouring cells compute each shared corner once.
using CornerValues = std::function<Interval(std::span<const std::int64_t>, int)>;
TargetCell target_on_cell(const Target& f, std::span<const std::int64_t> q, int L, bool derivatives, const CornerValues& corner);
// Whether target_on_cell(f, ., ., derivatives) may read f at the corners
// (only when f has a Hessian and derivatives are asked for; it then reads
// them on cells where Fact I's defects are finite).
bool target_on_cell_reads_corners(const Target& f, bool derivatives);

// The residual enclosure. Guarantee: if H is affine on each Kuhn simplex of
// the level-L cell Q with the given corner values (Fact N) and value `centre`
// at Q's centre, and G(Q) lies in `other`, then (f - H - G)(Q) lies in the
// result: the intersection of the natural enclosure, Fact I's (when
// has_interp) and the centred form's (when has_centred; only sound with
// other = 0, which the caller ensures by not asking for derivatives), and
// the anchored form's (Fact Z, on every face in t.zero_faces on which H is 0
// too; also only with other = 0).
Interval enclose_residual(const TargetCell& t, int L, const std::vector<Dyadic>& corners, const Dyadic& centre,
                          const QInterval& other);

// |r| on a cell from an enclosure [l, h] of r there. Guarantee: if
// r(Q) lies in [l, h] then |r|(Q) lies in [alo, ahi] (alo = the distance of
// [l, h] from 0, ahi = max(|l|, |h|)).
struct AbsBound {
  Real lo, hi;
};
AbsBound abs_bound(const Interval& r);

// Norms from a partition of the cube into dyadic cells. Guarantee: if
// |r| lies in [bound.lo, bound.hi] on each cell (level level(c)), and the
// cells partition [0,1]^d, then ||r||_1 lies in [l1_lo, l1_hi] and ||r||_2 in
// [l2_lo, l2_hi] (sums of vol * bound and vol * bound^2, directed rounding).
struct NormBounds {
  Real l1_lo, l1_hi, l2_lo, l2_hi;
};
template <class Cells, class Level, class Bound>
NormBounds norm_bounds(const Cells& cells, int d, Level level, Bound bound);
// The sums themselves, before the square roots: on cells partitioning a part
// P of the cube, int_P |r| in [s1_lo, s1_hi] and int_P r^2 in [s2_lo, s2_hi].
// The sums of disjoint parts add (with add_down / add_up) to the sums of
// their union; norm_bounds is norm_sums over the cube, then sqrt_down/up.
struct NormSums {
  Real s1_lo{0}, s1_hi{0}, s2_lo{0}, s2_hi{0};
};
template <class Cells, class Level, class Bound>
NormSums norm_sums(const Cells& cells, int d, Level level, Bound bound);

// ||phi_{m,z}||_p^p, exactly, for rational p >= 1 and a node of the level-m
// grid: (number of Kuhn simplices of the cube at z) h^d / prod_{i=1..d} (p + i)
// (docs/theory.md, "The norm of a hat").
Rational hat_norm_pp(int d, int m, std::span<const std::int64_t> node, const Rational& p);

template <class Cells, class Level, class Bound>
NormSums norm_sums(const Cells& cells, int d, Level level, Bound bound) {
  NormSums s;
  for (const auto& c : cells) {
    const Real vol = ldexp(Real(1), -level(c) * d);  // exact: a power of two
    const AbsBound& b = bound(c);
    s.s1_lo = add_down(s.s1_lo, mul_down(b.lo, vol));
    s.s1_hi = add_up(s.s1_hi, mul_up(b.hi, vol));
    s.s2_lo = add_down(s.s2_lo, mul_down(mul_down(b.lo, b.lo), vol));
    s.s2_hi = add_up(s.s2_hi, mul_up(mul_up(b.hi, b.hi), vol));
  }
  return s;
}

template <class Cells, class Level, class Bound>
NormBounds norm_bounds(const Cells& cells, int d, Level level, Bound bound) {
  const NormSums s = norm_sums(cells, d, level, bound);
  return NormBounds{s.s1_lo, s.s1_hi, sqrt_down(s.s2_lo), sqrt_up(s.s2_hi)};
}

}  // namespace mgdl
