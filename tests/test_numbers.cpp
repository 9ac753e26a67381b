// Exact rationals, dyadics, rounding directions and interval enclosures.
#include <catch2/catch.hpp>

#include "numbers/comm.hpp"
#include "numbers/numbers.hpp"

#include <limits>
#include <random>

using namespace mgdl;

namespace {
bool contains(const Interval& I, const Rational& q) {
  return mpfr_cmp_q(lo(I).backend().data(), q.backend().data()) <= 0 &&
         mpfr_cmp_q(hi(I).backend().data(), q.backend().data()) >= 0;
}
}  // namespace

TEST_CASE("exact rationals parse canonically and reject malformed text", "[numbers]") {
  CHECK(to_string(parse_rational("6/4")) == "3/2");
  CHECK(to_string(parse_rational("-10/5")) == "-2");
  CHECK(to_string(parse_rational("0")) == "0");
  for (const char* bad : {"", "1/0", "0/0", "abc", "1.5", "--1", "1/-2", "1/", "/2", " 1"})
    CHECK_THROWS_AS(parse_rational(bad), InputError);
}

TEST_CASE("decimals are read exactly", "[numbers]") {
  CHECK(parse_decimal("0.1") == Rational(1, 10));
  CHECK(parse_decimal("1e-3") == Rational(1, 1000));
  CHECK(parse_decimal("-2.5e2") == Rational(-250));
  CHECK(parse_decimal("3/4") == Rational(3, 4));
  for (const char* bad : {"", ".", "1e", "1x", "e5", "1e99999"}) CHECK_THROWS_AS(parse_decimal(bad), InputError);
}

TEST_CASE("dyadic arithmetic agrees with rational arithmetic", "[numbers]") {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<long long> mant(-1000000007, 1000000007);
  std::uniform_int_distribution<int> ex(-80, 80);
  for (int i = 0; i < 500; ++i) {
    Dyadic a(Integer(mant(rng)), ex(rng)), b(Integer(mant(rng)), ex(rng));
    Rational qa = a.to_rational(), qb = b.to_rational();
    CHECK((a + b).to_rational() == qa + qb);
    CHECK((a - b).to_rational() == qa - qb);
    CHECK((a * b).to_rational() == qa * qb);
    CHECK(compare(a, b) == (qa < qb ? -1 : qa > qb ? 1 : 0));
    CHECK(Dyadic::from_rational(qa) == a);
    CHECK(contains(a.to_interval(), qa));
  }
  CHECK_THROWS_AS(Dyadic::from_rational(Rational(1, 3)), InputError);
}

TEST_CASE("rounding toward zero never increases magnitude and keeps the bit budget", "[numbers]") {
  set_precision_bits(128);
  for (int sign : {1, -1}) {
    for (int den : {3, 7, 10, 1000003}) {
      Rational q(sign, den);
      Real x = nearest(q);
      for (unsigned bits : {8u, 20u, 64u}) {
        Dyadic t = Dyadic::toward_zero(x, bits);
        CHECK(bmp::abs(t.to_rational()) <= bmp::abs(q) + Rational(1, Integer(1) << 120));
        CHECK(bmp::abs(t.to_rational()) <= bmp::abs(Dyadic::toward_zero(x, 128).to_rational()));
        CHECK(t.sign() == sign);
        CHECK(mpz_sizeinbase(t.mantissa().backend().data(), 2) <= bits);
      }
    }
  }
}

TEST_CASE("enclose(q) contains q at two precisions, and the two enclosures overlap", "[numbers]") {
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<long long> num(-1000000, 1000000), den(1, 999999);
  for (int i = 0; i < 200; ++i) {
    Rational q(num(rng), den(rng));
    set_precision_bits(53);
    Interval a = enclose(q);
    set_precision_bits(200);
    Interval b = enclose(q);
    CHECK(contains(a, q));
    CHECK(contains(b, q));
    CHECK(bmp::overlap(a, b));
  }
  set_precision_bits(128);
}

TEST_CASE("messages between ranks carry reals, rationals and dyadics exactly, and malformed ones are refused", "[numbers][ranks]") {
  std::mt19937_64 rng(17);
  std::vector<Real> xs;
  for (unsigned prec : {16u, 53u, 113u, 300u}) {
    set_precision_bits(prec);
    Real third = Real(1) / 3, tiny = ldexp(Real(1), -100000), neg = -ldexp(third, 70000);
    for (const Real& v : {third, tiny, neg, Real(0), -Real(0), Real(std::numeric_limits<double>::infinity()),
                          -Real(std::numeric_limits<double>::infinity())})
      xs.push_back(v);
    xs.push_back(Real(static_cast<double>(rng() >> 11)) / 7);
  }
  Real nan;
  mpfr_set_nan(nan.backend().data());
  xs.push_back(nan);
  ByteWriter w;
  for (const auto& x : xs) w.real(x);
  const Rational q = parse_rational("-123456789012345678901234567890/7");
  const Dyadic dy = Dyadic(Integer(-12345), -4000);
  w.rational(q);
  w.dyadic(dy);
  w.str("evidence");
  ByteReader r(w.bytes());
  for (const auto& x : xs) {
    const Real y = r.real();
    mpfr_srcptr a = x.backend().data(), b = y.backend().data();
    CHECK(mpfr_get_prec(a) == mpfr_get_prec(b));
    if (mpfr_nan_p(a)) {
      CHECK(mpfr_nan_p(b));
    } else {
      CHECK(mpfr_equal_p(a, b));
      CHECK(mpfr_signbit(a) == mpfr_signbit(b));  // -0 stays -0
    }
  }
  CHECK(r.rational() == q);
  CHECK(r.dyadic() == dy);
  CHECK(r.str() == "evidence");
  CHECK(r.done());
  CHECK_THROWS(r.u64());  // nothing left
  const std::string cut = w.bytes().substr(0, w.bytes().size() - 3);
  ByteReader t(cut);
  for (std::size_t i = 0; i < xs.size(); ++i) t.real();
  t.rational();
  t.dyadic();
  CHECK_THROWS(t.str());  // truncated
  // One process: the collectives see only this process's value.
  const CountScan c = count_scan(nullptr, 5);
  CHECK(c.total == 5);
  CHECK(c.before == 0);
  CHECK(max_at(nullptr, Real(3)).value == 3);
  CHECK(any_rank(nullptr, true));
  CHECK_FALSE(any_rank(nullptr, false));
  // Integers travel as varints (zigzag when signed): every width, both signs, exactly.
  ByteWriter iw;
  const std::vector<std::uint64_t> us{0, 1, 127, 128, 300, (std::uint64_t{1} << 35) - 1, std::uint64_t{1} << 63, ~std::uint64_t{0}};
  const std::vector<std::int64_t> is{0, -1, 1, -64, 64, std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()};
  for (auto u : us) iw.u64(u);
  for (auto i : is) iw.i64(i);
  iw.dyadic(Dyadic(Integer(0), 0));
  iw.rational(Rational(-1, 255));
  CHECK(iw.bytes().size() < 8 * (us.size() + is.size()));  // small values take few bytes
  ByteReader ir(iw.bytes());
  for (auto u : us) CHECK(ir.u64() == u);
  for (auto i : is) CHECK(ir.i64() == i);
  CHECK(ir.dyadic() == Dyadic(Integer(0), 0));
  CHECK(ir.rational() == Rational(-1, 255));
  CHECK(ir.done());
  // Eleven bytes, or a tenth byte above 1, name no 64-bit integer.
  CHECK_THROWS(ByteReader(std::string(10, '\xff') + std::string(1, '\x01')).u64());
  CHECK_THROWS(ByteReader(std::string(9, '\xff') + std::string(1, '\x02')).u64());
  CHECK(ByteReader(std::string(9, '\xff') + std::string(1, '\x01')).u64() == ~std::uint64_t{0});
  CHECK_THROWS(ByteReader(std::string(3, '\x80')).u64());  // the continuation never ends
  set_precision_bits(128);
}
