// The composition ("teeth") construction: grades that use depth. With the
// tooth map T(t) = 2 ReLU(t) - 4 ReLU(t - 1/2) (= 2 min(t, 1 - t) on [0, 1]),
// T_s its s-fold composition and l(x) = x (d = 1) or l(x) = (1 + x1 - x2)/2
// (d >= 2; l maps the cube onto [0, 1]),
//   l (1 - l) = sum_{s >= 1} T_s(l) / 4^s,
// for d >= 2 the product (1 + x1 - x2)(1 - x1 + x2)/4 of two affine functions.
// The kinks l = j 2^-s lie on hyperplanes x1 - x2 = const: faces of the Kuhn
// simplices of fine enough dyadic cells, where the checker resolves them.
// Grade s has one hidden layer of width 2, H_s = (ReLU(T_{s-1}), ReLU(T_{s-1} - 1/2))
// with T_0 = l, read from grade s-1's layer; its readout is T_s / 4^s. F_K is
// the piecewise linear interpolant of l(1 - l) on the grid 2^-K in l, so
// r_K = sum_{s > K} T_s(l) / 4^s lies in [0, r_{K-1}] (the sign-preserving
// form of C2 at every grade) and ||r_K||_inf = 2^(-2K-2) (docs/theory.md 9.4).
#pragma once

#include "kernel/scheme.hpp"

namespace mgdl {

// Grades needed for ||r_K||_inf = 2^(-2K-2) <= eps (eps > 0).
int compose_grades_for(const Rational& eps);

// The scheme of K composed grades in dimension d (1 <= d <= 16, K >= 1), with
// its target expression and params {"construction": "composition", ...}.
// Throws InputError for K or d out of range.
Scheme compose_scheme(int K, int d, const Rational& eps);

}  // namespace mgdl
