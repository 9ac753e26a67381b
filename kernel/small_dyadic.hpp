// Small exact dyadics for prove_hat's fast path (kernel/realise.cpp): the
// same exact arithmetic as Rational on numbers m * 2^e with |m| < 2^125.
// Any operation whose result would not be exact throws Inexact instead, and
// prove_hat then runs on Rational. Values are normalised (m odd, or m = 0
// and e = 0), so == is equality of the numbers. In a header only so that
// the tests can check every operation against Rational.
#pragma once

#include <algorithm>

namespace mgdl::detail {

struct Inexact {};
struct SmallDyadic {
  __int128 m = 0;
  long e = 0;
  SmallDyadic() = default;
  SmallDyadic(long long v) : m(v) { norm(); }  // NOLINT: integers are dyadic
  SmallDyadic(__int128 mant, long exp) : m(mant), e(exp) { norm(); }
  void norm() {
    if (m == 0) {
      e = 0;
      return;
    }
    const auto lo = static_cast<unsigned long long>(static_cast<unsigned __int128>(m));
    int tz = lo ? __builtin_ctzll(lo) : 64 + __builtin_ctzll(static_cast<unsigned long long>(static_cast<unsigned __int128>(m) >> 64));
    m >>= tz;  // exact: the low tz bits are zero
    e += tz;
  }
  // m * 2^s, exactly, or Inexact.
  static __int128 shl(__int128 m, long s) {
    if (m == 0) return 0;
    if (s > 120) throw Inexact{};
    const __int128 lim = static_cast<__int128>(1) << (125 - s);
    if (m >= lim || m <= -lim) throw Inexact{};
    return m * (static_cast<__int128>(1) << s);
  }
  friend SmallDyadic operator+(const SmallDyadic& a, const SmallDyadic& b) {
    if (a.m == 0) return b;
    if (b.m == 0) return a;
    const long e = std::min(a.e, b.e);
    __int128 r;
    if (__builtin_add_overflow(shl(a.m, a.e - e), shl(b.m, b.e - e), &r)) throw Inexact{};
    return SmallDyadic(r, e);
  }
  friend SmallDyadic operator*(const SmallDyadic& a, const SmallDyadic& b) {
    __int128 r;
    if (__builtin_mul_overflow(a.m, b.m, &r) || r >= (static_cast<__int128>(1) << 125) || r <= -(static_cast<__int128>(1) << 125))
      throw Inexact{};
    return SmallDyadic(r, a.e + b.e);
  }
  SmallDyadic operator-() const { return SmallDyadic(-m, e); }
  SmallDyadic& operator+=(const SmallDyadic& b) { return *this = *this + b; }
  SmallDyadic& operator*=(const SmallDyadic& b) { return *this = *this * b; }
  friend bool operator==(const SmallDyadic& a, const SmallDyadic& b) { return a.m == b.m && a.e == b.e; }
  friend bool operator!=(const SmallDyadic& a, const SmallDyadic& b) { return !(a == b); }
  friend bool operator>=(const SmallDyadic& a, int z) { return z == 0 ? a.m >= 0 : throw Inexact{}; }
  friend bool operator<=(const SmallDyadic& a, int z) { return z == 0 ? a.m <= 0 : throw Inexact{}; }
  friend bool operator>(const SmallDyadic& a, const SmallDyadic& b) { return (a + -b).m > 0; }
  friend bool operator<(const SmallDyadic& a, const SmallDyadic& b) { return (a + -b).m < 0; }
  friend bool operator>(const SmallDyadic& a, int z) { return z == 0 ? a.m > 0 : throw Inexact{}; }
  friend bool operator<(const SmallDyadic& a, int z) { return z == 0 ? a.m < 0 : throw Inexact{}; }
};


}  // namespace mgdl::detail
