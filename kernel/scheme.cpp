// Reading mgdl-scheme/1 files (see scheme.hpp): every limit is checked before
// the work it bounds, every number is an exact rational.
#include "kernel/scheme.hpp"

#include "kernel/hat_block.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <cstring>
#include <iterator>
#include <sstream>

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

namespace {
// One grade object (format 1, and the "g" lines of format 2); `gw` names it.
Grade parse_grade(const J& gj, const std::string& gw, int dim, const Reader& R) {
  const SchemeLimits& limits = R.limits;
  Grade g;
  if (gj.contains("level")) g.hint.level = static_cast<int>(R.integer(gj["level"], gw + ".level", 0, 1L << 30));
  if (gj.contains("m")) g.hint.m = static_cast<int>(R.integer(gj["m"], gw + ".m", 0, 62));
  if (gj.contains("node")) {
    const J& nd = gj["node"];
    if (!nd.is_array() || nd.size() != static_cast<std::size_t>(dim)) R.fail(gw + ".node", "expected " + std::to_string(dim) + " integers");
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
  return g;
}

// The head: everything but the grades (format 1: the document; format 2: its second line).
void parse_head(const J& j, Scheme& s, const Reader& R, const char* format) {
  const SchemeLimits& limits = R.limits;
  const J& fmt = R.field(j, "format", "top level");
  if (!fmt.is_string() || fmt.get<std::string>() != format)
    R.fail("format", std::string("expected \"") + format + "\"");
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
}
}  // namespace

namespace {
bool is_format2(std::string_view text) {
  const std::string_view tag = kSchemeFormat2;
  return text.substr(0, tag.size()) == tag && (text.size() == tag.size() || text[tag.size()] == '\n' || text[tag.size()] == '\r');
}
Scheme parse_format1(const std::string& text, const std::string& path, const SchemeLimits& limits);
// True when the stream starts with the format-2 tag; the stream is rewound.
bool stream_is_format2(std::istream& in) {
  char first[32] = {};
  in.read(first, sizeof first);
  const bool two = is_format2(std::string_view(first, static_cast<std::size_t>(in.gcount())));
  in.clear();
  in.seekg(0);
  return two;
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
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot read scheme file " + path);
  if (stream_is_format2(in)) {
    // Every grade expanded to its weights: the memory a hat grade takes as a
    // Network, from the head (streaming readers use SchemeReader instead).
    SchemeReader r(path, limits, true);
    Scheme s = r.head();
    const std::uint64_t declared = s.result.is_object() && s.result.contains("grades") ? s.result["grades"].get<std::uint64_t>() : 0;
    const std::uint64_t need = (std::uint64_t{32} << 20) + declared * 600 * static_cast<std::uint64_t>(s.net.width) * static_cast<std::uint64_t>(s.net.dim + 1),
                        avail = available_memory_bytes();
    if (avail > 0 && need > avail)
      throw InputError(path + ": holding its " + std::to_string(declared) + " grades as weights needs about " + std::to_string(need >> 20) +
                       " MiB, only " + std::to_string(avail >> 20) + " MiB of memory are available");
    // A file without a declared count is held to the same bound as it grows.
    const std::uint64_t per_grade = 600 * static_cast<std::uint64_t>(s.net.width) * static_cast<std::uint64_t>(s.net.dim + 1);
    Grade g;
    while (r.next(g)) {
      s.net.grades.push_back(std::move(g));
      if (avail > 0 && s.net.grades.size() % 4096 == 0 && (std::uint64_t{32} << 20) + s.net.grades.size() * per_grade > avail)
        throw InputError(path + ": holding more than " + std::to_string(s.net.grades.size()) + " grades as weights needs more than the " +
                         std::to_string(avail >> 20) + " MiB of memory available");
    }
    return s;
  }
  const std::uint64_t need = scheme_read_memory_estimate(size), avail = available_memory_bytes();
  if (avail > 0 && need > avail)
    throw InputError(path + ": reading it needs about " + std::to_string(need >> 20) + " MiB, only " + std::to_string(avail >> 20) + " MiB of memory are available");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_scheme(text, path, limits);
}


Scheme parse_scheme(const std::string& text, const std::string& path, const SchemeLimits& limits) {
  if (text.size() > limits.max_bytes)
    throw InputError(path + ": " + std::to_string(text.size()) + " bytes, more than the limit of " + std::to_string(limits.max_bytes) + " (--max-file-bytes)");
  if (!is_format2(text)) return parse_format1(text, path, limits);
  SchemeReader r(text, path, limits, true);
  Scheme s = r.head();
  Grade g;
  while (r.next(g)) s.net.grades.push_back(std::move(g));
  return s;
}

namespace {
Scheme parse_format1(const std::string& text, const std::string& path, const SchemeLimits& limits) {
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
  parse_head(j, s, R, kSchemeFormat);
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
  for (std::size_t k = 0; k < grades.size(); ++k)
    s.net.grades.push_back(parse_grade(grades[k], "grades[" + std::to_string(k) + "]", s.net.dim, R));
  s.format = 1;
  return s;
}
}  // namespace

// Format 2, line by line.
struct SchemeReader::Impl {
  std::string name;
  SchemeLimits limits;
  bool keep_bounds = true;
  Scheme head;
  // format 1: the parsed document's grades, handed out in order
  std::vector<Grade> v1;
  std::size_t v1_next = 0;
  // format 2
  std::unique_ptr<std::istream> in;
  std::size_t line_no = 0, count = 0;
  std::string line;
  bool pending = false, done = false;

  [[noreturn]] void fail(const std::string& what) const {
    throw InputError(name + " line " + std::to_string(line_no) + ": " + what);
  }
  // Format 1: the parsed document's grades are handed out by next().
  void take_format1(Scheme s) {
    v1 = std::move(s.net.grades);
    s.net.grades.clear();
    if (!keep_bounds) s.cell_bounds = nullptr;
    head = std::move(s);
  }
  bool read_line() {
    if (!std::getline(*in, line)) return false;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return true;
  }
  std::vector<std::string_view> tokens() const {
    std::vector<std::string_view> t;
    std::string_view v = line;
    while (!v.empty()) {
      const auto b = v.find_first_not_of(' ');
      if (b == std::string_view::npos) break;
      v.remove_prefix(b);
      const auto e = v.find(' ');
      t.push_back(v.substr(0, e));
      v.remove_prefix(e == std::string_view::npos ? v.size() : e);
    }
    return t;
  }
  std::int64_t integer(std::string_view tok, const char* what, std::int64_t lo, std::int64_t hi) const {
    std::int64_t v = 0;
    bool neg = !tok.empty() && tok[0] == '-';
    std::string_view digits = neg ? tok.substr(1) : tok;
    if (digits.empty() || digits.size() > 19 || digits.find_first_not_of("0123456789") != std::string_view::npos)
      fail(std::string(what) + ": expected an integer, got \"" + std::string(tok.substr(0, 40)) + "\"");
    for (char c : digits) {
      if (v > (INT64_MAX - (c - '0')) / 10)
        fail(std::string(what) + ": expected an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + std::string(tok.substr(0, 40)));
      v = v * 10 + (c - '0');
    }
    if (neg) v = -v;
    if (v < lo || v > hi)
      fail(std::string(what) + ": expected an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + std::to_string(v));
    return v;
  }
  Dyadic dyadic(std::string_view tok, const char* what) const {
    try {
      if (tok.find('/') != std::string_view::npos) return Dyadic::from_rational(parse_rational(tok, limits.max_digits));
      return parse_dyadic(tok, limits.max_digits);
    } catch (const InputError& e) {
      fail(std::string(what) + ": " + e.what());
    }
  }
  J json_line(std::string_view text, const char* what) const {
    if (json_depth(std::string(text)) > limits.max_depth)
      fail(std::string(what) + ": JSON nested deeper than " + std::to_string(limits.max_depth) + " levels (--max-json-depth)");
    try {
      return J::parse(text);
    } catch (const J::exception& e) {
      fail(std::string(what) + ": not valid JSON (" + e.what() + ")");
    }
  }

  void open() {
    if (!read_line() || line != kSchemeFormat2) fail(std::string("expected the first line \"") + kSchemeFormat2 + "\"");
    if (!read_line()) fail("expected the head (a JSON object) on the second line");
    Reader R{name + " line 2", limits};
    parse_head(json_line(line, "head"), head, R, kSchemeFormat2);
    head.format = 2;
    if (!head.cell_bounds.is_null()) fail("the head holds \"cell_bounds\"; in mgdl-scheme/2 the bound map is on \"b\" lines");
    if (head.result.is_object() && head.result.contains("grades")) {
      const J& declared = head.result["grades"];
      if (!declared.is_number_unsigned()) fail("result.grades: expected a count of grades");
      if (declared.get<std::uint64_t>() > limits.max_grades)
        fail("result.grades: " + std::to_string(declared.get<std::uint64_t>()) + " grades, more than the limit of " +
             std::to_string(limits.max_grades) + " (--max-file-grades)");
    }
    // The bound map comes before the grades.
    const int d = head.net.dim;
    while (read_line()) {
      if (line.rfind("b ", 0) != 0) {
        pending = true;
        return;
      }
      const auto t = tokens();
      if (t.size() != static_cast<std::size_t>(d) + 3) fail("a bound line is \"b L Q_1..Q_" + std::to_string(d) + " BOUND\"");
      const std::int64_t L = integer(t[1], "bound level", 0, 62);
      J row = J::array();
      row.push_back(L);
      for (int i = 0; i < d; ++i) row.push_back(integer(t[static_cast<std::size_t>(i) + 2], "bound cell", 0, (std::int64_t{1} << L) - 1));
      const std::string_view b = t.back();
      if (b == "inf") row.push_back("inf");
      else row.push_back(to_string(dyadic(b, "bound").to_rational()));
      if (keep_bounds) {
        if (head.cell_bounds.is_null()) head.cell_bounds = J::array();
        head.cell_bounds.push_back(std::move(row));
      }
    }
    fail("cut short: no grades and no \"end\" line");
  }

  bool next(Grade& g) {
    if (done) return false;
    if (!pending && !read_line()) fail("cut short after " + std::to_string(count) + " grades: no \"end K\" line");
    pending = false;
    const int d = head.net.dim;
    const std::string gw = "grade " + std::to_string(count + 1);
    if (line.rfind("end", 0) == 0) {
      const auto t = tokens();
      if (t.size() != 2 || t[0] != "end") fail("expected \"end K\"");
      const auto K = static_cast<std::size_t>(integer(t[1], "end", 0, static_cast<std::int64_t>(limits.max_grades)));
      if (K != count) fail("\"end\" counts " + std::to_string(K) + " grades, but the file holds " + std::to_string(count));
      if (head.result.is_object() && head.result.contains("grades") && head.result["grades"].get<std::uint64_t>() != count)
        fail("result.grades declares " + head.result["grades"].dump() + " grades, but the file holds " + std::to_string(count));
      while (read_line())
        if (!line.empty()) fail("text after the \"end\" line");
      done = true;
      return false;
    }
    if (count >= limits.max_grades)
      fail("more than the limit of " + std::to_string(limits.max_grades) + " grades (--max-file-grades)");
    if (line.rfind("h ", 0) == 0) {
      const auto t = tokens();
      if (t.size() != static_cast<std::size_t>(d) + 4) fail(gw + ": a hat record is \"h LEVEL M Z_1..Z_" + std::to_string(d) + " A\"");
      const auto level = static_cast<int>(integer(t[1], "level", 0, std::int64_t{1} << 30));
      const auto m = static_cast<int>(integer(t[2], "m", 0, 62));
      std::vector<std::int64_t> z(static_cast<std::size_t>(d));
      for (int i = 0; i < d; ++i) z[static_cast<std::size_t>(i)] = integer(t[static_cast<std::size_t>(i) + 3], "node", 0, std::int64_t{1} << m);
      g = hat_block(d, m, z, dyadic(t.back(), "amplitude"), count == 0);
      g.hint.level = level;
    } else if (line.rfind("g ", 0) == 0) {
      Reader R{name + " line " + std::to_string(line_no), limits};
      g = parse_grade(json_line(std::string_view(line).substr(2), "grade"), gw, d, R);
    } else {
      fail(gw + ": expected a grade line (\"h ...\" or \"g {...}\") or \"end K\"");
    }
    ++count;
    return true;
  }
};

SchemeReader::SchemeReader(const std::string& path, const SchemeLimits& limits, bool keep_cell_bounds) : impl_(std::make_unique<Impl>()) {
  impl_->name = path;
  impl_->limits = limits;
  impl_->keep_bounds = keep_cell_bounds;
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec || !std::filesystem::is_regular_file(path, ec)) throw InputError("cannot read scheme file " + path);
  if (size > limits.max_bytes)
    throw InputError(path + ": " + std::to_string(size) + " bytes, more than the limit of " + std::to_string(limits.max_bytes) + " (--max-file-bytes)");
  auto in = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!*in) throw InputError("cannot read scheme file " + path);
  if (!stream_is_format2(*in)) {
    impl_->take_format1(read_scheme(path, limits));
    return;
  }
  impl_->in = std::move(in);
  impl_->open();
}

SchemeReader::SchemeReader(const std::string& text, const std::string& name, const SchemeLimits& limits, bool keep_cell_bounds)
    : impl_(std::make_unique<Impl>()) {
  impl_->name = name;
  impl_->limits = limits;
  impl_->keep_bounds = keep_cell_bounds;
  if (text.size() > limits.max_bytes)
    throw InputError(name + ": " + std::to_string(text.size()) + " bytes, more than the limit of " + std::to_string(limits.max_bytes) + " (--max-file-bytes)");
  if (!is_format2(text)) {
    impl_->take_format1(parse_format1(text, name, limits));
    return;
  }
  impl_->in = std::make_unique<std::istringstream>(text);
  impl_->open();
}

SchemeReader::~SchemeReader() = default;

const Scheme& SchemeReader::head() const { return impl_->head; }

bool SchemeReader::next(Grade& g) {
  if (!impl_->in) {
    if (impl_->v1_next >= impl_->v1.size()) return false;
    g = std::move(impl_->v1[impl_->v1_next]);
    impl_->v1[impl_->v1_next++] = Grade{};
    return true;
  }
  return impl_->next(g);
}

std::size_t SchemeReader::grades_read() const { return impl_->in ? impl_->count : impl_->v1_next; }

}  // namespace mgdl
