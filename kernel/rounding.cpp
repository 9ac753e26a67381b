// Directed rounding helpers (see rounding.hpp): thin wrappers of MPFR's
// correctly rounded operations, each with its rounding direction fixed.
#include "kernel/rounding.hpp"

#include <limits>

namespace mgdl {

Real infinity() { return Real(std::numeric_limits<double>::infinity()); }

namespace {
using Op = int (*)(mpfr_ptr, mpfr_srcptr, mpfr_srcptr, mpfr_rnd_t);
Real apply(Op op, const Real& a, const Real& b, mpfr_rnd_t r) {
  Real out;
  op(out.backend().data(), a.backend().data(), b.backend().data(), r);
  return out;
}
Real root(const Real& a, mpfr_rnd_t r) {
  Real out;
  mpfr_sqrt(out.backend().data(), a.backend().data(), r);
  return out;
}
Real from_q(const Rational& q, mpfr_rnd_t r) {
  Real out;
  mpfr_set_q(out.backend().data(), q.backend().data(), r);
  return out;
}
}  // namespace

Real add_up(const Real& a, const Real& b) { return apply(mpfr_add, a, b, MPFR_RNDU); }
Real add_down(const Real& a, const Real& b) { return apply(mpfr_add, a, b, MPFR_RNDD); }
Real sub_up(const Real& a, const Real& b) { return apply(mpfr_sub, a, b, MPFR_RNDU); }
Real sub_down(const Real& a, const Real& b) { return apply(mpfr_sub, a, b, MPFR_RNDD); }
Real mul_up(const Real& a, const Real& b) { return apply(mpfr_mul, a, b, MPFR_RNDU); }
Real mul_down(const Real& a, const Real& b) { return apply(mpfr_mul, a, b, MPFR_RNDD); }
Real div_up(const Real& a, const Real& b) { return apply(mpfr_div, a, b, MPFR_RNDU); }
Real div_down(const Real& a, const Real& b) { return apply(mpfr_div, a, b, MPFR_RNDD); }
Real sqrt_up(const Real& a) { return root(a, MPFR_RNDU); }
Real sqrt_down(const Real& a) { return root(a, MPFR_RNDD); }
Real down(const Rational& q) { return from_q(q, MPFR_RNDD); }
Real up(const Rational& q) { return from_q(q, MPFR_RNDU); }

int cmp(const Real& x, const Rational& q) {
  if (mpfr_nan_p(x.backend().data())) throw InternalError("comparison of NaN with a rational");
  return mpfr_cmp_q(x.backend().data(), q.backend().data());
}

Real pow_down(const Rational& a, const Rational& p) {
  if (p < 1) throw InternalError("pow_down needs p >= 1");
  const Real base = down(bmp::abs(a));  // base <= |a|, and t -> t^p is increasing for t >= 0
  Real r;
  if (bmp::denominator(p) == 1) {
    Integer n = bmp::numerator(p);
    mpfr_pow_z(r.backend().data(), base.backend().data(), n.backend().data(), MPFR_RNDD);
    return r;
  }
  // base^e <= base^p: for base >= 1 with e <= p, for base < 1 with e >= p.
  const Real e = base >= 1 ? down(p) : up(p);
  mpfr_pow(r.backend().data(), base.backend().data(), e.backend().data(), MPFR_RNDD);
  return r;
}

namespace {
std::string decimal(const Real& x, int digits, mpfr_rnd_t r) {
  const auto* v = x.backend().data();
  if (mpfr_nan_p(v)) return "nan";
  if (mpfr_inf_p(v)) return mpfr_sgn(v) > 0 ? "inf" : "-inf";
  if (mpfr_zero_p(v)) return "0";
  mpfr_exp_t e = 0;
  char* s = mpfr_get_str(nullptr, &e, 10, static_cast<std::size_t>(digits), v, r);
  std::string m(s);
  mpfr_free_str(s);
  std::string sign;
  if (m[0] == '-') sign = "-", m.erase(0, 1);
  // m holds the digits d1 d2 ... with value 0.d1d2... * 10^e.
  std::string out = sign + m.substr(0, 1);
  if (m.size() > 1) out += "." + m.substr(1);
  const long ex = static_cast<long>(e) - 1;
  std::string es = std::to_string(ex < 0 ? -ex : ex);
  if (es.size() < 2) es = "0" + es;
  return out + "e" + (ex < 0 ? "-" : "+") + es;
}
}  // namespace

std::string decimal_down(const Real& x, int digits) { return decimal(x, digits, MPFR_RNDD); }
std::string decimal_up(const Real& x, int digits) { return decimal(x, digits, MPFR_RNDU); }

}  // namespace mgdl
