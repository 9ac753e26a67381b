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
// the values of I_S f - f at the vertices of S' plus Fact I's defects on the
// sub-cell of S'. +inf when a Hessian enclosure is not finite. k in 1..4.
void subdivided_defects(const Target& f, const GridPoint& q, int m, int k, Real& below, Real& above);

Construction construct_refined(const Target& f, const ScheduleOptions& opt,
                               const std::function<void(const Construction&)>& checkpoint,
                               const Construction* resume = nullptr);

}  // namespace mgdl
