// Catalogue targets that are not finite expressions: infinite sums with a
// rigorous tail bound (Weierstrass, Takagi), the Cantor function (from
// ternary digits, exact), and x sin(1/x) extended by 0. Each evaluates a point
// (Real) and encloses a box (Interval); the enclosure contains the exact value
// of the infinite sum, tail included.
#pragma once

#include "numbers/numbers.hpp"

#include <span>

namespace mgdl {

// W(x) = sum_{n>=0} a^n cos(b^n pi x), a = 1/2, b = 3 (nowhere differentiable).
struct Weierstrass {
  Real operator()(std::span<const Real> x) const;
  Interval operator()(std::span<const Interval> x) const;
};

// T(x) = sum_{n>=0} 2^-n dist(2^n x, Z) (the Takagi function), times the same
// in each further coordinate (dim 2: T(x1) T(x2)).
struct Takagi {
  Real operator()(std::span<const Real> x) const;
  Interval operator()(std::span<const Interval> x) const;
};

// The Cantor function (devil's staircase): monotone, constant off the Cantor set.
struct Cantor {
  Real operator()(std::span<const Real> x) const;
  Interval operator()(std::span<const Interval> x) const;
};

// x sin(1/x) for x > 0, and 0 at x = 0: continuous, not of bounded variation.
struct XSinInvX {
  Real operator()(std::span<const Real> x) const;
  Interval operator()(std::span<const Interval> x) const;
};

// Terms used for a box of width w: every term that is informative at this
// width, plus a margin; the rest goes into the tail bound.
int series_terms(const Real& width, double log2_rate, int cap);

}  // namespace mgdl
