// Built-in targets. To add one: append an entry below, either
//   expression("name", "description", "sin(3*x)")
// or a functor with `template <class S> S operator()(std::span<const S>) const`
// passed to make_target (see README, "Add a target").
#include "targets/catalogue.hpp"

namespace mgdl {

namespace {
CatalogueEntry expression(const char* name, const char* description, const char* expr, int dim,
                          bool is_default = false, const char* eps = "") {
  Target t = target_from_expression(expr, dim, name);
  t.description = description;
  return {std::move(t), is_default, eps};
}
}  // namespace

const std::vector<CatalogueEntry>& catalogue() {
  static const std::vector<CatalogueEntry> entries = [] {
    std::vector<CatalogueEntry> v;
    // 1-D
    v.push_back(expression("sin2pi", "smooth: one period of a sine", "sin(2*pi*x)", 1, true, "1e-2"));
    v.push_back(expression("runge", "smooth: the Runge function", "1/(1+25*(2*x-1)^2)", 1));
    v.push_back(expression("expcos", "smooth: damped cosine", "exp(-x)*cos(6*x)", 1));
    v.push_back(expression("kink", "kink at 1/3", "abs(x-1/3)", 1, true, "1e-2"));
    v.push_back(expression("sqrtcusp", "cusp: Hoelder-1/2 at 1/2", "sqrt(abs(x-1/2))", 1));
    v.push_back(expression("osc", "oscillatory: x sin(20 pi x)", "x*sin(20*pi*x)", 1, true, "1e-2"));
    // 2-D
    v.push_back(expression("sinsin", "smooth: sin(pi x) sin(pi y)", "sin(pi*x1)*sin(pi*x2)", 2, true, "1e-1"));
    v.push_back(expression("gauss2", "smooth: exp(-(x^2+y^2))", "exp(-(x1^2+x2^2))", 2));
    v.push_back(expression("absdiff", "kink along the diagonal", "abs(x1-x2)", 2, true, "1e-1"));
    v.push_back(expression("cone", "cone at the centre", "max(0, 1-2*sqrt((x1-1/2)^2+(x2-1/2)^2))", 2));
    // 3-D
    v.push_back(expression("sum3", "smooth: sin(x1+x2+x3)", "sin(x1+x2+x3)", 3));
    return v;
  }();
  return entries;
}

std::optional<Target> find_target(std::string_view name) {
  for (const auto& e : catalogue())
    if (e.target.name == name) return e.target;
  return std::nullopt;
}

}  // namespace mgdl
