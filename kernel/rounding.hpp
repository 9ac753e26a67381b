// Directed rounding, in one place. Every helper names the direction its
// result is rounded in: a lower bound is only ever computed with *_down, an
// upper bound with *_up, and an exact comparison with a rational never rounds.
// The checker's verdicts and printed bounds rest on these (docs/theory.md 7).
#pragma once

#include "numbers/numbers.hpp"

#include <string>

namespace mgdl {

Real infinity();  // +inf

// Guarantee: add_down(a, b) <= a + b <= add_up(a, b), and so on; exact when
// the result is representable at the working precision.
Real add_up(const Real& a, const Real& b);
Real add_down(const Real& a, const Real& b);
Real sub_up(const Real& a, const Real& b);
Real sub_down(const Real& a, const Real& b);
Real mul_up(const Real& a, const Real& b);
Real mul_down(const Real& a, const Real& b);
Real div_up(const Real& a, const Real& b);
Real div_down(const Real& a, const Real& b);
Real sqrt_up(const Real& a);
Real sqrt_down(const Real& a);

// Guarantee: down(q) <= q <= up(q), the nearest such values.
Real down(const Rational& q);
Real up(const Rational& q);

// The exact sign of x - q (x must not be NaN): no rounding anywhere.
int cmp(const Real& x, const Rational& q);
inline bool le(const Real& x, const Rational& q) { return cmp(x, q) <= 0; }
inline bool gt(const Real& x, const Rational& q) { return cmp(x, q) > 0; }

// Guarantee: 0 <= pow_down(a, p) <= |a|^p for rational p >= 1, in time
// independent of the size of p (MPFR's exponent range; an underflow gives 0).
Real pow_down(const Rational& a, const Rational& p);

// Decimal text of a bound with `digits` significant digits, rounded so that
// the printed number is still a bound: decimal_down(x) <= x <= decimal_up(x)
// as decimals. "inf" / "-inf" for infinities, "nan" for NaN.
std::string decimal_down(const Real& x, int digits = 6);
std::string decimal_up(const Real& x, int digits = 6);

}  // namespace mgdl
