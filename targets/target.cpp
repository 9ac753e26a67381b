// Expression targets and name resolution.
#include "targets/target.hpp"

#include "targets/catalogue.hpp"
#include "targets/expr.hpp"

#include <memory>

namespace mgdl {

Target target_from_expression(std::string_view text, int dim, std::string name) {
  auto e = std::make_shared<const Expr>(Expr::parse(text));
  int need = std::max(1, e->max_var());
  if (dim == 0) dim = need;
  if (dim < 1 || dim > 16) throw InputError("dimension must be between 1 and 16, got " + std::to_string(dim));
  if (need > dim)
    throw InputError("expression uses x" + std::to_string(need) + " but the dimension is " + std::to_string(dim));
  if (e->uses_plain_x() && dim > 1)
    throw InputError("the variable x stands for x1 only when d = 1; with d = " + std::to_string(dim) + " write x1..x" + std::to_string(dim));
  Target t;
  t.name = std::move(name);
  t.expr = e->text();
  t.dim = dim;
  t.point = [e](std::span<const Real> x) { return e->eval(x); };
  t.box = [e](std::span<const Interval> x) { return e->eval(x); };
  t.gradient = [e](std::span<const Interval> x, Interval& v, std::vector<Interval>& g) { e->eval_gradient(x, v, g); };
  t.hessian = [e](std::span<const Interval> x, Interval& v, std::vector<Interval>& g, std::vector<Interval>& h) {
    e->eval_hessian(x, v, g, h);
  };
  return t;
}

Target resolve_target(std::string_view name_or_expr, int dim) {
  if (auto t = find_target(name_or_expr)) {
    if (dim != 0 && dim != t->dim)
      throw InputError("catalogue target '" + t->name + "' has dimension " + std::to_string(t->dim) + ", not " + std::to_string(dim));
    return *t;
  }
  return target_from_expression(name_or_expr, dim);
}

}  // namespace mgdl
