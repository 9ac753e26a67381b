// libFuzzer harness for the expression parser and its three evaluators.
// Contract under test: any byte string either parses or throws InputError
// (a one-line message naming the column); a parsed expression evaluates in
// points, in intervals and in interval gradients without crashing, and
// interval evaluation is inclusion-isotone: the enclosure on a point inside a
// box lies inside the enclosure on the box whenever both are finite.
#include "targets/expr.hpp"

#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstdlib>
#include <string_view>

using namespace mgdl;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool init = [] {
    set_precision_bits(64);
    return true;
  }();
  (void)init;
  if (size > 4096) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Expr e;
  try {
    e = Expr::parse(text);
  } catch (const InputError& err) {
    if (std::string_view(err.what()).find('\n') != std::string_view::npos) std::abort();  // errors are one line
    return 0;
  }
  const int d = std::max(1, e.max_var());
  if (d > 16) return 0;
  std::vector<Real> x(static_cast<std::size_t>(d), Real(0.375));
  std::vector<Interval> box(static_cast<std::size_t>(d), make_interval(Real(0.25), Real(0.5)));
  (void)e.eval(std::span<const Real>(x));
  std::vector<Interval> pts(static_cast<std::size_t>(d), make_interval(Real(0.375), Real(0.375)));
  Interval iv = e.eval(std::span<const Interval>(pts));
  Interval bv = e.eval(std::span<const Interval>(box));
  Interval gv;
  std::vector<Interval> grad;
  e.eval_gradient(std::span<const Interval>(box), gv, grad);
  if (is_finite(iv) && is_finite(bv) && (lo(iv) < lo(bv) || hi(iv) > hi(bv))) std::abort();  // point box inside the box's enclosure
  return 0;
}
