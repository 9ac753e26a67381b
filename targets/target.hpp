// A target function f on [0,1]^d: a point evaluator and a sound interval
// extension (the interval result contains f(x) for every x in the box).
#pragma once

#include "numbers/numbers.hpp"

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mgdl {

struct Target {
  std::string name;         // catalogue name, or "expr" for a command-line expression
  std::string expr;         // always present (a description for functor targets)
  std::string description;
  int dim = 1;
  std::function<Real(std::span<const Real>)> point;
  std::function<Interval(std::span<const Interval>)> box;
  // Optional: value and gradient enclosures over a box (see Expr::eval_gradient);
  // enables the sharper centred enclosures. Empty when not available.
  std::function<void(std::span<const Interval>, Interval&, std::vector<Interval>&)> gradient;
  // Optional: value, gradient and Hessian (d x d, row-major) enclosures over a
  // box (see Expr::eval_hessian); a finite Hessian certifies f is C^2 there.
  // Enables the second-order coefficient rule. Empty when not available.
  std::function<void(std::span<const Interval>, Interval&, std::vector<Interval>&, std::vector<Interval>&)> hessian;
};

// Wraps a functor with `template <class S> S operator()(std::span<const S>) const`:
// one definition serves points and intervals.
template <class F>
Target make_target(std::string name, int dim, std::string description, std::string expr, F f) {
  Target t;
  t.name = std::move(name);
  t.dim = dim;
  t.description = std::move(description);
  t.expr = std::move(expr);
  t.point = [f](std::span<const Real> x) { return f(x); };
  t.box = [f](std::span<const Interval> x) { return f(x); };
  return t;
}

// Parses an expression target. dim = 0 infers the largest x_i used (1 for x).
// Throws InputError for a malformed expression or an impossible dimension.
Target target_from_expression(std::string_view expr, int dim = 0, std::string name = "expr");

// A catalogue name, else an expression.
Target resolve_target(std::string_view name_or_expr, int dim = 0);

}  // namespace mgdl
