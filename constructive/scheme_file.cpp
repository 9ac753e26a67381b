// Reading and writing mgdl-scheme/1 files.
#include "constructive/scheme_file.hpp"

#include "constructive/block.hpp"

#include <cstdio>
#include <algorithm>
#include <fstream>
#include <iterator>
#include <filesystem>
#include <limits>
#include <map>
#include <span>
#include <sstream>
#include <sys/stat.h>
#include <fcntl.h>
#include <optional>
#include <unistd.h>

namespace mgdl {

namespace {
std::string real_exact(const Real& x) {
  if (!mpfr_number_p(x.backend().data())) return mpfr_inf_p(x.backend().data()) ? "inf" : "nan";
  return Dyadic::toward_zero(x, static_cast<unsigned>(mpfr_get_prec(x.backend().data()))).str();
}
}  // namespace

Scheme to_scheme(const Construction& c) {
  Scheme s = scheme_head(c);
  s.net = to_network(c);
  return s;
}

Scheme scheme_head(const Construction& c, bool cell_bounds) {
  Scheme s;
  s.net.dim = c.target.dim;
  s.net.width = hat_block_width(c.target.dim);
  s.target_name = c.target.name;
  s.target_expr = c.target.expr;
  const auto& o = c.options;
  s.params = {{"rule", to_string(o.rule)},
              {"schedule", to_string(o.schedule)},
              {"kappa", to_string(o.kappa)},
              {"theta", o.theta.str()},
              {"precision", c.bits},
              {"eps", to_string(o.eps)},
              {"max_grades", o.max_grades},
              {"max_level", o.max_level},
              {"start_depth", o.start_depth},
              {"max_depth", o.max_depth},
              {"defect_depth", o.defect_depth},
              {"last_theta", o.last_theta.str()}};
  s.result = {{"stop", to_string(c.stop)}, {"grades", c.grades.size()}, {"levels", c.levels.size()},
              {"bound", real_exact(c.bound)}};
  // max-level: the node whose patch did not contract, at grid level m (resume
  // of a cell-engine run that ended there changes nothing).
  if (c.stop == StopReason::MaxLevel && c.stuck_m >= 0)
    s.result["stuck"] = {{"m", c.stuck_m}, {"node", c.stuck_node}};
  if (cell_bounds && !c.cell_bounds.empty()) {
    s.cell_bounds = nlohmann::ordered_json::array();
    for (const auto& cb : c.cell_bounds) {
      nlohmann::ordered_json row = nlohmann::ordered_json::array();
      row.push_back(cb.level);
      for (auto v : cb.q) row.push_back(v);
      row.push_back(real_exact(cb.bound));
      s.cell_bounds.push_back(std::move(row));
    }
  }
  s.levels = nlohmann::ordered_json::array();
  for (const auto& L : c.levels)
    s.levels.push_back({{"level", L.level},
                        {"m", L.m},
                        {"first_grade", L.first_grade},
                        {"grades", L.grades},
                        {"norm_lo", real_exact(L.norm_lo)},
                        {"norm_hi", real_exact(L.norm_hi)},
                        {"bound", real_exact(L.bound)},
                        {"truncated", L.truncated}});
  return s;
}

namespace {
// The same affine map: equal shapes and equal nonzero entries. The file is
// dense and its reader keeps only nonzero entries, while hat_block lists a
// zero bias for a node on the boundary of the cube (z_i = 0), so explicit
// zeros must not count.
bool same_layer(const Layer& a, const Layer& b) {
  if (a.out != b.out || a.in != b.in) return false;
  auto weights = [](const Layer& L) {
    std::map<std::pair<int, int>, Rational> m;
    for (const auto& e : L.W)
      if (e.v != 0) m[{e.row, e.col}] += e.v;
    std::erase_if(m, [](const auto& kv) { return kv.second == 0; });
    return m;
  };
  auto biases = [](const Layer& L) {
    std::map<int, Rational> m;
    for (const auto& [r, v] : L.b)
      if (v != 0) m[r] += v;
    std::erase_if(m, [](const auto& kv) { return kv.second == 0; });
    return m;
  };
  return weights(a) == weights(b) && biases(a) == biases(b);
}
Real exact_real(const std::string& text) {
  if (text == "inf") return Real(std::numeric_limits<double>::infinity());
  Rational q = parse_rational(text);
  Real r;
  mpfr_set_q(r.backend().data(), q.backend().data(), MPFR_RNDN);  // exact: written from a Real
  return r;
}
}  // namespace

Construction resume_state(const Scheme& s, const Target& f) {
  std::size_t next = 0;
  return resume_state(s, f, [&](Grade& g) {
    if (next >= s.net.grades.size()) return false;
    g = s.net.grades[next++];
    return true;
  });
}

Construction resume_state(SchemeReader& r, const Target& f) {
  return resume_state(r.head(), f, [&](Grade& g) { return r.next(g); });
}

Construction resume_state(const Scheme& s, const Target& f, const std::function<bool(Grade&)>& next_grade) {
  auto bad = [](const std::string& what) { return InputError("cannot resume: " + what); };
  if (s.params.is_null() || s.levels.is_null() || !s.params.contains("kappa")) throw bad("the file has no construction parameters or history");
  Construction c;
  c.target = f;
  try {
    auto& o = c.options;
    if (s.params.contains("rule")) o.rule = parse_rule(s.params.at("rule").get<std::string>());
    if (s.params.contains("schedule")) o.schedule = parse_schedule(s.params.at("schedule").get<std::string>());
    o.kappa = parse_rational(s.params.at("kappa").get<std::string>());
    o.theta = Dyadic::from_rational(parse_rational(s.params.at("theta").get<std::string>()));
    o.eps = parse_rational(s.params.at("eps").get<std::string>());
    o.max_grades = s.params.at("max_grades").get<std::size_t>();
    o.max_level = s.params.at("max_level").get<int>();
    o.start_depth = s.params.at("start_depth").get<int>();
    o.max_depth = s.params.at("max_depth").get<int>();
    // Files written before the option existed were built without sub-simplices.
    o.defect_depth = s.params.contains("defect_depth") ? s.params.at("defect_depth").get<int>() : 0;
    if (o.defect_depth < 0 || o.defect_depth > 4) throw bad("params.defect_depth must lie in 0..4");
    // Files written before the option existed have no last level.
    if (s.params.contains("last_theta")) {
      const Rational lt = parse_rational(s.params.at("last_theta").get<std::string>());
      if (lt < 0 || lt >= 1) throw bad("params.last_theta must lie in [0, 1)");
      o.last_theta = Dyadic::from_rational(lt);
    }
    c.bits = s.params.at("precision").get<unsigned>();
    for (const auto& L : s.levels) {
      LevelRecord r;
      r.level = L.at("level").get<int>();
      r.m = L.at("m").get<int>();
      r.first_grade = L.at("first_grade").get<std::size_t>();
      r.grades = L.at("grades").get<std::size_t>();
      r.norm_lo = exact_real(L.at("norm_lo").get<std::string>());
      r.norm_hi = exact_real(L.at("norm_hi").get<std::string>());
      r.bound = exact_real(L.at("bound").get<std::string>());
      r.truncated = L.at("truncated").get<bool>();
      c.levels.push_back(r);
    }
    if (s.result.is_object() && s.result.contains("stuck") && s.result.value("stop", "") == to_string(StopReason::MaxLevel)) {
      const auto& st = s.result.at("stuck");
      c.stuck_m = st.at("m").get<int>();
      for (const auto& v : st.at("node")) c.stuck_node.push_back(v.get<std::int64_t>());
      if (c.stuck_m < 0 || c.stuck_m > 62 || c.stuck_node.size() != static_cast<std::size_t>(s.net.dim)) throw bad("malformed result.stuck");
      for (auto v : c.stuck_node)
        if (v < 0 || v > (std::int64_t{1} << c.stuck_m)) throw bad("malformed result.stuck");
      c.stop = StopReason::MaxLevel;
    }
    if (!s.cell_bounds.is_null()) {
      for (const auto& row : s.cell_bounds) {
        if (!row.is_array() || row.size() != static_cast<std::size_t>(s.net.dim) + 2) throw bad("malformed cell_bounds");
        Construction::CellBound cb;
        cb.level = row.at(0).get<int>();
        if (cb.level < 0 || cb.level > 62) throw bad("malformed cell_bounds");
        for (int i = 0; i < s.net.dim; ++i) {
          std::int64_t v = row.at(static_cast<std::size_t>(i) + 1).get<std::int64_t>();
          if (v < 0 || v >= (std::int64_t{1} << cb.level)) throw bad("malformed cell_bounds");
          cb.q.push_back(v);
        }
        cb.bound = exact_real(row.at(static_cast<std::size_t>(s.net.dim) + 1).get<std::string>());
        c.cell_bounds.push_back(std::move(cb));
      }
    }
  } catch (const nlohmann::ordered_json::exception& e) {
    throw bad(std::string("malformed params or levels (") + e.what() + ")");
  }
  const int d = s.net.dim;
  Grade g;
  for (std::size_t k = 0; next_grade(g); ++k) {
    if (!valid_node(g.hint.m, g.hint.node, d) || g.readout.c.size() != 1)
      throw bad("grade " + std::to_string(k + 1) + " is not a hat block written by mgdl construct");
    Dyadic a = Dyadic::from_rational(g.readout.c[0].second);
    Grade expect = hat_block(d, g.hint.m, g.hint.node, a, k == 0);
    bool same = g.layers.size() == expect.layers.size() && g.readout.c0 == 0 && g.readout.c[0].first == expect.readout.c[0].first;
    for (std::size_t i = 0; same && i < g.layers.size(); ++i) same = same_layer(g.layers[i], expect.layers[i]);
    if (!same) throw bad("grade " + std::to_string(k + 1) + " differs from the constructor's hat block");
    c.grades.push_back({g.hint.level, g.hint.m, g.hint.node, a});
  }
  std::size_t counted = 0;
  for (const auto& L : c.levels) counted += L.grades;
  if (counted != c.grades.size()) throw bad("the level history counts " + std::to_string(counted) + " grades, the file has " + std::to_string(c.grades.size()));
  return c;
}

void write_file_atomic(const std::string& path, const std::string& text) {
  write_file_atomic(path, [&](std::ostream& os) { os.write(text.data(), static_cast<std::streamsize>(text.size())); });
}

void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& write) {
  std::string tmp = path + ".tmp.XXXXXX";
  int fd = mkstemp(tmp.data());
  if (fd < 0) throw InputError("cannot write " + path + ": cannot create a temporary file beside it");
  ::close(fd);
  bool ok = true;
  try {
    std::ofstream os(tmp, std::ios::binary | std::ios::trunc);
    write(os);
    os.flush();
    ok = static_cast<bool>(os);
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
  // mkstemp creates the file private (0600); a scheme is meant to be shared,
  // so give it the mode a plain open() would: 0666 less the umask.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  fd = ok ? ::open(tmp.c_str(), O_RDONLY) : -1;
  ok = ok && fd >= 0;
  ok = ok && ::fchmod(fd, 0666 & ~mask) == 0;
  ok = ok && ::fsync(fd) == 0;
  if (fd >= 0) ok = (::close(fd) == 0) && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw InputError("cannot write " + path);
  }
}

namespace {
void write_layer(std::ostream& os, const Layer& L) {
  std::vector<std::vector<std::string>> W(static_cast<std::size_t>(L.out), std::vector<std::string>(static_cast<std::size_t>(L.in), "0"));
  std::vector<std::string> b(static_cast<std::size_t>(L.out), "0");
  for (const auto& e : L.W) W[static_cast<std::size_t>(e.row)][static_cast<std::size_t>(e.col)] = to_string(e.v);
  for (const auto& [r, v] : L.b) b[static_cast<std::size_t>(r)] = to_string(v);
  os << "{\"W\": " << nlohmann::json(W).dump() << ", \"b\": " << nlohmann::json(b).dump() << "}";
}
}  // namespace

namespace {
void write_grade_json(std::ostream& os, const Grade& g) {
  os << "{";
  if (g.hint.level >= 0) os << "\"level\": " << g.hint.level << ", ";
  if (g.hint.m >= 0) os << "\"m\": " << g.hint.m << ", \"node\": " << nlohmann::json(g.hint.node).dump() << ", ";
  os << "\"layers\": [";
  for (std::size_t i = 0; i < g.layers.size(); ++i) {
    if (i) os << ", ";
    write_layer(os, g.layers[i]);
  }
  std::vector<std::string> c(static_cast<std::size_t>(g.layers.back().out), "0");
  for (const auto& [col, v] : g.readout.c) c[static_cast<std::size_t>(col)] = to_string(v);
  os << "], \"readout\": {\"c\": " << nlohmann::json(c).dump() << ", \"c0\": \"" << to_string(g.readout.c0) << "\"}}";
}

void write_format1(std::ostream& os, const Scheme& s) {
  os << "{\n\"format\": \"" << kSchemeFormat << "\",\n\"dim\": " << s.net.dim << ",\n\"width\": " << s.net.width
     << ",\n\"target\": " << nlohmann::ordered_json{{"name", s.target_name}, {"expr", s.target_expr}}.dump()
     << ",\n\"params\": " << s.params.dump() << ",\n\"result\": " << s.result.dump()
     << ",\n\"levels\": " << (s.levels.is_null() ? "[]" : s.levels.dump());
  if (!s.cell_bounds.is_null()) os << ",\n\"cell_bounds\": " << s.cell_bounds.dump();
  os << ",\n\"grades\": [";
  for (std::size_t k = 0; k < s.net.grades.size(); ++k) {
    os << (k ? ",\n" : "\n");
    write_grade_json(os, s.net.grades[k]);
  }
  os << "\n]\n}\n";
}

// A row "b level q_1 .. q_d bound" of the bound map (bound as real_exact spells it).
void write_bound_row(std::ostream& os, std::int64_t level, std::span<const std::int64_t> q, const std::string& b) {
  os << "b " << level;
  for (auto v : q) os << " " << v;
  os << " " << (b == "inf" ? b : dyadic_text(Dyadic::from_rational(parse_rational(b)))) << "\n";
}

// Format 2: the head line and the bound map (from the head's JSON rows, when
// it has them).
void write_format2_head(std::ostream& os, const Scheme& s) {
  os << kSchemeFormat2 << "\n";
  nlohmann::ordered_json head{{"format", kSchemeFormat2}, {"dim", s.net.dim}, {"width", s.net.width},
                              {"target", {{"name", s.target_name}, {"expr", s.target_expr}}}};
  if (!s.params.is_null()) head["params"] = s.params;
  if (!s.result.is_null()) head["result"] = s.result;
  head["levels"] = s.levels.is_null() ? nlohmann::ordered_json::array() : s.levels;
  os << head.dump() << "\n";
  if (s.cell_bounds.is_array())
    for (const auto& row : s.cell_bounds) {
      std::vector<std::int64_t> q;
      for (std::size_t i = 1; i + 1 < row.size(); ++i) q.push_back(row[i].get<std::int64_t>());
      write_bound_row(os, row[0].get<std::int64_t>(), q, row.back().get<std::string>());
    }
}

void write_hat_record(std::ostream& os, int level, int m, const GridPoint& node, const Dyadic& a) {
  os << "h " << level << " " << m;
  for (auto v : node) os << " " << v;
  os << " " << dyadic_text(a) << "\n";
}
}  // namespace

void write_scheme(const std::string& path, const Scheme& s) {
  if (s.format != 1 && s.format != 2) throw InputError("unknown scheme format " + std::to_string(s.format));
  write_file_atomic(path, [&](std::ostream& os) {
    if (s.format == 1) return write_format1(os, s);
    write_format2_head(os, s);
    const int d = s.net.dim;
    for (std::size_t k = 0; k < s.net.grades.size(); ++k) {
      const Grade& g = s.net.grades[k];
      // A hat record only when the grade is exactly the block it names.
      bool hat = g.hint.level >= 0 && valid_node(g.hint.m, g.hint.node, d) && g.readout.c.size() == 1 && g.readout.c0 == 0;
      std::optional<Dyadic> a;
      if (hat) {
        try {
          a = Dyadic::from_rational(g.readout.c[0].second);
        } catch (const InputError&) {
          hat = false;
        }
      }
      if (hat) {
        const Grade expect = hat_block(d, g.hint.m, g.hint.node, *a, k == 0);
        hat = g.layers.size() == expect.layers.size() && g.readout.c[0].first == expect.readout.c[0].first;
        for (std::size_t i = 0; hat && i < g.layers.size(); ++i) hat = same_layer(g.layers[i], expect.layers[i]);
      }
      if (hat) {
        write_hat_record(os, g.hint.level, g.hint.m, g.hint.node, *a);
      } else {
        os << "g ";
        write_grade_json(os, g);
        os << "\n";
      }
    }
    os << "end " << s.net.grades.size() << "\n";
  });
}

void write_construction(const std::string& path, const Construction& c, int format) {
  if (format == 1) return write_scheme(path, to_scheme(c));
  if (format != 2) throw InputError("unknown scheme format " + std::to_string(format));
  const Scheme head = scheme_head(c, false);
  write_file_atomic(path, [&](std::ostream& os) {
    write_format2_head(os, head);
    for (const auto& cb : c.cell_bounds) write_bound_row(os, cb.level, cb.q, real_exact(cb.bound));
    for (const auto& g : c.grades) write_hat_record(os, g.level, g.m, g.node, g.a);
    os << "end " << c.grades.size() << "\n";
  });
}

}  // namespace mgdl
