// Number helpers: precision, interval endpoints, exact rational I/O, dyadics.
#include "numbers/numbers.hpp"
#include "numbers/comm.hpp"

#include <cctype>
#include <cmath>
#include <limits>

namespace mgdl {

namespace {
unsigned g_bits = 128;
constexpr std::size_t kMaxDigits = 100000;  // longest accepted numeral
}  // namespace

void set_precision_bits(unsigned bits) {
  if (bits < 16 || bits > 65536) throw InputError("precision must be between 16 and 65536 bits, got " + std::to_string(bits));
  unsigned d10 = static_cast<unsigned>(std::ceil(bits * 0.30102999566398120)) + 1;
  Real::default_precision(d10);
  Interval::default_precision(d10);
  g_bits = bits;
}

unsigned precision_bits() { return g_bits; }

Real lo(const Interval& x) { return bmp::lower(x); }
Real hi(const Interval& x) { return bmp::upper(x); }

bool is_finite(const Interval& x) { return mpfi_bounded_p(x.backend().data()) != 0; }

Interval make_interval(const Real& a, const Real& b) {
  Interval r;
  mpfi_interv_fr(r.backend().data(), a.backend().data(), b.backend().data());
  return r;
}

Interval enclose(const Rational& q) {
  Interval r;
  mpfi_set_q(r.backend().data(), q.backend().data());
  return r;
}

Real nearest(const Rational& q) {
  Real r;
  mpfr_set_q(r.backend().data(), q.backend().data(), MPFR_RNDN);
  return r;
}

Interval dyadic_interval(std::int64_t a, std::int64_t b, int L) {
  Interval ia, ib;
  mpfi_set_si(ia.backend().data(), a);
  mpfi_mul_2si(ia.backend().data(), ia.backend().data(), -L);
  mpfi_set_si(ib.backend().data(), b);
  mpfi_mul_2si(ib.backend().data(), ib.backend().data(), -L);
  return make_interval(lo(ia), hi(ib));
}

namespace {
bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}
Integer parse_integer(std::string_view s) {
  Integer z;
  mpz_set_str(z.backend().data(), std::string(s).c_str(), 10);
  return z;
}
}  // namespace

Rational parse_rational(std::string_view s) { return parse_rational(s, kMaxDigits); }

Rational parse_rational(std::string_view s, std::size_t max_digits) {
  if (s.size() > 2 * max_digits + 2)  // sign, slash, two numerals
    throw InputError("exact rational longer than " + std::to_string(max_digits) + " digits: \"" + std::string(s.substr(0, 40)) + "...\"");
  std::string_view body = s;
  bool neg = false;
  if (!body.empty() && body[0] == '-') {
    neg = true;
    body.remove_prefix(1);
  }
  auto slash = body.find('/');
  std::string_view num = body.substr(0, slash);
  std::string_view den = slash == std::string_view::npos ? std::string_view("1") : body.substr(slash + 1);
  if (num.size() > max_digits || den.size() > max_digits)
    throw InputError("exact rational longer than " + std::to_string(max_digits) + " digits: \"" + std::string(s.substr(0, 40)) + "...\"");
  if (!all_digits(num) || !all_digits(den))
    throw InputError("not an exact rational \"n\" or \"n/d\": \"" + std::string(s.substr(0, 40)) + "\"");
  Integer n = parse_integer(num), d = parse_integer(den);
  if (d.is_zero()) throw InputError("zero denominator in \"" + std::string(s.substr(0, 40)) + "\"");
  Rational q(n, d);
  return neg ? Rational(-q) : q;
}

std::string to_string(const Rational& q) {
  std::string s = bmp::numerator(q).str();
  const Integer den = bmp::denominator(q);
  if (den != 1) s += "/" + den.str();
  return s;
}

Rational parse_decimal(std::string_view s) {
  if (s.find('/') != std::string_view::npos) return parse_rational(s);
  auto bad = [&] { return InputError("not a number: \"" + std::string(s.substr(0, 40)) + "\""); };
  std::size_t i = 0;
  bool neg = false;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
  std::string digits;
  long frac = 0;
  bool any = false;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) digits += s[i++], any = true;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) digits += s[i++], ++frac, any = true;
  }
  if (!any || digits.size() > kMaxDigits) throw bad();
  long ex = 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool eneg = false;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) eneg = s[i++] == '-';
    std::string e;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) e += s[i++];
    if (e.empty() || e.size() > 6) throw bad();
    ex = std::stol(e);
    if (ex > 10000) throw InputError("exponent out of range (|e| <= 10000): \"" + std::string(s.substr(0, 40)) + "\"");
    if (eneg) ex = -ex;
  }
  if (i != s.size()) throw bad();
  Integer n = parse_integer(digits);
  long p10 = ex - frac;
  Integer ten_pow;
  mpz_ui_pow_ui(ten_pow.backend().data(), 10, static_cast<unsigned long>(p10 < 0 ? -p10 : p10));
  Rational q = p10 >= 0 ? Rational(n * ten_pow) : Rational(n, ten_pow);
  return neg ? Rational(-q) : q;
}

std::string to_decimal(const Real& x, int digits) {
  if (x.is_zero()) return "0";
  return x.str(digits, std::ios_base::scientific);
}

void Dyadic::normalize() {
  if (mant_.is_zero()) {
    exp_ = 0;
    return;
  }
  auto tz = mpz_scan1(mant_.backend().data(), 0);
  if (tz > 0) {
    mpz_tdiv_q_2exp(mant_.backend().data(), mant_.backend().data(), tz);
    exp_ += static_cast<long>(tz);
  }
}

Dyadic operator+(const Dyadic& a, const Dyadic& b) {
  if (a.is_zero()) return b;
  if (b.is_zero()) return a;
  if (a.exp_ == b.exp_) return Dyadic(a.mant_ + b.mant_, a.exp_);
  const Dyadic& hiexp = a.exp_ > b.exp_ ? a : b;
  const Dyadic& loexp = a.exp_ > b.exp_ ? b : a;
  Integer shifted;
  mpz_mul_2exp(shifted.backend().data(), hiexp.mant_.backend().data(), static_cast<unsigned long>(hiexp.exp_ - loexp.exp_));
  return Dyadic(shifted + loexp.mant_, loexp.exp_);
}

Dyadic operator-(const Dyadic& a, const Dyadic& b) { return a + (-b); }

Dyadic operator*(const Dyadic& a, const Dyadic& b) { return Dyadic(a.mant_ * b.mant_, a.exp_ + b.exp_); }

Dyadic Dyadic::toward_zero(const Real& x, unsigned bits) {
  if (!mpfr_number_p(x.backend().data())) throw std::domain_error("Dyadic::toward_zero of a non-finite value");
  mpfr_t t;
  mpfr_init2(t, bits);
  mpfr_set(t, x.backend().data(), MPFR_RNDZ);  // rounding toward zero never increases |x|
  Integer m;
  long e = 0;
  if (!mpfr_zero_p(t)) e = mpfr_get_z_2exp(m.backend().data(), t);
  mpfr_clear(t);
  return Dyadic(m, e);
}

Dyadic Dyadic::from_rational(const Rational& q) {
  Integer den = bmp::denominator(q);
  auto k = mpz_scan1(den.backend().data(), 0);
  Integer rest;
  mpz_tdiv_q_2exp(rest.backend().data(), den.backend().data(), k);
  if (rest != 1) throw InputError("not a dyadic rational: " + to_string(q));
  return Dyadic(bmp::numerator(q), -static_cast<long>(k));
}

Rational Dyadic::to_rational() const {
  Integer p = 1;
  mpz_mul_2exp(p.backend().data(), p.backend().data(), static_cast<unsigned long>(exp_ < 0 ? -exp_ : exp_));
  return exp_ >= 0 ? Rational(mant_ * p) : Rational(mant_, p);
}

Interval Dyadic::to_interval() const {
  Interval r;
  mpfi_set_z(r.backend().data(), mant_.backend().data());
  mpfi_mul_2si(r.backend().data(), r.backend().data(), exp_);
  return r;
}

Real Dyadic::to_real() const {
  Real r;
  mpfr_set_z_2exp(r.backend().data(), mant_.backend().data(), exp_, MPFR_RNDN);
  return r;
}

Dyadic parse_dyadic(std::string_view s, std::size_t max_digits) {
  auto bad = [&] { return InputError("not an exact dyadic \"m\" or \"mpE\": \"" + std::string(s.substr(0, 40)) + "\""); };
  const auto p = s.find('p');
  std::string_view mant = s.substr(0, p), ex = p == std::string_view::npos ? std::string_view() : s.substr(p + 1);
  bool neg = !mant.empty() && mant[0] == '-';
  if (neg) mant.remove_prefix(1);
  if (mant.size() > max_digits)
    throw InputError("exact dyadic longer than " + std::to_string(max_digits) + " digits: \"" + std::string(s.substr(0, 40)) + "...\"");
  if (!all_digits(mant)) throw bad();
  long e = 0;
  if (p != std::string_view::npos) {
    bool eneg = !ex.empty() && ex[0] == '-';
    if (eneg) ex.remove_prefix(1);
    if (!all_digits(ex) || ex.size() > 8) throw bad();
    e = std::stol(std::string(ex));
    if (e > (1L << 24)) throw bad();
    if (eneg) e = -e;
  }
  Integer m = parse_integer(mant);
  return Dyadic(neg ? Integer(-m) : m, e);
}

std::string dyadic_text(const Dyadic& x) {
  if (x.exponent() == 0) return x.mantissa().str();
  return x.mantissa().str() + "p" + std::to_string(x.exponent());
}


// ---- numbers/comm.hpp: exact byte encoding and the collectives built on allgather.

// Unsigned integers as LEB128 varints (7 bits a byte, low first), signed
// ones zigzag-encoded, integers of GMP as sign and magnitude bytes: the
// messages of a pass are mostly small coordinates and 128-bit mantissas.
void ByteWriter::u64(std::uint64_t v) {
  while (v >= 0x80) {
    out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out_.push_back(static_cast<char>(v));
}
void ByteWriter::i64(std::int64_t v) {
  const auto u = static_cast<std::uint64_t>(v);
  u64((u << 1) ^ (v < 0 ? ~std::uint64_t{0} : 0));
}
void ByteWriter::str(std::string_view s) {
  u64(s.size());
  out_.append(s);
}
void ByteWriter::mpz(mpz_srcptr z) {
  const std::size_t n = (mpz_sizeinbase(z, 2) + 7) / 8;
  u64((static_cast<std::uint64_t>(mpz_sgn(z) == 0 ? 0 : n) << 1) | (mpz_sgn(z) < 0 ? 1 : 0));
  if (mpz_sgn(z) == 0) return;
  const std::size_t at = out_.size();
  out_.resize(at + n);
  std::size_t written = 0;
  mpz_export(out_.data() + at, &written, -1, 1, 0, 0, z);
  if (written != n) throw std::logic_error("mpz_export wrote an unexpected size");
}
void ByteWriter::real(const Real& x) {
  mpfr_srcptr p = x.backend().data();
  u64(static_cast<std::uint64_t>(mpfr_get_prec(p)));
  if (mpfr_nan_p(p)) return u64(0);
  if (mpfr_inf_p(p)) return u64(mpfr_sgn(p) > 0 ? 1 : 2);
  if (mpfr_zero_p(p)) return u64(mpfr_signbit(p) ? 4 : 3);
  u64(5);
  mpz_t m;
  mpz_init(m);
  const mpfr_exp_t e = mpfr_get_z_2exp(m, p);
  i64(static_cast<std::int64_t>(e));
  mpz(m);
  mpz_clear(m);
}
void ByteWriter::rational(const Rational& q) {
  mpz(mpq_numref(q.backend().data()));
  mpz(mpq_denref(q.backend().data()));
}
void ByteWriter::dyadic(const Dyadic& x) {
  mpz(x.mantissa().backend().data());
  i64(x.exponent());
}

std::uint64_t ByteReader::u64() {
  std::uint64_t v = 0;
  for (int shift = 0;; shift += 7) {
    if (pos_ == in_.size()) throw std::runtime_error("a truncated message between ranks");
    const auto b = static_cast<unsigned char>(in_[pos_++]);
    // The tenth byte holds bit 63 alone; a longer or wider encoding is malformed.
    if (shift == 63 && b > 1) throw std::runtime_error("a malformed message between ranks");
    v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
}
std::int64_t ByteReader::i64() {
  const std::uint64_t u = u64();
  return static_cast<std::int64_t>((u >> 1) ^ (~(u & 1) + 1));
}
std::string ByteReader::str() {
  const std::uint64_t n = u64();
  if (in_.size() - pos_ < n) throw std::runtime_error("a truncated message between ranks");
  std::string s(in_.substr(pos_, n));
  pos_ += n;
  return s;
}
void ByteReader::mpz(mpz_ptr z) {
  const std::uint64_t h = u64();
  const std::uint64_t n = h >> 1;
  if (in_.size() - pos_ < n) throw std::runtime_error("a truncated message between ranks");
  mpz_import(z, n, -1, 1, 0, 0, in_.data() + pos_);
  pos_ += n;
  if (h & 1) mpz_neg(z, z);
}
Real ByteReader::real() {
  const auto prec = static_cast<mpfr_prec_t>(u64());
  if (prec < MPFR_PREC_MIN || prec > MPFR_PREC_MAX) throw std::runtime_error("a malformed message between ranks");
  Real x;
  mpfr_ptr p = x.backend().data();
  mpfr_set_prec(p, prec);
  switch (u64()) {
    case 0: mpfr_set_nan(p); return x;
    case 1: mpfr_set_inf(p, 1); return x;
    case 2: mpfr_set_inf(p, -1); return x;
    case 3: mpfr_set_zero(p, 1); return x;
    case 4: mpfr_set_zero(p, -1); return x;
    case 5: break;
    default: throw std::runtime_error("a malformed message between ranks");
  }
  const auto e = static_cast<mpfr_exp_t>(i64());
  mpz_t m;
  mpz_init(m);
  mpz(m);
  const int inexact = mpfr_set_z_2exp(p, m, e, MPFR_RNDN);  // exact: the mantissa has prec bits
  mpz_clear(m);
  if (inexact != 0) throw std::runtime_error("a malformed message between ranks");
  return x;
}
Rational ByteReader::rational() {
  Integer n, d;
  mpz(n.backend().data());
  mpz(d.backend().data());
  if (d <= 0) throw std::runtime_error("a malformed message between ranks");
  return Rational(n, d);
}
Dyadic ByteReader::dyadic() {
  Integer m;
  mpz(m.backend().data());
  const long e = static_cast<long>(i64());
  return Dyadic(std::move(m), e);
}

CountScan count_scan(const Comm* c, std::uint64_t mine) {
  ByteWriter w;
  w.u64(mine);
  const auto all = allgather(c, w.bytes());
  CountScan s;
  for (std::size_t r = 0; r < all.size(); ++r) {
    const std::uint64_t v = ByteReader(all[r]).u64();
    if (static_cast<int>(r) < comm_rank(c)) s.before += v;
    s.total += v;
  }
  return s;
}
MaxAt max_at(const Comm* c, const Real& mine) {
  if (!c) return MaxAt{mine, 0};
  ByteWriter w;
  w.real(mine);
  const auto all = c->allgather(w.bytes());
  MaxAt m{ByteReader(all[0]).real(), 0};
  for (std::size_t r = 1; r < all.size(); ++r) {
    Real v = ByteReader(all[r]).real();
    if (v > m.value) m = MaxAt{std::move(v), static_cast<int>(r)};
  }
  return m;
}
bool any_rank(const Comm* c, bool mine) { return count_scan(c, mine ? 1 : 0).total != 0; }

}  // namespace mgdl
