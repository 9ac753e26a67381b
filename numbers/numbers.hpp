// Number types of the toolkit: runtime-precision MPFR reals, MPFI intervals,
// exact GMP rationals, and exact dyadic rationals for network weights.
#pragma once

#include <boost/multiprecision/gmp.hpp>
#include <boost/multiprecision/mpfi.hpp>
#include <boost/multiprecision/mpfr.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace mgdl {

namespace bmp = boost::multiprecision;
using Real = bmp::number<bmp::mpfr_float_backend<0>, bmp::et_off>;
using Interval = bmp::number<bmp::mpfi_float_backend<0>, bmp::et_off>;
using Integer = bmp::number<bmp::gmp_int, bmp::et_off>;
using Rational = bmp::number<bmp::gmp_rational, bmp::et_off>;

// Thrown for malformed user input (numbers, expressions, files, options).
struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Thrown when a self-check fails: an enclosure that contradicts another one
// (lower above upper, disjoint enclosures of one quantity, a point value
// outside its cell's enclosure). Never a verdict: `mgdl` exits 4.
struct InternalError : std::logic_error {
  using std::logic_error::logic_error;
};

// Working precision of newly created Real and Interval values, in bits.
// The effective precision is at least `bits` (Boost stores decimal digits).
void set_precision_bits(unsigned bits);
unsigned precision_bits();

// Interval endpoints. Never compare intervals with < or > (Boost 1.74 calls
// std::terminate on overlapping operands): compare endpoints instead.
Real lo(const Interval& x);
Real hi(const Interval& x);
bool is_finite(const Interval& x);            // both endpoints finite, not NaN
Interval make_interval(const Real& a, const Real& b);
Interval enclose(const Rational& q);          // smallest interval containing q
Real nearest(const Rational& q);              // q rounded to nearest
// Outward enclosure of [a, b] / 2^L (exact when the endpoints fit the precision).
Interval dyadic_interval(std::int64_t a, std::int64_t b, int L);

// Exact rational I/O: "n" or "n/d" in decimal, d > 0; canonical output.
Rational parse_rational(std::string_view s);
// The same with a limit on the digits of numerator and denominator (each).
Rational parse_rational(std::string_view s, std::size_t max_digits);
std::string to_string(const Rational& q);
// Decimal input "1e-3", "-0.25", "3/4" read exactly as a rational.
Rational parse_decimal(std::string_view s);
// Decimal rendering of a real with `digits` significant digits.
std::string to_decimal(const Real& x, int digits = 6);

// An exact dyadic rational mant * 2^exp (mant odd, or zero with exp 0).
class Dyadic {
 public:
  Dyadic() = default;
  Dyadic(long long v) : mant_(v) { normalize(); }  // NOLINT: integers are dyadic
  Dyadic(Integer mant, long exp) : mant_(std::move(mant)), exp_(exp) { normalize(); }

  const Integer& mantissa() const { return mant_; }
  long exponent() const { return exp_; }
  int sign() const { return mant_.sign(); }
  bool is_zero() const { return mant_.is_zero(); }

  friend Dyadic operator+(const Dyadic& a, const Dyadic& b);
  friend Dyadic operator-(const Dyadic& a, const Dyadic& b);
  friend Dyadic operator*(const Dyadic& a, const Dyadic& b);
  Dyadic operator-() const { return Dyadic(-mant_, exp_); }
  Dyadic& operator+=(const Dyadic& b) { return *this = *this + b; }
  friend bool operator==(const Dyadic& a, const Dyadic& b) { return a.exp_ == b.exp_ && a.mant_ == b.mant_; }
  friend int compare(const Dyadic& a, const Dyadic& b) { return (a - b).sign(); }
  Dyadic abs() const { return Dyadic(bmp::abs(mant_), exp_); }
  Dyadic times_pow2(long k) const { return Dyadic(mant_, exp_ + k); }

  // x rounded toward zero to at most `bits` significant bits (exact if it fits).
  static Dyadic toward_zero(const Real& x, unsigned bits);
  // q if q is dyadic; throws InputError otherwise.
  static Dyadic from_rational(const Rational& q);

  Rational to_rational() const;
  Interval to_interval() const;   // exact when the mantissa fits the precision, else outward
  Real to_real() const;           // nearest
  std::string str() const { return to_string(to_rational()); }

 private:
  void normalize();
  Integer mant_{0};
  long exp_ = 0;
};

// Exact dyadic text: "m" or "mpE" for m * 2^E (m, E decimal integers, m
// with at most max_digits digits, |E| <= 2^24). Throws InputError otherwise.
Dyadic parse_dyadic(std::string_view s, std::size_t max_digits);
// The canonical such text: "mpE" with m odd, or "m" when E = 0.
std::string dyadic_text(const Dyadic& x);

}  // namespace mgdl
