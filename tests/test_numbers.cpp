// Exact rationals, dyadics, rounding directions and interval enclosures.
#include <catch2/catch.hpp>

#include "numbers/numbers.hpp"

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
