// Built-in targets. To add one: append an entry below, either
//   expression("name", "description", "sin(3*x)")
// or a functor with `template <class S> S operator()(std::span<const S>) const`
// passed to make_target (see README, "Add a target").
#include "targets/catalogue.hpp"

#include "targets/example_bump.hpp"
#include "targets/special.hpp"

namespace mgdl {

namespace {
CatalogueEntry expression(const char* name, const char* description, const char* expr, int dim,
                          bool is_default = false, const char* eps = "") {
  Target t = target_from_expression(expr, dim, name);
  t.description = description;
  return {std::move(t), is_default, eps};
}
template <class F>
CatalogueEntry functor(const char* name, const char* description, const char* formula, int dim, F f) {
  return {make_target(name, dim, description, formula, f), false, ""};
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
    v.push_back(expression("sin100", "oscillatory: sin(100 x) (MGDL reference experiments)", "sin(100*x)", 1));
    v.push_back(expression("xsin100", "oscillatory: x sin(100 x) (MGDL reference experiments)", "x*sin(100*x)", 1));
    v.push_back(expression("sines3", "oscillatory: three sines, frequencies 1, 4, 16 (for the MGDL experiments)", "(sin(2*pi*x)+sin(8*pi*x)+sin(32*pi*x))/3", 1));
    v.push_back(expression("chirp", "oscillatory: a chirp", "sin(1/(x+0.05))", 1));
    v.push_back(expression("holder03", "cusp: Hoelder-0.3 at 0", "x^0.3", 1));
    v.push_back(expression("steep", "steep: tanh(200 (x - 0.3))", "tanh(200*(x-0.3))", 1));
    v.push_back(functor("weierstrass", "nowhere differentiable: sum 2^-n cos(3^n pi x), with tail bound",
                        "sum_{n>=0} 2^-n cos(3^n pi x)", 1, Weierstrass{}));
    v.push_back(functor("takagi", "nowhere differentiable: sum 2^-n dist(2^n x, Z), with tail bound",
                        "sum_{n>=0} 2^-n dist(2^n x, Z)", 1, Takagi{}));
    v.push_back(functor("cantor", "monotone singular: the Cantor function", "Cantor(x)", 1, Cantor{}));
    v.push_back(functor("xsininv", "continuous, not of bounded variation: x sin(1/x), 0 at 0", "x*sin(1/x), 0 at 0", 1, XSinInvX{}));
    // The worked example of README "Add a target": one file, one line.
    v.push_back(functor("bump", "smooth bump (the README's worked example)", "exp(-50*(x-1/2)^2)", 1, ExampleBump{}));
    // 2-D
    v.push_back(expression("sinsin", "smooth: sin(pi x) sin(pi y)", "sin(pi*x1)*sin(pi*x2)", 2, true, "1e-1"));
    v.push_back(expression("gauss2", "smooth: exp(-(x^2+y^2))", "exp(-(x1^2+x2^2))", 2));
    v.push_back(expression("absdiff", "kink along the diagonal", "abs(x1-x2)", 2, true, "1e-1"));
    v.push_back(expression("cone", "cone at the centre", "max(0, 1-2*sqrt((x1-1/2)^2+(x2-1/2)^2))", 2));
    v.push_back(functor("takagi2", "nowhere differentiable: Takagi(x1) Takagi(x2)", "T(x1) T(x2)", 2, Takagi{}));
    // 3-D
    v.push_back(expression("sum3", "smooth: sin(x1+x2+x3)", "sin(x1+x2+x3)", 3));
    v.push_back(expression("kink3", "kink along a plane: |x1 - x2| + x3^2", "abs(x1-x2)+x3^2", 3));
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
