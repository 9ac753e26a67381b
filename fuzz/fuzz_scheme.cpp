// libFuzzer harness for the scheme loader and what runs on a loaded scheme
// before any verdict: structure check, target, exact forward pass, resume.
// Contract under test: any byte string is either a scheme or an InputError
// with a one-line message; nothing else escapes, nothing crashes, and the
// limits bound time and memory (smaller limits here keep executions fast).
#include "constructive/fast_eval.hpp"
#include "constructive/scheme_file.hpp"
#include "targets/target.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

using namespace mgdl;

namespace {
void one_line(const InputError& err) {
  if (std::string(err.what()).find('\n') != std::string::npos) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool init = [] {
    set_precision_bits(64);
    return true;
  }();
  (void)init;
  SchemeLimits lim;
  lim.max_bytes = 1 << 20;
  lim.max_digits = 2000;
  lim.max_width = 64;
  lim.max_layers = 64;
  lim.max_grades = 4096;
  Scheme s;
  try {
    s = parse_scheme(std::string(reinterpret_cast<const char*>(data), size), "fuzz.json", lim);
  } catch (const InputError& err) {
    one_line(err);
    return 0;
  }
  if (!structure_error(s.net).empty()) return 0;
  try {
    Target f = target_from_expression(s.target_expr, s.net.dim);
    (void)resume_state(s, f);
  } catch (const InputError& err) {
    one_line(err);
  }
  if (auto fast = FastNetwork::compile(s.net)) {
    GridPoint p(static_cast<std::size_t>(s.net.dim), 3);
    try {
      (void)fast->eval(p, 3);
    } catch (const std::overflow_error&) {
      // the checked integer pass refuses instead of wrapping: allowed
    }
  }
  return 0;
}
