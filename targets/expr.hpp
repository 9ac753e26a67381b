// The target expression language: variables x1..xd (x when d = 1), numbers,
// + - * / ^, parentheses, sin cos tan exp log sqrt abs tanh atan min max, pi, e.
// One parsed definition evaluates in points (Real) and in intervals (Interval).
// The parser moves a factor pi outward where that is an identity (pi u, u pi,
// (u pi) v, (u pi) / v, pi / v, (u pi) / (v pi), u pi +- v pi, -(u pi)) and writes
// sin(u pi), cos(u pi) as sinpi(u), cospi(u): exactly 0 at integers
// (half-integers), which Fact Z needs (docs/theory.md 8.5).
#pragma once

#include "numbers/numbers.hpp"

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mgdl {

class Expr {
 public:
  // Parses `text`; throws InputError naming the 1-based column of the fault.
  static Expr parse(std::string_view text);

  const std::string& text() const { return text_; }
  // Largest i of a variable x_i used (x counts as x1); 0 for a constant.
  int max_var() const { return max_var_; }
  bool uses_plain_x() const { return plain_x_; }

  // Point value, rounded at the working precision; NaN when any step of the
  // evaluation is infinite or undefined there (outside the domain).
  Real eval(std::span<const Real> x) const;
  // Guarantee: the result contains f(x) for every x in the box, whenever f is
  // defined on the whole box. When a step of the evaluation is not finite on
  // the box (a division by an interval holding 0, log or sqrt reaching
  // outside their domain), the result is NaN, even if a bounded function
  // (atan, tanh, 0*) follows: so a finite result also certifies that every
  // step of f is defined and finite on the whole box.
  Interval eval(std::span<const Interval> x) const;
  // Interval forward-mode differentiation over the box: `value` as eval(),
  // grad[i] encloses the (Clarke) partial derivatives d f / d x_i over the
  // box, so f(x) - f(c) is in sum_i grad[i] (x_i - c_i) for x, c in the box
  // (Lebourg's mean value theorem). Infinite where f is not Lipschitz.
  void eval_gradient(std::span<const Interval> x, Interval& value, std::vector<Interval>& grad) const;
  // Second-order interval forward mode: also hess (d x d, row-major) encloses
  // the Hessian of f over the box whenever f is twice continuously
  // differentiable on it. Where it may not be (abs or min/max switching
  // branch inside the box, a pole, a root or log at 0) the enclosure is not
  // finite, so a finite hess certifies that f is C^2 on the box with these
  // bounds (docs/theory.md, "The second-order rule").
  void eval_hessian(std::span<const Interval> x, Interval& value, std::vector<Interval>& grad,
                    std::vector<Interval>& hess) const;

  enum class Op : unsigned char {
    Const, Var, Pi, E, Neg, Add, Sub, Mul, Div, PowInt, Pow,
    Sin, Cos, Tan, Exp, Log, Sqrt, Abs, Tanh, Atan, Min, Max,
    // Written by the parser, never by the user: u * pi, sin(pi u) and
    // cos(pi u). Factoring pi out lets sin(pi x) be exactly 0 at every
    // integer x (mpfr_sinpi is correctly rounded), which the zero-face
    // enclosure (Fact Z, docs/theory.md 8.5) needs at x = 1.
    ScalePi, SinPi, CosPi
  };
  struct Instr {
    Op op;
    long arg = 0;  // constant index, variable index, or integer exponent
  };

 private:
  template <class S>
  S run(std::span<const S> x) const;
  void finish();  // stack depth and integer constants, after parsing

  std::string text_;
  std::vector<Instr> code_;
  std::vector<Rational> consts_;
  std::vector<char> const_small_;  // constant is an integer fitting a long
  std::vector<long> const_int_;
  std::size_t max_stack_ = 1;
  int max_var_ = 0;
  bool plain_x_ = false;
  friend class ExprParser;
};

}  // namespace mgdl
