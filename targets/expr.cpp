// Parser (recursive descent to a postfix program) and the point and interval
// evaluators of target expressions. Interval operations use MPFI directly so
// that every result is an outward-rounded enclosure.
#include "targets/expr.hpp"

#include <cctype>
#include <cmath>

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
  void enter(int depth) const {
    if (depth > kMaxDepth) fail("expression nested deeper than " + std::to_string(kMaxDepth));
  }

  // expr := term (('+'|'-') term)*
  void expr(int depth) {
    enter(depth);
    term(depth + 1);
    for (;;) {
      if (eat('+')) term(depth + 1), emit(Expr::Op::Add);
      else if (eat('-')) term(depth + 1), emit(Expr::Op::Sub);
      else return;
    }
  }
  // term := unary (('*'|'/') unary)*
  void term(int depth) {
    enter(depth);
    unary(depth + 1);
    for (;;) {
      if (eat('*')) unary(depth + 1), emit(Expr::Op::Mul);
      else if (eat('/')) unary(depth + 1), emit(Expr::Op::Div);
      else return;
    }
  }
  // unary := ('-'|'+') unary | power
  void unary(int depth) {
    enter(depth);
    if (eat('-')) {
      unary(depth + 1);
      emit(Expr::Op::Neg);
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
    out_.consts_.push_back(q);
    emit(Expr::Op::Const, static_cast<long>(out_.consts_.size() - 1));
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
      for (int a = 0; a < f.arity; ++a) {
        if (a > 0 && !eat(',')) fail(id + " takes " + std::to_string(f.arity) + " arguments: expected ','");
        expr(depth + 1);
      }
      if (!eat(')')) fail(f.arity == 1 ? "expected ')' (" + id + " takes one argument)" : "expected ')'");
      return emit(f.op);
    }
    fail("unknown name '" + id + "' (variables x1..xd or x, constants pi e, functions sin cos tan exp log sqrt abs tanh atan min max)", start);
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  Expr out_;
};

Expr Expr::parse(std::string_view text) { return ExprParser(text).run(); }

namespace {

// ---- point operations (MPFR, round to nearest) ----
Real cst(const Rational& q, const Real*) { return nearest(q); }
Real pi_of(const Real*) {
  Real r;
  mpfr_const_pi(r.backend().data(), MPFR_RNDN);
  return r;
}
Real e_of(const Real*) { return bmp::exp(Real(1)); }
Real pow_int(const Real& x, long n) {
  Real r;
  mpfr_pow_si(r.backend().data(), x.backend().data(), n, MPFR_RNDN);
  return r;
}
Real pow_gen(const Real& x, const Real& y) { return bmp::pow(x, y); }
Real fmin(const Real& a, const Real& b) { return a < b ? a : b; }
Real fmax(const Real& a, const Real& b) { return a < b ? b : a; }
Real apply(Expr::Op op, const Real& a) {
  switch (op) {
    case Expr::Op::Sin: return bmp::sin(a);
    case Expr::Op::Cos: return bmp::cos(a);
    case Expr::Op::Tan: return bmp::tan(a);
    case Expr::Op::Exp: return bmp::exp(a);
    case Expr::Op::Log: return bmp::log(a);
    case Expr::Op::Sqrt: return bmp::sqrt(a);
    case Expr::Op::Abs: return bmp::abs(a);
    case Expr::Op::Tanh: return bmp::tanh(a);
    case Expr::Op::Atan: return bmp::atan(a);
    default: throw std::logic_error("not a unary function");
  }
}

// ---- interval operations (MPFI, outward rounding) ----
Interval cst(const Rational& q, const Interval*) { return enclose(q); }
Interval pi_of(const Interval*) {
  Interval r;
  mpfi_const_pi(r.backend().data());
  return r;
}
Interval e_of(const Interval*) {
  Interval r;
  mpfi_set_ui(r.backend().data(), 1);
  mpfi_exp(r.backend().data(), r.backend().data());
  return r;
}
// x^n for integer n: exact image of the box, endpoints rounded outward.
Interval pow_int(const Interval& x, long n) {
  if (n == 0) return Interval(1);
  if (n < 0) {
    Interval p = pow_int(x, -n), r;
    mpfi_inv(r.backend().data(), p.backend().data());
    return r;
  }
  Real a = lo(x), b = hi(x);
  if (n % 2 == 0) {
    Interval m;
    mpfi_abs(m.backend().data(), x.backend().data());
    a = lo(m);
    b = hi(m);
  }
  Real ra, rb;
  mpfr_pow_ui(ra.backend().data(), a.backend().data(), static_cast<unsigned long>(n), MPFR_RNDD);
  mpfr_pow_ui(rb.backend().data(), b.backend().data(), static_cast<unsigned long>(n), MPFR_RNDU);
  return make_interval(ra, rb);
}
// x^y = exp(y log x), defined for x >= 0 (0^y = 0 for y > 0).
Interval pow_gen(const Interval& x, const Interval& y) {
  Interval l, r;
  mpfi_log(l.backend().data(), x.backend().data());
  mpfi_mul(r.backend().data(), l.backend().data(), y.backend().data());
  mpfi_exp(r.backend().data(), r.backend().data());
  return r;
}
Interval fmin(const Interval& a, const Interval& b) {
  Real l, h;
  mpfr_min(l.backend().data(), lo(a).backend().data(), lo(b).backend().data(), MPFR_RNDD);
  mpfr_min(h.backend().data(), hi(a).backend().data(), hi(b).backend().data(), MPFR_RNDU);
  return make_interval(l, h);
}
Interval fmax(const Interval& a, const Interval& b) {
  Real l, h;
  mpfr_max(l.backend().data(), lo(a).backend().data(), lo(b).backend().data(), MPFR_RNDD);
  mpfr_max(h.backend().data(), hi(a).backend().data(), hi(b).backend().data(), MPFR_RNDU);
  return make_interval(l, h);
}
Interval apply(Expr::Op op, const Interval& a) {
  Interval r;
  auto* d = r.backend().data();
  const auto* s = a.backend().data();
  switch (op) {
    case Expr::Op::Sin: mpfi_sin(d, s); break;
    case Expr::Op::Cos: mpfi_cos(d, s); break;
    case Expr::Op::Tan: mpfi_tan(d, s); break;
    case Expr::Op::Exp: mpfi_exp(d, s); break;
    case Expr::Op::Log: mpfi_log(d, s); break;
    case Expr::Op::Sqrt: mpfi_sqrt(d, s); break;
    case Expr::Op::Abs: mpfi_abs(d, s); break;
    case Expr::Op::Tanh: mpfi_tanh(d, s); break;
    case Expr::Op::Atan: mpfi_atan(d, s); break;
    default: throw std::logic_error("not a unary function");
  }
  return r;
}

}  // namespace

template <class S>
S Expr::run(std::span<const S> x) const {
  std::vector<S> st;
  st.reserve(16);
  auto pop = [&st] {
    S v = std::move(st.back());
    st.pop_back();
    return v;
  };
  for (const Instr& in : code_) {
    switch (in.op) {
      case Op::Const: st.push_back(cst(consts_[static_cast<std::size_t>(in.arg)], static_cast<const S*>(nullptr))); break;
      case Op::Var:
        if (static_cast<std::size_t>(in.arg) >= x.size())
          throw InputError("expression uses x" + std::to_string(in.arg + 1) + " but the point has " + std::to_string(x.size()) + " coordinates");
        st.push_back(x[static_cast<std::size_t>(in.arg)]);
        break;
      case Op::Pi: st.push_back(pi_of(static_cast<const S*>(nullptr))); break;
      case Op::E: st.push_back(e_of(static_cast<const S*>(nullptr))); break;
      case Op::Neg: st.back() = -st.back(); break;
      case Op::PowInt: st.back() = pow_int(st.back(), in.arg); break;
      case Op::Sin: case Op::Cos: case Op::Tan: case Op::Exp: case Op::Log:
      case Op::Sqrt: case Op::Abs: case Op::Tanh: case Op::Atan:
        st.back() = apply(in.op, st.back());
        break;
      default: {
        S b = pop();
        S& a = st.back();
        switch (in.op) {
          case Op::Add: a = a + b; break;
          case Op::Sub: a = a - b; break;
          case Op::Mul: a = a * b; break;
          case Op::Div: a = a / b; break;
          case Op::Pow: a = pow_gen(a, b); break;
          case Op::Min: a = fmin(a, b); break;
          case Op::Max: a = fmax(a, b); break;
          default: throw std::logic_error("bad opcode");
        }
      }
    }
  }
  return st.back();
}

Real Expr::eval(std::span<const Real> x) const { return run<Real>(x); }
Interval Expr::eval(std::span<const Interval> x) const { return run<Interval>(x); }

}  // namespace mgdl
