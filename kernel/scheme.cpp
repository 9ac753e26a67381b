// Reading mgdl-scheme/1 files (see scheme.hpp): every limit is checked before
// the work it bounds, every number is an exact rational.
#include "kernel/scheme.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace mgdl {

namespace {
using J = nlohmann::ordered_json;

struct Reader {
  std::string file;
  const SchemeLimits& limits;
  [[noreturn]] void fail(const std::string& where, const std::string& what) const {
    throw InputError(file + ": " + where + ": " + what);
  }
  const J& field(const J& obj, const char* key, const std::string& where) const {
    if (!obj.is_object()) fail(where, "expected an object");
    auto it = obj.find(key);
    if (it == obj.end()) fail(where, std::string("missing field \"") + key + "\"");
    return *it;
  }
  long integer(const J& v, const std::string& where, long lo, long hi) const {
    if (!v.is_number_integer()) fail(where, "expected an integer");
    long x = v.get<long>();
    if (x < lo || x > hi) fail(where, "expected an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + std::to_string(x));
    return x;
  }
  Rational number(const J& v, const std::string& where) const {
    if (!v.is_string()) fail(where, "expected a string holding an exact rational");
    try {
      return parse_rational(v.get_ref<const std::string&>(), limits.max_digits);
    } catch (const InputError& e) {
      fail(where, e.what());
    }
  }
};
}  // namespace

namespace {
// Nesting depth of JSON text outside strings: a scheme needs 6 levels; a
// hostile file nested a million deep must not exhaust the stack.
std::size_t json_depth(const std::string& text) {
  std::size_t depth = 0, worst = 0;
  bool in_string = false, escaped = false;
  for (char ch : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (ch == '\\') escaped = true;
      else if (ch == '"') in_string = false;
    } else if (ch == '"') {
      in_string = true;
    } else if (ch == '[' || ch == '{') {
      worst = std::max(worst, ++depth);
    } else if ((ch == ']' || ch == '}') && depth > 0) {
      --depth;
    }
  }
  return worst;
}
}  // namespace

std::uint64_t scheme_read_memory_estimate(std::uint64_t file_bytes) { return 24 * file_bytes + (std::uint64_t{32} << 20); }

std::uint64_t available_memory_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  std::uint64_t kb = 0;
  std::string unit;
  while (in >> key >> kb >> unit)
    if (key == "MemAvailable:") return kb * 1024;
  return 0;
}

Scheme read_scheme(const std::string& path, const SchemeLimits& limits) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec || !std::filesystem::is_regular_file(path, ec)) throw InputError("cannot read scheme file " + path);
  if (size > limits.max_bytes)
    throw InputError(path + ": " + std::to_string(size) + " bytes, more than the limit of " + std::to_string(limits.max_bytes) + " (--max-file-bytes)");
  const std::uint64_t need = scheme_read_memory_estimate(size), avail = available_memory_bytes();
  if (avail > 0 && need > avail)
    throw InputError(path + ": reading it needs about " + std::to_string(need >> 20) + " MiB, only " + std::to_string(avail >> 20) + " MiB of memory are available");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot read scheme file " + path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_scheme(text, path, limits);
}

Scheme parse_scheme(const std::string& text, const std::string& path, const SchemeLimits& limits) {
  if (text.size() > limits.max_bytes)
    throw InputError(path + ": " + std::to_string(text.size()) + " bytes, more than the limit of " + std::to_string(limits.max_bytes) + " (--max-file-bytes)");
  if (json_depth(text) > limits.max_depth)
    throw InputError(path + ": JSON nested deeper than " + std::to_string(limits.max_depth) + " levels (--max-json-depth; a scheme needs 6)");
  Reader R{path, limits};
  J j;
  try {
    j = J::parse(text);
  } catch (const J::exception& e) {
    throw InputError(path + ": not valid JSON (" + std::string(e.what()) + ")");
  }
  Scheme s;
  const J& fmt = R.field(j, "format", "top level");
  if (!fmt.is_string() || fmt.get<std::string>() != kSchemeFormat)
    R.fail("format", std::string("expected \"") + kSchemeFormat + "\"");
  s.net.dim = static_cast<int>(R.integer(R.field(j, "dim", "top level"), "dim", 1, 16));
  s.net.width = static_cast<int>(R.integer(R.field(j, "width", "top level"), "width", 1, static_cast<long>(limits.max_width)));
  const J& t = R.field(j, "target", "top level");
  const J& expr = R.field(t, "expr", "target");
  if (!expr.is_string()) R.fail("target.expr", "expected a string");
  s.target_expr = expr.get<std::string>();
  if (t.contains("name") && t["name"].is_string()) s.target_name = t["name"].get<std::string>();
  if (j.contains("params")) s.params = j["params"];
  if (j.contains("result")) s.result = j["result"];
  if (j.contains("levels")) s.levels = j["levels"];
  if (j.contains("cell_bounds")) s.cell_bounds = j["cell_bounds"];
  const J& grades = R.field(j, "grades", "top level");
  if (!grades.is_array()) R.fail("grades", "expected an array");
  if (grades.size() > limits.max_grades)
    R.fail("grades", std::to_string(grades.size()) + " grades, more than the limit of " + std::to_string(limits.max_grades) + " (--max-file-grades)");
  // The constructor records how many grades it wrote: a file that says more
  // (or fewer) than it holds was cut short or edited.
  if (s.result.is_object() && s.result.contains("grades")) {
    const J& declared = s.result["grades"];
    if (!declared.is_number_unsigned() || declared.get<std::uint64_t>() != grades.size())
      R.fail("result.grades", "declares " + declared.dump() + " grades, but the file holds " + std::to_string(grades.size()));
  }
  for (std::size_t k = 0; k < grades.size(); ++k) {
    const std::string gw = "grades[" + std::to_string(k) + "]";
    const J& gj = grades[k];
    Grade g;
    if (gj.contains("level")) g.hint.level = static_cast<int>(R.integer(gj["level"], gw + ".level", 0, 1L << 30));
    if (gj.contains("m")) g.hint.m = static_cast<int>(R.integer(gj["m"], gw + ".m", 0, 62));
    if (gj.contains("node")) {
      const J& nd = gj["node"];
      if (!nd.is_array() || nd.size() != static_cast<std::size_t>(s.net.dim)) R.fail(gw + ".node", "expected " + std::to_string(s.net.dim) + " integers");
      for (std::size_t i = 0; i < nd.size(); ++i) g.hint.node.push_back(R.integer(nd[i], gw + ".node", 0, 1L << 62));
    }
    const J& layers = R.field(gj, "layers", gw);
    if (!layers.is_array() || layers.empty() || layers.size() > limits.max_layers)
      R.fail(gw + ".layers", "expected 1.." + std::to_string(limits.max_layers) + " layers (--max-layers)");
    for (std::size_t i = 0; i < layers.size(); ++i) {
      const std::string lw = gw + ".layers[" + std::to_string(i) + "]";
      // Sizes are read as they are; whether they fit the MGDL structure is
      // for structure_error() and the checker to judge.
      Layer L;
      const J& Wj = R.field(layers[i], "W", lw);
      const std::size_t max_width = limits.max_width;
      if (!Wj.is_array() || Wj.empty() || Wj.size() > max_width)
        R.fail(lw + ".W", "expected 1.." + std::to_string(max_width) + " rows (--max-width)");
      L.out = static_cast<int>(Wj.size());
      for (std::size_t r = 0; r < Wj.size(); ++r) {
        const J& row = Wj[r];
        if (!row.is_array() || row.empty() || row.size() > max_width || (r > 0 && row.size() != static_cast<std::size_t>(L.in)))
          R.fail(lw + ".W[" + std::to_string(r) + "]", r == 0 ? "expected 1.." + std::to_string(max_width) + " columns (--max-width)"
                                                             : "expected " + std::to_string(L.in) + " columns, like row 0");
        L.in = static_cast<int>(row.size());
        for (std::size_t cidx = 0; cidx < row.size(); ++cidx) {
          Rational v = R.number(row[cidx], lw + ".W[" + std::to_string(r) + "][" + std::to_string(cidx) + "]");
          if (v != 0) L.W.push_back({static_cast<int>(r), static_cast<int>(cidx), std::move(v)});
        }
      }
      const J& bj = R.field(layers[i], "b", lw);
      if (!bj.is_array() || bj.size() != Wj.size()) R.fail(lw + ".b", "expected " + std::to_string(Wj.size()) + " entries, one per row of W");
      for (std::size_t r = 0; r < bj.size(); ++r) {
        Rational v = R.number(bj[r], lw + ".b[" + std::to_string(r) + "]");
        if (v != 0) L.b.emplace_back(static_cast<int>(r), std::move(v));
      }
      g.layers.push_back(std::move(L));
    }
    const J& ro = R.field(gj, "readout", gw);
    const J& cj = R.field(ro, "c", gw + ".readout");
    const std::size_t last = static_cast<std::size_t>(g.layers.back().out);
    if (!cj.is_array() || cj.size() != last) R.fail(gw + ".readout.c", "expected " + std::to_string(last) + " entries, one per neuron of the last layer");
    for (std::size_t r = 0; r < cj.size(); ++r) {
      Rational v = R.number(cj[r], gw + ".readout.c[" + std::to_string(r) + "]");
      if (v != 0) g.readout.c.emplace_back(static_cast<int>(r), std::move(v));
    }
    g.readout.c0 = R.number(R.field(ro, "c0", gw + ".readout"), gw + ".readout.c0");
    s.net.grades.push_back(std::move(g));
  }
  return s;
}

}  // namespace mgdl
