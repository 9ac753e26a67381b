// Parser (recursive descent to a postfix program) and the point and interval
// evaluators of target expressions. Interval operations use MPFI directly so
// that every result is an outward-rounded enclosure.
#include "targets/expr.hpp"

#include <cctype>
#include <cmath>
#include <limits>

namespace mgdl {

namespace {
constexpr std::size_t kMaxLength = 100000;
constexpr int kMaxDepth = 200;
constexpr long kMaxIntPower = 1000000;

struct Func {
  const char* name;
  Expr::Op op;
  int arity;
};
constexpr Func kFuncs[] = {
    {"sin", Expr::Op::Sin, 1},   {"cos", Expr::Op::Cos, 1},   {"tan", Expr::Op::Tan, 1},
    {"exp", Expr::Op::Exp, 1},   {"log", Expr::Op::Log, 1},   {"sqrt", Expr::Op::Sqrt, 1},
    {"abs", Expr::Op::Abs, 1},   {"tanh", Expr::Op::Tanh, 1}, {"atan", Expr::Op::Atan, 1},
    {"min", Expr::Op::Min, 2},   {"max", Expr::Op::Max, 2},
};
}  // namespace

class ExprParser {
 public:
  explicit ExprParser(std::string_view s) : s_(s) {}

  Expr run() {
    if (s_.size() > kMaxLength) throw InputError("expression longer than " + std::to_string(kMaxLength) + " characters");
    skip();
    if (pos_ == s_.size()) throw InputError("empty expression");
    expr(0);
    skip();
    if (pos_ != s_.size()) fail("unexpected '" + std::string(1, s_[pos_]) + "'");
    out_.text_ = std::string(s_);
    out_.finish();
    return std::move(out_);
  }

 private:
  [[noreturn]] void fail(const std::string& what, std::size_t at = std::string::npos) const {
    std::size_t col = (at == std::string::npos ? pos_ : at) + 1;
    throw InputError("expression error at column " + std::to_string(col) + ": " + what);
  }
  void skip() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  bool eat(char c) {
    skip();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void emit(Expr::Op op, long arg = 0) { out_.code_.push_back({op, arg}); }
  void emit_const(const Rational& q) {
    out_.consts_.push_back(q);
    emit(Expr::Op::Const, static_cast<long>(out_.consts_.size() - 1));
  }
  void enter(int depth) const {
    if (depth > kMaxDepth) fail("expression nested deeper than " + std::to_string(kMaxDepth));
  }

  // expr := term (('+'|'-') term)*
  void expr(int depth) {
    enter(depth);
    const std::size_t a = out_.code_.size();
    term(depth + 1);
    for (;;) {
      const bool add = eat('+');
      if (!add && !eat('-')) return;
      const std::size_t b = out_.code_.size();
      term(depth + 1);
      combine(a, b, add ? Expr::Op::Add : Expr::Op::Sub);
    }
  }
  // term := unary (('*'|'/') unary)*
  void term(int depth) {
    enter(depth);
    const std::size_t a = out_.code_.size();
    unary(depth + 1);
    for (;;) {
      const bool mul = eat('*');
      if (!mul && !eat('/')) return;
      const std::size_t b = out_.code_.size();
      unary(depth + 1);
      combine(a, b, mul ? Expr::Op::Mul : Expr::Op::Div);
    }
  }
  // The factor pi, kept outermost: an operand whose code ends in ScalePi is
  // (the code before it) * pi. Emits the binary op on the operands [a, b)
  // and [b, end), moving a factor pi outward where the identity is exact:
  // pi * u = u * pi, (u pi) * v = (u v) pi, (u pi) / v = (u / v) pi, pi / v = (1 / v) pi,
  // (u pi) / (v pi) = u / v, u pi +- v pi = (u +- v) pi. Only the rounding of
  // the evaluation changes; every interval result is still an enclosure.
  bool is_pi(std::size_t a, std::size_t b) const { return b == a + 1 && out_.code_[a].op == Expr::Op::Pi; }
  bool scaled(std::size_t a, std::size_t b) const { return b > a && out_.code_[b - 1].op == Expr::Op::ScalePi; }
  void combine(std::size_t a, std::size_t b, Expr::Op op) {
    auto& c = out_.code_;
    const std::size_t e = c.size();
    if (op == Expr::Op::Mul && is_pi(b, e)) {  // u * pi
      c.pop_back();
      return emit(Expr::Op::ScalePi);
    }
    if (op == Expr::Op::Mul && is_pi(a, b)) {  // pi * v
      c.erase(c.begin() + static_cast<std::ptrdiff_t>(a));
      return emit(Expr::Op::ScalePi);
    }
    if (op == Expr::Op::Div && is_pi(a, b) && !scaled(b, e)) {  // pi / v = (1 / v) pi
      out_.consts_.push_back(Rational(1));  // c[a] becomes the constant 1 in place of pi
      c[a] = {Expr::Op::Const, static_cast<long>(out_.consts_.size() - 1)};
      emit(Expr::Op::Div);
      return emit(Expr::Op::ScalePi);
    }
    const bool ls = scaled(a, b), rs = scaled(b, e);
    int pis = 0;  // factors pi of the result
    if (op == Expr::Op::Mul) pis = ls + rs;
    else if (op == Expr::Op::Div) pis = ls && !rs ? 1 : 0;
    else pis = ls && rs ? 1 : 0;
    const bool strip_l = ls && (op == Expr::Op::Mul || op == Expr::Op::Div ? true : rs);
    const bool strip_r = rs && (op == Expr::Op::Mul || ls);
    if (strip_r) c.pop_back();
    if (strip_l) c.erase(c.begin() + static_cast<std::ptrdiff_t>(b - 1));
    emit(op);
    for (int i = 0; i < pis; ++i) emit(Expr::Op::ScalePi);
  }
  // unary := ('-'|'+') unary | power
  void unary(int depth) {
    enter(depth);
    if (eat('-')) {
      const std::size_t a = out_.code_.size();
      unary(depth + 1);
      if (scaled(a, out_.code_.size())) {  // -(u pi) = (-u) pi
        out_.code_.back().op = Expr::Op::Neg;
        emit(Expr::Op::ScalePi);
      } else {
        emit(Expr::Op::Neg);
      }
    } else if (eat('+')) {
      unary(depth + 1);
    } else {
      power(depth + 1);
    }
  }
  // power := primary ('^' unary)?  (right associative; -x^2 = -(x^2))
  void power(int depth) {
    enter(depth);
    primary(depth + 1);
    if (!eat('^')) return;
    std::size_t start = out_.code_.size();
    unary(depth + 1);
    // A constant integer exponent gets the exact integer power (x^2 >= 0 in intervals).
    long n = 0;
    if (constant_integer(start, n)) {
      out_.code_.resize(start);
      emit(Expr::Op::PowInt, n);
    } else {
      emit(Expr::Op::Pow);
    }
  }
  bool constant_integer(std::size_t start, long& n) const {
    std::size_t len = out_.code_.size() - start;
    const auto& c = out_.code_;
    if (len < 1 || len > 2 || c[start].op != Expr::Op::Const) return false;
    if (len == 2 && c[start + 1].op != Expr::Op::Neg) return false;
    const Rational& q = out_.consts_[static_cast<std::size_t>(c[start].arg)];
    if (bmp::denominator(q) != 1) return false;
    if (bmp::abs(q) > kMaxIntPower) fail("integer exponent larger than " + std::to_string(kMaxIntPower));
    n = bmp::numerator(q).convert_to<long>();
    if (len == 2) n = -n;
    return true;
  }
  void primary(int depth) {
    enter(depth);
    skip();
    if (pos_ == s_.size()) fail("unexpected end of expression");
    char c = s_[pos_];
    if (c == '(') {
      ++pos_;
      expr(depth + 1);
      if (!eat(')')) fail("expected ')'");
      return;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') return number();
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') return name(depth);
    fail("unexpected '" + std::string(1, c) + "'");
  }
  void number() {
    std::size_t start = pos_;
    while (pos_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '.')) ++pos_;
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      std::size_t save = pos_++;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) {
        while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
      } else {
        pos_ = save;  // "2e" is 2 followed by the name e
      }
    }
    Rational q;
    try {
      q = parse_decimal(s_.substr(start, pos_ - start));
    } catch (const InputError& e) {
      fail(e.what(), start);
    }
    emit_const(q);
  }
  void name(int depth) {
    std::size_t start = pos_;
    while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_')) ++pos_;
    std::string id(s_.substr(start, pos_ - start));
    if (id == "pi") return emit(Expr::Op::Pi);
    if (id == "e") return emit(Expr::Op::E);
    if (id == "x") {
      out_.plain_x_ = true;
      out_.max_var_ = std::max(out_.max_var_, 1);
      return emit(Expr::Op::Var, 0);
    }
    if (id.size() >= 2 && id[0] == 'x' && id.find_first_not_of("0123456789", 1) == std::string::npos) {
      if (id[1] == '0' || id.size() > 4) fail("variable '" + id + "' is not x1..x999", start);
      int i = std::stoi(id.substr(1));
      out_.max_var_ = std::max(out_.max_var_, i);
      return emit(Expr::Op::Var, i - 1);
    }
    for (const Func& f : kFuncs) {
      if (id != f.name) continue;
      if (!eat('(')) fail("expected '(' after " + id);
      const std::size_t arg = out_.code_.size();
      for (int a = 0; a < f.arity; ++a) {
        if (a > 0 && !eat(',')) fail(id + " takes " + std::to_string(f.arity) + " arguments: expected ','");
        expr(depth + 1);
      }
      if (!eat(')')) fail(f.arity == 1 ? "expected ')' (" + id + " takes one argument)" : "expected ')'");
      if (f.op == Expr::Op::Sin || f.op == Expr::Op::Cos) {  // sin(u pi) = sinpi(u), sin(pi) = sinpi(1)
        const bool pi_only = is_pi(arg, out_.code_.size());
        if (pi_only || scaled(arg, out_.code_.size())) {
          out_.code_.pop_back();
          if (pi_only) emit_const(Rational(1));
          return emit(f.op == Expr::Op::Sin ? Expr::Op::SinPi : Expr::Op::CosPi);
        }
      }
      return emit(f.op);
    }
    fail("unknown name '" + id + "' (variables x1..xd or x, constants pi e, functions sin cos tan exp log sqrt abs tanh atan min max)", start);
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  Expr out_;
};

Expr Expr::parse(std::string_view text) { return ExprParser(text).run(); }

void Expr::finish() {
  std::size_t depth = 0;
  max_stack_ = 1;
  for (const Instr& in : code_) {
    switch (in.op) {
      case Op::Const: case Op::Var: case Op::Pi: case Op::E: ++depth; break;
      case Op::Add: case Op::Sub: case Op::Mul: case Op::Div: case Op::Pow: case Op::Min: case Op::Max: --depth; break;
      default: break;
    }
    max_stack_ = std::max(max_stack_, depth);
  }
  for (const Rational& q : consts_) {
    bool small = bmp::denominator(q) == 1 && bmp::abs(q) < Rational(1L << 62);
    const_small_.push_back(small);
    const_int_.push_back(small ? bmp::numerator(q).convert_to<long>() : 0);
  }
}

namespace {

// In-place operations on registers, so that evaluation allocates nothing once
// the per-thread register file exists. Real: MPFR, round to nearest.
// Interval: MPFI, outward rounding (every result encloses the exact image).
// The range reduction of sin, cos and tan costs time proportional to the
// exponent of the argument (found by fuzzing: tan(x + 2^2^21) took minutes).
// Beyond 2^1024 in magnitude the point value is treated as undefined (NaN)
// and the interval one as the whole range, [-1, 1] or (-inf, inf): sound.
bool trig(Expr::Op op) {
  return op == Expr::Op::Sin || op == Expr::Op::Cos || op == Expr::Op::Tan || op == Expr::Op::SinPi || op == Expr::Op::CosPi;
}
bool huge_trig_argument(Expr::Op op, const __mpfr_struct* x) {
  if (!trig(op)) return false;
  return mpfr_number_p(x) && !mpfr_zero_p(x) && mpfr_get_exp(x) > 1024;
}
// MPFI's quadrant computation costs time proportional to |exponent| for tiny
// endpoints too (found by fuzzing: cos(-x^2^2^2^21) on [1/4, 1/2], whose
// argument underflows to about 2^-2^30, took minutes). An interval endpoint
// below 2^-1024 in magnitude is moved outward to 0 or to +-2^-1024: the box
// only grows, so the enclosure stays an enclosure.
void widen_tiny_endpoints(Expr::Op op, __mpfi_struct* d) {
  if (!trig(op)) return;
  auto tiny = [](const __mpfr_struct* e) { return mpfr_number_p(e) && !mpfr_zero_p(e) && mpfr_get_exp(e) < -1024; };
  if (tiny(&d->left)) {
    if (mpfr_sgn(&d->left) > 0) mpfr_set_zero(&d->left, 1);
    else mpfr_set_si_2exp(&d->left, -1, -1024, MPFR_RNDD);
  }
  if (tiny(&d->right)) {
    if (mpfr_sgn(&d->right) < 0) mpfr_set_zero(&d->right, -1);
    else mpfr_set_si_2exp(&d->right, 1, -1024, MPFR_RNDU);
  }
}

struct RealOps {
  using S = Real;
  static auto* p(S& a) { return a.backend().data(); }
  static const auto* p(const S& a) { return a.backend().data(); }
  static bool finite(const S& a) { return mpfr_number_p(p(a)) != 0; }
  static void set_nan(S& a) { mpfr_set_nan(p(a)); }
  static void set(S& a, const S& b) { mpfr_set(p(a), p(b), MPFR_RNDN); }
  static void set_si(S& a, long v) { mpfr_set_si(p(a), v, MPFR_RNDN); }
  static void set_q(S& a, const Rational& q) { mpfr_set_q(p(a), q.backend().data(), MPFR_RNDN); }
  static void set_pi(S& a) { mpfr_const_pi(p(a), MPFR_RNDN); }
  static void set_e(S& a) {
    mpfr_set_ui(p(a), 1, MPFR_RNDN);
    mpfr_exp(p(a), p(a), MPFR_RNDN);
  }
  static void neg(S& a) { mpfr_neg(p(a), p(a), MPFR_RNDN); }
  static void add(S& a, const S& b) { mpfr_add(p(a), p(a), p(b), MPFR_RNDN); }
  static void sub(S& a, const S& b) { mpfr_sub(p(a), p(a), p(b), MPFR_RNDN); }
  static void mul(S& a, const S& b) { mpfr_mul(p(a), p(a), p(b), MPFR_RNDN); }
  static void div(S& a, const S& b) { mpfr_div(p(a), p(a), p(b), MPFR_RNDN); }
  static void pow_int(S& a, long n) { mpfr_pow_si(p(a), p(a), n, MPFR_RNDN); }
  static void pow_gen(S& a, const S& b) { mpfr_pow(p(a), p(a), p(b), MPFR_RNDN); }
  static void fmin(S& a, const S& b) {
    if (mpfr_nan_p(p(b))) mpfr_set_nan(p(a));
    else if (!mpfr_nan_p(p(a))) mpfr_min(p(a), p(a), p(b), MPFR_RNDN);
  }
  static void fmax(S& a, const S& b) {
    if (mpfr_nan_p(p(b))) mpfr_set_nan(p(a));
    else if (!mpfr_nan_p(p(a))) mpfr_max(p(a), p(a), p(b), MPFR_RNDN);
  }
  static void unary(Expr::Op op, S& a) {
    auto* d = p(a);
    if (huge_trig_argument(op, d)) return mpfr_set_nan(d);
    switch (op) {
      case Expr::Op::Sin: mpfr_sin(d, d, MPFR_RNDN); break;
      case Expr::Op::Cos: mpfr_cos(d, d, MPFR_RNDN); break;
      case Expr::Op::Tan: mpfr_tan(d, d, MPFR_RNDN); break;
      case Expr::Op::Exp: mpfr_exp(d, d, MPFR_RNDN); break;
      case Expr::Op::Log: mpfr_log(d, d, MPFR_RNDN); break;
      case Expr::Op::Sqrt: mpfr_sqrt(d, d, MPFR_RNDN); break;
      case Expr::Op::Abs: mpfr_abs(d, d, MPFR_RNDN); break;
      case Expr::Op::Tanh: mpfr_tanh(d, d, MPFR_RNDN); break;
      case Expr::Op::Atan: mpfr_atan(d, d, MPFR_RNDN); break;
      case Expr::Op::SinPi: mpfr_sinpi(d, d, MPFR_RNDN); break;
      case Expr::Op::CosPi: mpfr_cospi(d, d, MPFR_RNDN); break;
      case Expr::Op::ScalePi: {
        mpfr_t pi;
        mpfr_init2(pi, mpfr_get_prec(d));
        mpfr_const_pi(pi, MPFR_RNDN);
        mpfr_mul(d, d, pi, MPFR_RNDN);
        mpfr_clear(pi);
        break;
      }
      default: throw std::logic_error("not a unary function");
    }
  }
};

struct IntervalOps {
  using S = Interval;
  static auto* p(S& a) { return a.backend().data(); }
  static const auto* p(const S& a) { return a.backend().data(); }
  static bool finite(const S& a) { return mpfi_bounded_p(p(a)) != 0; }
  static void set_nan(S& a) {
    mpfr_set_nan(&p(a)->left);
    mpfr_set_nan(&p(a)->right);
  }
  static void set(S& a, const S& b) { mpfi_set(p(a), p(b)); }
  static void set_si(S& a, long v) { mpfi_set_si(p(a), v); }
  static void set_q(S& a, const Rational& q) { mpfi_set_q(p(a), q.backend().data()); }
  static void set_pi(S& a) { mpfi_const_pi(p(a)); }
  static void set_e(S& a) {
    mpfi_set_ui(p(a), 1);
    mpfi_exp(p(a), p(a));
  }
  static void neg(S& a) { mpfi_neg(p(a), p(a)); }
  static void add(S& a, const S& b) { mpfi_add(p(a), p(a), p(b)); }
  static void sub(S& a, const S& b) { mpfi_sub(p(a), p(a), p(b)); }
  static void mul(S& a, const S& b) { mpfi_mul(p(a), p(a), p(b)); }
  static void div(S& a, const S& b) { mpfi_div(p(a), p(a), p(b)); }
  // x^n for integer n: the exact image of the box, endpoints rounded outward
  // (even n: of |x|, so (x-1/2)^2 >= 0; odd n: monotone).
  static void pow_int(S& a, long n) {
    if (n == 0) return set_si(a, 1);
    if (n < 0) {
      pow_int(a, -n);
      mpfi_inv(p(a), p(a));
      return;
    }
    if (n % 2 == 0) mpfi_abs(p(a), p(a));
    mpfr_t l, h;
    mpfr_init2(l, mpfi_get_prec(p(a)));
    mpfr_init2(h, mpfi_get_prec(p(a)));
    mpfi_get_left(l, p(a));
    mpfi_get_right(h, p(a));
    mpfr_pow_ui(l, l, static_cast<unsigned long>(n), MPFR_RNDD);
    mpfr_pow_ui(h, h, static_cast<unsigned long>(n), MPFR_RNDU);
    mpfi_interv_fr(p(a), l, h);
    mpfr_clear(l);
    mpfr_clear(h);
  }
  // x^y = exp(y log x), defined for x >= 0 (then 0^y = 0 for y > 0).
  static void pow_gen(S& a, const S& b) {
    mpfi_log(p(a), p(a));
    mpfi_mul(p(a), p(a), p(b));
    mpfi_exp(p(a), p(a));
  }
  // Component-wise: min over the box is [min lo, min hi].
  // A NaN operand (outside the domain) must stay NaN: mpfr_min would drop it.
  static bool nan_either(S& a, const S& b) {
    if (!mpfi_nan_p(p(a)) && !mpfi_nan_p(p(b))) return false;
    mpfr_set_nan(&p(a)->left);
    mpfr_set_nan(&p(a)->right);
    return true;
  }
  static void fmin(S& a, const S& b) {
    if (nan_either(a, b)) return;
    mpfr_min(&p(a)->left, &p(a)->left, &p(b)->left, MPFR_RNDD);
    mpfr_min(&p(a)->right, &p(a)->right, &p(b)->right, MPFR_RNDU);
  }
  static void fmax(S& a, const S& b) {
    if (nan_either(a, b)) return;
    mpfr_max(&p(a)->left, &p(a)->left, &p(b)->left, MPFR_RNDD);
    mpfr_max(&p(a)->right, &p(a)->right, &p(b)->right, MPFR_RNDU);
  }
  static void scale_pi(__mpfi_struct* d) {
    mpfi_t pi;
    mpfi_init2(pi, mpfi_get_prec(d));
    mpfi_const_pi(pi);
    mpfi_mul(d, d, pi);
    mpfi_clear(pi);
  }
  static void unary(Expr::Op op, S& a) {
    auto* d = p(a);
    if (huge_trig_argument(op, &d->left) || huge_trig_argument(op, &d->right)) {
      if (op == Expr::Op::Tan) {
        mpfr_set_inf(&d->left, -1);
        mpfr_set_inf(&d->right, 1);
      } else {
        mpfi_interv_si(d, -1, 1);
      }
      return;
    }
    if (op == Expr::Op::ScalePi) return scale_pi(d);
    if ((op == Expr::Op::SinPi || op == Expr::Op::CosPi) && !mpfr_equal_p(&d->left, &d->right)) {
      scale_pi(d);  // a proper interval: sin(pi u) over the box pi u
      return unary(op == Expr::Op::SinPi ? Expr::Op::Sin : Expr::Op::Cos, a);
    }
    if (op == Expr::Op::SinPi || op == Expr::Op::CosPi) {  // one point: correctly rounded down and up (0 at integers, exactly)
      mpfr_t l, h;
      mpfr_init2(l, mpfi_get_prec(d));
      mpfr_init2(h, mpfi_get_prec(d));
      if (op == Expr::Op::SinPi) mpfr_sinpi(l, &d->left, MPFR_RNDD), mpfr_sinpi(h, &d->left, MPFR_RNDU);
      else mpfr_cospi(l, &d->left, MPFR_RNDD), mpfr_cospi(h, &d->left, MPFR_RNDU);
      mpfi_interv_fr(d, l, h);
      mpfr_clear(l);
      mpfr_clear(h);
      return;
    }
    widen_tiny_endpoints(op, d);
    switch (op) {
      case Expr::Op::Sin: mpfi_sin(d, d); break;
      case Expr::Op::Cos: mpfi_cos(d, d); break;
      case Expr::Op::Tan: mpfi_tan(d, d); break;
      case Expr::Op::Exp: mpfi_exp(d, d); break;
      case Expr::Op::Log: mpfi_log(d, d); break;
      case Expr::Op::Sqrt: mpfi_sqrt(d, d); break;
      case Expr::Op::Abs: mpfi_abs(d, d); break;
      case Expr::Op::Tanh: mpfi_tanh(d, d); break;
      case Expr::Op::Atan: mpfi_atan(d, d); break;
      default: throw std::logic_error("not a unary function");
    }
  }
};

template <class S> struct OpsOf;
template <> struct OpsOf<Real> { using type = RealOps; };
template <> struct OpsOf<Interval> { using type = IntervalOps; };

// Per-thread registers at the current working precision.
template <class S>
std::vector<S>& registers(std::size_t n) {
  thread_local std::vector<S> regs;
  thread_local unsigned bits = 0;
  if (bits != precision_bits()) {
    regs.clear();
    bits = precision_bits();
  }
  while (regs.size() < n) regs.emplace_back();
  return regs;
}

}  // namespace

template <class S>
S Expr::run(std::span<const S> x) const {
  using O = typename OpsOf<S>::type;
  std::vector<S>& r = registers<S>(max_stack_);
  std::size_t sp = 0;  // registers [0, sp) are live
  for (const Instr& in : code_) {
    switch (in.op) {
      case Op::Const: {
        const auto k = static_cast<std::size_t>(in.arg);
        if (const_small_[k]) O::set_si(r[sp++], const_int_[k]);
        else O::set_q(r[sp++], consts_[k]);
        break;
      }
      case Op::Var:
        if (static_cast<std::size_t>(in.arg) >= x.size())
          throw InputError("expression uses x" + std::to_string(in.arg + 1) + " but the point has " + std::to_string(x.size()) + " coordinates");
        O::set(r[sp++], x[static_cast<std::size_t>(in.arg)]);
        break;
      case Op::Pi: O::set_pi(r[sp++]); break;
      case Op::E: O::set_e(r[sp++]); break;
      case Op::Neg: O::neg(r[sp - 1]); break;
      case Op::PowInt: O::pow_int(r[sp - 1], in.arg); break;
      case Op::Sin: case Op::Cos: case Op::Tan: case Op::Exp: case Op::Log:
      case Op::Sqrt: case Op::Abs: case Op::Tanh: case Op::Atan:
      case Op::ScalePi: case Op::SinPi: case Op::CosPi:
        O::unary(in.op, r[sp - 1]);
        break;
      default: {
        S& a = r[sp - 2];
        const S& b = r[sp - 1];
        switch (in.op) {
          case Op::Add: O::add(a, b); break;
          case Op::Sub: O::sub(a, b); break;
          case Op::Mul: O::mul(a, b); break;
          case Op::Div: O::div(a, b); break;
          case Op::Pow: O::pow_gen(a, b); break;
          case Op::Min: O::fmin(a, b); break;
          case Op::Max: O::fmax(a, b); break;
          default: throw std::logic_error("bad opcode");
        }
        --sp;
      }
    }
    // An intermediate that is infinite or NaN means f may be undefined here
    // (1/(x-1/3) on a box holding 1/3): the whole value is undefined, even
    // where a bounded function (atan, 0*) would hide it afterwards.
    if (!O::finite(r[sp - 1])) {
      O::set_nan(r[0]);
      return r[0];
    }
  }
  return r[0];
}

Real Expr::eval(std::span<const Real> x) const { return run<Real>(x); }
Interval Expr::eval(std::span<const Interval> x) const { return run<Interval>(x); }

namespace {
// A value with its gradient, both enclosed by intervals.
struct Grad {
  Interval v;
  std::vector<Interval> g;
};
Interval ival(long v) { return Interval(v); }
Interval nan_interval() {
  Interval r;
  IntervalOps::set_nan(r);
  return r;
}
Interval sq(const Interval& a) {
  Interval r = a;
  IntervalOps::pow_int(r, 2);
  return r;
}
Interval apply1(Expr::Op op, const Interval& a) {
  Interval r = a;
  IntervalOps::unary(op, r);
  return r;
}
Interval pi_interval() {
  Interval r;
  IntervalOps::set_pi(r);
  return r;
}
// min or max of two enclosures, and whether each operand certainly wins on the box.
struct MinMax {
  Interval v;
  bool a_wins, b_wins;
};
MinMax min_max(Expr::Op op, const Interval& a, const Interval& b) {
  const bool is_min = op == Expr::Op::Min;
  MinMax r{a, is_min ? hi(a) <= lo(b) : lo(a) >= hi(b), is_min ? hi(b) <= lo(a) : lo(b) >= hi(a)};
  if (is_min) IntervalOps::fmin(r.v, b);
  else IntervalOps::fmax(r.v, b);
  return r;
}
void scale(std::vector<Interval>& g, const Interval& k) {
  for (auto& x : g) x = x * k;
}
}  // namespace

void Expr::eval_gradient(std::span<const Interval> x, Interval& value, std::vector<Interval>& grad) const {
  const std::size_t d = x.size();
  bool undefined = false;
  std::vector<Grad> st;
  auto zero = [&] { return std::vector<Interval>(d, ival(0)); };
  for (const Instr& in : code_) {
    switch (in.op) {
      case Op::Const: {
        Grad c{ival(0), zero()};
        IntervalOps::set_q(c.v, consts_[static_cast<std::size_t>(in.arg)]);
        st.push_back(std::move(c));
        break;
      }
      case Op::Var: {
        if (static_cast<std::size_t>(in.arg) >= d) throw InputError("expression uses x" + std::to_string(in.arg + 1) + " but the point has " + std::to_string(d) + " coordinates");
        Grad c{x[static_cast<std::size_t>(in.arg)], zero()};
        c.g[static_cast<std::size_t>(in.arg)] = ival(1);
        st.push_back(std::move(c));
        break;
      }
      case Op::Pi: case Op::E: {
        Grad c{ival(0), zero()};
        if (in.op == Op::Pi) IntervalOps::set_pi(c.v);
        else IntervalOps::set_e(c.v);
        st.push_back(std::move(c));
        break;
      }
      case Op::Neg: {
        Grad& a = st.back();
        a.v = -a.v;
        for (auto& gi : a.g) gi = -gi;
        break;
      }
      case Op::PowInt: {
        Grad& a = st.back();
        const long n = in.arg;
        if (n == 0) {
          a.v = ival(1);
          a.g = zero();
          break;
        }
        Interval dn = a.v;
        IntervalOps::pow_int(dn, n - 1);
        scale(a.g, dn * ival(n));
        IntervalOps::pow_int(a.v, n);
        break;
      }
      case Op::Sin: case Op::Cos: case Op::Tan: case Op::Exp: case Op::Log:
      case Op::Sqrt: case Op::Abs: case Op::Tanh: case Op::Atan:
      case Op::ScalePi: case Op::SinPi: case Op::CosPi: {
        Grad& a = st.back();
        Interval v = apply1(in.op, a.v), k;
        switch (in.op) {
          case Op::ScalePi: k = pi_interval(); break;
          case Op::SinPi: k = pi_interval() * apply1(Op::CosPi, a.v); break;
          case Op::CosPi: k = -(pi_interval() * apply1(Op::SinPi, a.v)); break;
          case Op::Sin: k = apply1(Op::Cos, a.v); break;
          case Op::Cos: k = -apply1(Op::Sin, a.v); break;
          case Op::Tan: k = ival(1) + sq(v); break;
          case Op::Exp: k = v; break;
          case Op::Log: k = ival(1) / a.v; break;
          case Op::Sqrt: k = ival(1) / (v * ival(2)); break;
          case Op::Abs:
            k = lo(a.v) >= 0 ? ival(1) : hi(a.v) <= 0 ? ival(-1) : make_interval(Real(-1), Real(1));
            break;
          case Op::Tanh: k = ival(1) - sq(v); break;
          case Op::Atan: k = ival(1) / (ival(1) + sq(a.v)); break;
          default: break;
        }
        scale(a.g, k);
        a.v = v;
        break;
      }
      default: {
        Grad b = std::move(st.back());
        st.pop_back();
        Grad& a = st.back();
        switch (in.op) {
          case Op::Add:
            for (std::size_t i = 0; i < d; ++i) a.g[i] = a.g[i] + b.g[i];
            a.v = a.v + b.v;
            break;
          case Op::Sub:
            for (std::size_t i = 0; i < d; ++i) a.g[i] = a.g[i] - b.g[i];
            a.v = a.v - b.v;
            break;
          case Op::Mul:
            for (std::size_t i = 0; i < d; ++i) a.g[i] = a.g[i] * b.v + a.v * b.g[i];
            a.v = a.v * b.v;
            break;
          case Op::Div: {
            Interval q = a.v / b.v;
            for (std::size_t i = 0; i < d; ++i) a.g[i] = (a.g[i] - q * b.g[i]) / b.v;
            a.v = q;
            break;
          }
          case Op::Pow: {
            Interval v = a.v;
            IntervalOps::pow_gen(v, b.v);
            Interval la = apply1(Op::Log, a.v);
            for (std::size_t i = 0; i < d; ++i) a.g[i] = v * (b.g[i] * la + b.v * a.g[i] / a.v);
            a.v = v;
            break;
          }
          case Op::Min: case Op::Max: {
            // The smaller (larger) operand when certain; else the hull of both gradients.
            auto [v, a_wins, b_wins] = min_max(in.op, a.v, b.v);
            if (b_wins && !a_wins) a.g = b.g;
            else if (!a_wins)
              for (std::size_t i = 0; i < d; ++i) a.g[i] = bmp::hull(a.g[i], b.g[i]);
            a.v = v;
            break;
          }
          default: throw std::logic_error("bad opcode");
        }
      }
    }
    undefined = undefined || !is_finite(st.back().v);  // as in eval(): an undefined step poisons the value
  }
  value = undefined ? nan_interval() : st.back().v;
  grad = std::move(st.back().g);
}

namespace {
// A value with its gradient and Hessian (row-major d x d), all intervals.
struct Jet2 {
  Interval v;
  std::vector<Interval> g, h;
};
Interval entire() { return make_interval(Real(-std::numeric_limits<double>::infinity()), Real(std::numeric_limits<double>::infinity())); }
// phi(u) with phi' in k1 and phi'' in k2 over the box: g = k1 g_u,
// h = k1 h_u + k2 g_u g_u^T (the chain rule for second derivatives).
void chain(Jet2& a, const Interval& v, const Interval& k1, const Interval& k2) {
  const std::size_t d = a.g.size();
  for (std::size_t i = 0; i < d; ++i)
    for (std::size_t j = 0; j < d; ++j) a.h[i * d + j] = k1 * a.h[i * d + j] + k2 * (a.g[i] * a.g[j]);
  for (auto& gi : a.g) gi = gi * k1;
  a.v = v;
}
void not_c2(Jet2& a) {
  for (auto& x : a.h) x = entire();
}
// a <- a * b.
void mul_jet(Jet2& a, const Jet2& b) {
  const std::size_t d = a.g.size();
  for (std::size_t i = 0; i < d; ++i)
    for (std::size_t j = 0; j < d; ++j)
      a.h[i * d + j] = a.h[i * d + j] * b.v + a.v * b.h[i * d + j] + a.g[i] * b.g[j] + b.g[i] * a.g[j];
  for (std::size_t i = 0; i < d; ++i) a.g[i] = a.g[i] * b.v + a.v * b.g[i];
  a.v = a.v * b.v;
}
void unary_jet(Expr::Op op, Jet2& a) {
  Interval v = apply1(op, a.v), k1, k2;
  switch (op) {
    case Expr::Op::Sin: k1 = apply1(Expr::Op::Cos, a.v); k2 = -v; break;
    case Expr::Op::Cos: k1 = -apply1(Expr::Op::Sin, a.v); k2 = -v; break;
    case Expr::Op::Tan: k1 = ival(1) + sq(v); k2 = ival(2) * v * k1; break;
    case Expr::Op::Exp: k1 = v; k2 = v; break;
    case Expr::Op::Log: k1 = ival(1) / a.v; k2 = -sq(k1); break;
    case Expr::Op::Sqrt: k1 = ival(1) / (v * ival(2)); k2 = -k1 / (a.v * ival(2)); break;
    case Expr::Op::Abs:
      if (lo(a.v) >= 0) { k1 = ival(1); k2 = ival(0); }
      else if (hi(a.v) <= 0) { k1 = ival(-1); k2 = ival(0); }
      else {  // the kink may lie in the box
        chain(a, v, make_interval(Real(-1), Real(1)), ival(0));
        not_c2(a);
        return;
      }
      break;
    case Expr::Op::Tanh: k1 = ival(1) - sq(v); k2 = ival(-2) * v * k1; break;
    case Expr::Op::Atan: k1 = ival(1) / (ival(1) + sq(a.v)); k2 = ival(-2) * a.v * sq(k1); break;
    case Expr::Op::ScalePi: k1 = pi_interval(); k2 = ival(0); break;
    case Expr::Op::SinPi: case Expr::Op::CosPi: {  // sinpi'' = -pi^2 sinpi, cospi'' = -pi^2 cospi
      const Interval pi = pi_interval();
      k1 = op == Expr::Op::SinPi ? pi * apply1(Expr::Op::CosPi, a.v) : -(pi * apply1(Expr::Op::SinPi, a.v));
      k2 = -(sq(pi) * v);
      break;
    }
    default: throw std::logic_error("not a unary function");
  }
  chain(a, v, k1, k2);
}
}  // namespace

void Expr::eval_hessian(std::span<const Interval> x, Interval& value, std::vector<Interval>& grad,
                        std::vector<Interval>& hess) const {
  const std::size_t d = x.size();
  bool undefined = false;
  std::vector<Jet2> st;
  auto constant = [&](const Interval& v) { return Jet2{v, std::vector<Interval>(d, ival(0)), std::vector<Interval>(d * d, ival(0))}; };
  for (const Instr& in : code_) {
    switch (in.op) {
      case Op::Const: {
        Interval c;
        IntervalOps::set_q(c, consts_[static_cast<std::size_t>(in.arg)]);
        st.push_back(constant(c));
        break;
      }
      case Op::Var: {
        if (static_cast<std::size_t>(in.arg) >= d) throw InputError("expression uses x" + std::to_string(in.arg + 1) + " but the point has " + std::to_string(d) + " coordinates");
        Jet2 c = constant(x[static_cast<std::size_t>(in.arg)]);
        c.g[static_cast<std::size_t>(in.arg)] = ival(1);
        st.push_back(std::move(c));
        break;
      }
      case Op::Pi: case Op::E: {
        Interval c;
        if (in.op == Op::Pi) IntervalOps::set_pi(c);
        else IntervalOps::set_e(c);
        st.push_back(constant(c));
        break;
      }
      case Op::Neg: {
        Jet2& a = st.back();
        a.v = -a.v;
        for (auto& gi : a.g) gi = -gi;
        for (auto& hi_ : a.h) hi_ = -hi_;
        break;
      }
      case Op::PowInt: {
        Jet2& a = st.back();
        const long n = in.arg;
        if (n == 0) {
          a = constant(ival(1));
          break;
        }
        Interval v = a.v, k1 = a.v, k2 = a.v;
        IntervalOps::pow_int(v, n);
        IntervalOps::pow_int(k1, n - 1);
        k1 = k1 * ival(n);
        if (n == 1) k2 = ival(0);
        else {
          IntervalOps::pow_int(k2, n - 2);
          k2 = k2 * Interval(n) * Interval(n - 1);
        }
        chain(a, v, k1, k2);
        break;
      }
      case Op::Sin: case Op::Cos: case Op::Tan: case Op::Exp: case Op::Log:
      case Op::Sqrt: case Op::Abs: case Op::Tanh: case Op::Atan:
      case Op::ScalePi: case Op::SinPi: case Op::CosPi:
        unary_jet(in.op, st.back());
        break;
      default: {
        Jet2 b = std::move(st.back());
        st.pop_back();
        Jet2& a = st.back();
        switch (in.op) {
          case Op::Add: case Op::Sub: {
            const bool add = in.op == Op::Add;
            for (std::size_t i = 0; i < d; ++i) a.g[i] = add ? a.g[i] + b.g[i] : a.g[i] - b.g[i];
            for (std::size_t i = 0; i < d * d; ++i) a.h[i] = add ? a.h[i] + b.h[i] : a.h[i] - b.h[i];
            a.v = add ? a.v + b.v : a.v - b.v;
            break;
          }
          case Op::Mul: mul_jet(a, b); break;
          case Op::Div: {
            // a / b = a * (1/b); 1/u has derivatives -1/u^2 and 2/u^3.
            Interval r = ival(1) / b.v;
            chain(b, r, -sq(r), ival(2) * r * sq(r));
            mul_jet(a, b);
            break;
          }
          case Op::Pow: {
            // a^b = exp(b log a), for a > 0 on the box (else not finite).
            Interval v = a.v;
            IntervalOps::pow_gen(v, b.v);
            unary_jet(Op::Log, a);
            mul_jet(a, b);
            chain(a, v, v, v);
            break;
          }
          case Op::Min: case Op::Max: {
            auto [v, a_wins, b_wins] = min_max(in.op, a.v, b.v);
            if (b_wins && !a_wins) a = std::move(b);
            else if (!a_wins) {  // the switch may lie in the box
              for (std::size_t i = 0; i < d; ++i) a.g[i] = bmp::hull(a.g[i], b.g[i]);
              not_c2(a);
            }
            a.v = v;
            break;
          }
          default: throw std::logic_error("bad opcode");
        }
      }
    }
    undefined = undefined || !is_finite(st.back().v);  // as in eval(): an undefined step poisons the value
  }
  value = undefined ? nan_interval() : st.back().v;
  grad = std::move(st.back().g);
  hess = std::move(st.back().h);
  // h_ij and h_ji enclose the same number, rounded in different orders: keep
  // their intersection in both (when both are finite).
  for (std::size_t i = 0; i < d; ++i)
    for (std::size_t j = i + 1; j < d; ++j) {
      Interval& a = hess[i * d + j];
      Interval& b = hess[j * d + i];
      if (is_finite(a) && is_finite(b) && !(hi(a) < lo(b) || hi(b) < lo(a)))
        a = b = make_interval(lo(a) > lo(b) ? lo(a) : lo(b), hi(a) < hi(b) ? hi(a) : hi(b));
    }
}

}  // namespace mgdl
