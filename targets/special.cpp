// Sound interval extensions of the special catalogue targets (special.hpp).
#include "targets/special.hpp"

#include <algorithm>
#include <cmath>

namespace mgdl {

namespace {
constexpr int kPointTerms = 80;  // a^n <= 2^-80 beyond: far below any tolerance used

Interval symmetric(const Real& t) { return make_interval(Real(-t), t); }
Real width_of(const Interval& x) { return hi(x) - lo(x); }
}  // namespace

int series_terms(const Real& width, double log2_rate, int cap) {
  if (width <= 0) return cap;
  double w = width.convert_to<double>();
  int n = static_cast<int>(std::ceil(-std::log2(w) / log2_rate)) + 12;
  return std::clamp(n, 1, cap);
}

// ---- Weierstrass: tail sum_{n>N} 2^-n = 2^-N.
Real Weierstrass::operator()(std::span<const Real> x) const {
  Real s = 0, a = 1, arg = boost::math::constants::pi<Real>() * x[0];
  for (int n = 0; n <= kPointTerms; ++n) {
    s += a * bmp::cos(arg);
    a /= 2;
    arg *= 3;
  }
  return s;
}
Interval Weierstrass::operator()(std::span<const Interval> x) const {
  Interval pi;
  mpfi_const_pi(pi.backend().data());
  Interval arg = pi * x[0], s(0);
  if (width_of(x[0]) <= 0) {
    // A point: cos(3t) = 4 cos^3 t - 3 cos t, evaluated in intervals (a valid
    // identity, so still an enclosure; widths grow by at most 9 per step while
    // the weights shrink by 2, which 128 bits absorb for these 48 terms).
    constexpr int N = 48;
    Interval c = arg;
    mpfi_cos(c.backend().data(), c.backend().data());
    const Interval unit = make_interval(Real(-1), Real(1));
    for (int n = 0; n <= N; ++n) {
      Interval t = c;
      mpfi_mul_2si(t.backend().data(), t.backend().data(), -n);
      s += t;
      c = (Interval(4) * c * c - Interval(3)) * c;
      mpfi_intersect(c.backend().data(), c.backend().data(), unit.backend().data());
    }
    return s + symmetric(ldexp(Real(1), -N));
  }
  const int N = series_terms(width_of(x[0]), std::log2(3.0), 48);
  for (int n = 0; n <= N; ++n) {
    Interval c = arg;
    mpfi_cos(c.backend().data(), c.backend().data());
    mpfi_mul_2si(c.backend().data(), c.backend().data(), -n);
    s += c;
    arg *= 3;
  }
  return s + symmetric(ldexp(Real(1), -N));  // |sum_{n>N} 2^-n cos(.)| <= 2^-N
}

// ---- Takagi: dist(y, Z) over an interval, exactly (rounded outward).
namespace {
Interval dist_to_Z(const Interval& y) {
  Real l = lo(y), h = hi(y);
  if (h - l >= 1) return make_interval(Real(0), Real(0.5));
  Real k = floor(l);
  l -= k;  // exact: l in [0, 1)
  h -= k;  // h in [l, 2)
  auto tent = [](const Real& t) {  // distance to the nearest integer, t in [0, 2]
    Real a = t - floor(t);
    return a < 0.5 ? a : Real(1 - a);
  };
  Real tl = tent(l), th = tent(h);
  Real mn = tl < th ? tl : th, mx = tl < th ? th : tl;
  if (h >= 1) mn = 0;                                     // contains an integer
  if ((l <= 0.5 && h >= 0.5) || (l <= 1.5 && h >= 1.5)) mx = 0.5;  // contains a half-integer
  Interval r = make_interval(mn, mx);
  // The shifts and the tent are exact on dyadic endpoints; widen by one ulp against rounding.
  Real ulp = ldexp(Real(1), -static_cast<int>(precision_bits()) + 2);
  return make_interval(Real(lo(r) - ulp > 0 ? Real(lo(r) - ulp) : Real(0)), Real(hi(r) + ulp));
}
Real takagi1(const Real& x) {
  Real s = 0, y = x;
  for (int n = 0; n <= kPointTerms; ++n) {
    Real f = y - floor(y);
    s += ldexp(f < 0.5 ? f : Real(1 - f), -n);
    y *= 2;
  }
  return s;
}
Interval takagi1(const Interval& x) {
  const int N = series_terms(width_of(x), 1.0, kPointTerms);
  Interval s(0), y = x;
  for (int n = 0; n <= N; ++n) {
    Interval t = dist_to_Z(y);
    mpfi_mul_2si(t.backend().data(), t.backend().data(), -n);
    s += t;
    mpfi_mul_2si(y.backend().data(), y.backend().data(), 1);
  }
  // sum_{n>N} 2^-n dist(.) lies in [0, 2^-N / 2].
  return s + make_interval(Real(0), ldexp(Real(1), -N - 1));
}
}  // namespace

Real Takagi::operator()(std::span<const Real> x) const {
  Real p = 1;
  for (const auto& v : x) p *= takagi1(v);
  return p;
}
Interval Takagi::operator()(std::span<const Interval> x) const {
  Interval p(1);
  for (const auto& v : x) p *= takagi1(v);
  return p;
}

// ---- Cantor: digits of an exact rational in base 3.
namespace {
// C(q) enclosed: the first `digits` ternary digits fix C up to [0, 2^-digits].
void cantor_bounds(Rational q, int digits, Rational& lo_v, Rational& hi_v) {
  if (q <= 0) {
    lo_v = hi_v = 0;
    return;
  }
  if (q >= 1) {
    lo_v = hi_v = 1;
    return;
  }
  Rational s = 0, scale(1, 2);
  for (int n = 0; n < digits; ++n) {
    q *= 3;
    Integer dgt = bmp::numerator(q) / bmp::denominator(q);  // floor, q >= 0
    q -= Rational(dgt);
    if (dgt == 1) {  // x in the middle third: C is constant there (q > 0), or x is its left end
      s += scale;
      lo_v = hi_v = s;
      return;
    }
    if (dgt == 2) s += scale;
    if (q == 0) {
      lo_v = hi_v = s;
      return;
    }
    scale /= 2;
  }
  lo_v = s;
  hi_v = s + scale * 2;
}
Rational to_q(const Real& r) {
  Rational q;
  mpfr_get_q(q.backend().data(), r.backend().data());
  return q;
}
}  // namespace

Real Cantor::operator()(std::span<const Real> x) const {
  Rational l, h;
  cantor_bounds(to_q(x[0]), kPointTerms, l, h);
  return nearest((l + h) / 2);
}
Interval Cantor::operator()(std::span<const Interval> x) const {
  // C is nondecreasing: C([a, b]) lies in [C(a), C(b)].
  Rational l1, h1, l2, h2;
  cantor_bounds(to_q(lo(x[0])), kPointTerms, l1, h1);
  cantor_bounds(to_q(hi(x[0])), kPointTerms, l2, h2);
  return make_interval(lo(enclose(l1)), hi(enclose(h2)));
}

// ---- x sin(1/x), 0 at 0: |f(x)| <= |x|.
Real XSinInvX::operator()(std::span<const Real> x) const {
  if (x[0].is_zero()) return Real(0);
  return x[0] * bmp::sin(1 / x[0]);
}
Interval XSinInvX::operator()(std::span<const Interval> x) const {
  const Interval& v = x[0];
  Real l = lo(v), h = hi(v);
  Real m = bmp::abs(l) > bmp::abs(h) ? Real(bmp::abs(l)) : Real(bmp::abs(h));
  if (l <= 0 && h >= 0) return symmetric(m);  // the box reaches 0: |f| <= |x|
  Interval inv = Interval(1) / v, s;
  mpfi_sin(s.backend().data(), inv.backend().data());
  Interval r = v * s;  // both r and [-m, m] contain the range: keep their intersection
  return make_interval(lo(r) > -m ? lo(r) : Real(-m), hi(r) < m ? hi(r) : m);
}

}  // namespace mgdl
