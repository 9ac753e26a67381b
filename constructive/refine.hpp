// The cell-based construction engine: the second-order coefficient rule and
// the uniform and local schedules (docs/theory.md, section 8).
//
// State: a partition of the cube into dyadic cells, each with a certified
// upper bound of |e| for the current residual e (the "bound map"). Bounds stay
// valid as grades are added, by Lemma 1' (|e| never grows anywhere). Level l
// has the target t_l = max(kappa * U_(l-1), eps), U the largest bound; passes at grid
// levels m = m_min, m_min + 1, ... give grades to the corners of the cells
// still above t_l and split those that stay above it, until none is left.
// A grade phi_{m,z} is added only when every level-m cell around z is a cell of
// the map at level exactly m, so every map cell of level j sees only hats of
// levels <= j, on which F is affine on its level-j Kuhn simplices: the exact
// range and interpolation arguments (Facts N and I) apply on every map cell.
#pragma once

#include "constructive/schedule.hpp"

namespace mgdl {

// Called by construct() for every rule and schedule other than first-order
// adaptive (the patch-sweep engine of Theorem A). Dimensions 1..4.
// With `resume` (a state read by resume_state: grades, levels and the bound
// map of the last completed level) the result equals an uninterrupted run's.
// Fact I on sub-simplices (docs/theory.md 8.1). Guarantee: if f is C^2 on the
// level-m cell q (finite Hessian enclosures), then on every level-m Kuhn
// simplex S of q, I_S f - f <= below and f - I_S f <= above. The bounds are
// computed on the level-(m + k) Kuhn sub-simplices S' (each inside one S):
// the largest value of I_S f - f at their vertices plus Fact I's defects for
// level m + k from the cell's Hessian enclosure (4^-k times the cell's own).
// +inf when the Hessian enclosure is not finite. k in 1..4.
void subdivided_defects(const Target& f, const GridPoint& q, int m, int k, Real& below, Real& above);

// Zero-face minorants (docs/theory.md 8.5), for the level-m cell whose box is
// `box` (side h = 2^-m), where f = 0 on every face in `faces` (bit 2i: x_i at
// its lower end, 2i + 1: upper end); grad and H enclose f's gradient and
// Hessian on the box. Each minorant stands for a function q on the cell:
//   - one face P (zero = its bit), k < 0 (Fact Z): q = (dist(x, P) / h) value[0];
//   - one face P, k >= 0 (sloped): q = (dist(x, P) / h) ((1 - t) value[0] + t value[1]),
//     t = (x_k - lower end of the cell in x_k) / h;
//   - two faces P1, P2 in different coordinates, one lower and one upper
//     (Fact Z2, k < 0): q = (dist(x, P1) dist(x, P2) / h^2) value[0].
// Guarantee: sign * f >= q on the cell, and q >= I_S q on every level-m Kuhn
// simplex S of the cell (q is quadratic with second derivative <= 0 along
// every Kuhn edge). So where F is affine on each S and 0 on those faces,
// sign * (f - F) >= I_S(u) with u(v) = q(v) - sign * F(v), which is 0 on the
// faces and value[bit k of v] - sign * F(v) off them.
struct ZeroMinorant {
  int sign;
  std::uint32_t zero;
  int k;
  Real value[2];
};
void zero_minorants(const Target& f, const std::vector<Interval>& box, std::uint32_t faces, const std::vector<Interval>& grad,
                    const std::vector<Interval>& H, int m, std::vector<ZeroMinorant>& out);

Construction construct_refined(const Target& f, const ScheduleOptions& opt,
                               const std::function<void(const Construction&)>& checkpoint,
                               const Construction* resume = nullptr);

}  // namespace mgdl
