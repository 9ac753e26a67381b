// mgdl: command-line front end (targets, construct, eval, defaults).
#include "constructive/block.hpp"
#include "constructive/compose.hpp"
#include "constructive/import.hpp"
#include "train/train.hpp"
#include "theorems/experiments.hpp"
#include "theorems/baseline.hpp"
#include "kernel/rounding.hpp"
#include "constructive/fast_eval.hpp"
#include "constructive/scheme_file.hpp"
#include "targets/catalogue.hpp"
#include "theorems/theorems.hpp"
#include "verify/checker.hpp"
#include "cluster/mpi_comm.hpp"

#include <CLI/CLI.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <optional>
#include <filesystem>
#include <unistd.h>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

using namespace mgdl;

namespace {
// The ranks of this run when mpirun started it (null: one process).
const Comm* g_comm = nullptr;
// "rank r of N: " when there is more than one rank.
std::string rank_text() {
  return comm_size(g_comm) > 1 ? "rank " + std::to_string(comm_rank(g_comm)) + " of " + std::to_string(comm_size(g_comm)) + ": " : "";
}
}  // namespace
using json = nlohmann::ordered_json;

namespace {

constexpr int kExitOk = 0, kExitRefuted = 1, kExitLimit = 3, kExitUndecided = 3, kExitInput = 2, kExitInterrupted = 130;

std::string fmt(const Real& x, int digits = 4) { return to_decimal(x, digits); }
// A certified enclosure printed outward: lower end rounded down, upper end up.
std::string outward(const Real& lo, const Real& hi, int digits = 4) {
  return "[" + decimal_down(lo, digits) + ", " + decimal_up(hi, digits) + "]";
}

Dyadic theta_from(const std::string& s, const char* option = "--theta") {
  Rational q = parse_decimal(s);
  if (q <= 0 || q >= 1) throw InputError(std::string(option) + " must lie in (0, 1), got " + s + " (with theta = 1 the residual can reach 0 on a region, where C2 cannot be certified)");
  Real r;
  mpfr_set_q(r.backend().data(), q.backend().data(), MPFR_RNDD);  // a smaller theta keeps Lemma 1
  return Dyadic::toward_zero(r, precision_bits());
}

struct ConstructArgs {
  std::string target, out, resume, eps = "1e-2", kappa, theta = "255/256", last_theta, rule = "second-order", schedule = "local";
  int dim = 0, max_level = -1, start_depth = 1, max_depth = 8, defect_depth = -1;
  std::size_t max_grades = 1000000;
  unsigned precision = 128, threads = 0;
  int format = 0;  // scheme file format: 0 = default (2; with --resume, the resumed file's)
  double time_limit = 0;
  bool json = false, quiet = false, compose = false;
  bool eps_given = false;                // --eps on the command line (with --resume: a new tolerance)
  std::vector<std::string> fixed_given;  // options a resumed scheme fixes, given anyway
};

// Limits of the scheme reader, shared by every command that reads a scheme.
SchemeLimits g_limits;

// For options held in unsigned integers: the text must be a plain decimal
// count (CLI11 would take "-1" or 2^64 + 1 and wrap them around).
const CLI::Validator kWhole(
    [](std::string& s) -> std::string {
      if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos)
        return "expected a whole number (at most 18 digits), got " + s;
      return "";
    },
    "WHOLE");

void add_limit_options(CLI::App* app) {
  app->add_option("--max-file-bytes", g_limits.max_bytes, "Largest scheme file read")->capture_default_str()->check(kWhole);
  app->add_option("--max-json-depth", g_limits.max_depth, "Deepest JSON nesting read")->capture_default_str()->check(kWhole);
  app->add_option("--max-width", g_limits.max_width, "Most neurons per layer and inputs per neuron read")->capture_default_str()->check(kWhole);
  app->add_option("--max-layers", g_limits.max_layers, "Most layers per grade read")->capture_default_str()->check(kWhole);
  app->add_option("--max-file-grades", g_limits.max_grades, "Most grades per file read")->capture_default_str()->check(kWhole);
  app->add_option("--max-digits", g_limits.max_digits, "Most digits of a numerator or denominator read")->capture_default_str()->check(kWhole);
}

ScheduleOptions schedule_options(const ConstructArgs& a, const Target& f) {
  ScheduleOptions o;
  o.eps = parse_decimal(a.eps);
  o.rule = parse_rule(a.rule);
  o.schedule = parse_schedule(a.schedule);
  // kappa: 1/16 for the second-order rule on a target with a Hessian, else 1/2 (default_kappa).
  o.kappa = !a.kappa.empty() ? parse_decimal(a.kappa) : default_kappa(o.rule, f);
  o.defect_depth = a.defect_depth;
  o.theta = theta_from(a.theta);
  // The last level (docs/theory.md 8.2): 1 - 2^-16 with the second-order rule, none with first order; "none" turns it off.
  if (a.last_theta.empty()) o.last_theta = default_last_theta(o.rule);
  else if (a.last_theta != "none") o.last_theta = theta_from(a.last_theta, "--last-theta");
  o.max_grades = a.max_grades;
  o.max_level = a.max_level;
  o.start_depth = a.start_depth;
  o.max_depth = a.max_depth;
  o.threads = a.threads;
  return o;
}

void attach_progress(ScheduleOptions& o, bool quiet) {
  if (quiet) return;
  auto start = std::chrono::steady_clock::now();
  auto last = std::make_shared<double>(0.0);
  o.progress = [start, last](int level, int m, std::size_t grades, const Real& bound) {
    double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (t < 2.0 || t - *last < 1.0) return;
    *last = t;
    std::cerr << "[mgdl " << std::fixed << std::setprecision(0) << t << "s] level " << level << ", m = " << m
              << ", " << grades << " grades, ||r||_inf <= " << decimal_up(bound, 3) << "\n";
  };
}

std::string point_text(const GridPoint& z, int m) {
  std::string s = "(";
  for (std::size_t i = 0; i < z.size(); ++i) s += (i ? ", " : "") + to_string(Dyadic(Integer(z[i]), -m).to_rational());
  return s + ")";
}

// A tolerance as the user would write it: exact decimal when it has one
// (1/100 -> 0.01), else the fraction.
std::string eps_text(const Rational& q) {
  Rational t = q;
  for (int k = 0; k <= 40; ++k, t *= 10) {
    if (bmp::denominator(t) != 1) continue;
    std::string digits = bmp::numerator(bmp::abs(t)).str();
    if (k > 0) {
      if (digits.size() <= static_cast<std::size_t>(k)) digits.insert(0, static_cast<std::size_t>(k) + 1 - digits.size(), '0');
      digits.insert(digits.size() - static_cast<std::size_t>(k), ".");
    }
    return (q < 0 ? "-" : "") + digits;
  }
  return to_string(q);
}

int cmd_targets(bool as_json) {
  if (as_json) {
    json arr = json::array();
    for (const auto& e : catalogue())
      arr.push_back({{"name", e.target.name}, {"dim", e.target.dim}, {"expr", e.target.expr}, {"description", e.target.description}});
    std::cout << arr.dump(2) << "\n";
    return kExitOk;
  }
  // Columns as wide as their longest entry plus two spaces: they never run together.
  std::size_t wn = 4, we = 10;
  for (const auto& e : catalogue()) {
    wn = std::max(wn, e.target.name.size());
    we = std::max(we, e.target.expr.size());
  }
  const int cn = static_cast<int>(wn + 2), ce = static_cast<int>(we + 2);
  std::cout << std::left << std::setw(cn) << "name" << std::setw(5) << "dim" << std::setw(ce) << "expression" << "description\n";
  for (const auto& e : catalogue())
    std::cout << std::setw(cn) << e.target.name << std::setw(5) << e.target.dim << std::setw(ce) << e.target.expr << e.target.description << "\n";
  return kExitOk;
}

Target scheme_target(const Scheme& s) {
  if (auto t = find_target(s.target_name); t && t->expr == s.target_expr && t->dim == s.net.dim) return *t;
  return target_from_expression(s.target_expr, s.net.dim, s.target_name.empty() ? "expr" : s.target_name);
}

// Set by SIGINT/SIGTERM: the construction stops at the next patch and the
// scheme of its completed levels is written.
std::atomic<bool> g_interrupted{false};
extern "C" void on_signal(int) { g_interrupted.store(true); }

// construct --compose: the composition construction of l(1 - l) (constructive/compose.hpp).
int cmd_compose(const ConstructArgs& a) {
  if (comm_size(g_comm) > 1) throw InputError("--compose runs on one rank only (it has nothing to share)");
  for (const auto& name : a.fixed_given)
    if (name != "--dim" && name != "--max-grades")
      throw InputError(name + " cannot be combined with --compose (it builds l(1-l) from composed teeth; only --dim, --eps and --max-grades apply)");
  if (!a.resume.empty()) throw InputError("--compose cannot be combined with --resume");
  if (!a.target.empty()) throw InputError("--compose builds its own target l(1-l); drop --target");
  if (a.out.empty()) throw InputError("construct needs -o FILE");
  const Rational eps = parse_decimal(a.eps);
  const int d = a.dim == 0 ? 1 : a.dim;
  int K = compose_grades_for(eps);
  const bool capped = a.max_grades < static_cast<std::size_t>(K);
  if (capped) K = static_cast<int>(a.max_grades);
  Scheme s = compose_scheme(K, d, eps);
  s.format = a.format == 1 ? 1 : 2;
  if (capped) s.result["stop"] = "max-grades";
  write_scheme(a.out, s);
  if (a.json) {
    std::cout << json{{"target", {{"name", s.target_name}, {"expr", s.target_expr}, {"dim", d}}}, {"width", 2}, {"depth_per_grade", 1},
                      {"result", s.result}, {"file", a.out}}.dump(2) << "\n";
  } else {
    std::cout << "composition: " << s.target_expr << " (d = " << d << ", width 2, depth 1 per grade), " << K
              << " grades, ||r_K||_inf = 2^-" << 2 * K + 2 << " = " << decimal_up(up(Rational(1, Integer(1) << (2 * K + 2))), 4) << " (eps "
              << a.eps << "; certify with mgdl verify)\nwrote " << a.out << "\n";
  }
  return capped ? kExitLimit : kExitOk;
}

int cmd_construct(const ConstructArgs& a) {
  if (a.compose) return cmd_compose(a);
  std::optional<Construction> resumed;
  Target f;
  ScheduleOptions o;
  std::string out = a.out;
  int format = a.format;
  if (!a.resume.empty()) {
    if (!a.fixed_given.empty())
      throw InputError(a.fixed_given.front() + " cannot be combined with --resume: the scheme file fixes it (only --eps, --threads, --time-limit and -o may change)");
    // Everything but the output file and the tolerance comes from the scheme being resumed.
    SchemeReader reader(a.resume, g_limits);
    const Scheme& old = reader.head();
    if (!old.params.contains("precision")) throw InputError("cannot resume " + a.resume + ": no construction parameters");
    set_precision_bits(old.params["precision"].get<unsigned>());
    f = scheme_target(old);
    if (format == 0) format = old.format;
    resumed = resume_state(reader, f);
    o = resumed->options;
    // A new tolerance continues the scheme (the grades already there stay);
    // everything else that shapes the grades is fixed by the file.
    if (a.eps_given) o.eps = parse_decimal(a.eps);
    if (out.empty()) out = a.resume;
  } else {
    if (a.target.empty()) throw InputError("construct needs --target (or --resume FILE)");
    if (out.empty()) throw InputError("construct needs -o FILE");
    set_precision_bits(a.precision);
    f = resolve_target(a.target, a.dim);
    o = schedule_options(a, f);
  }
  // Every rank builds the same scheme; rank 0 alone reports and writes it.
  const bool writer = comm_rank(g_comm) == 0;
  attach_progress(o, a.quiet || a.json || !writer);
  o.comm = g_comm;
  if (format == 0) format = 2;
  // A run that could outgrow the machine says so before it starts.
  if (const std::uint64_t need = construction_memory_estimate(o.max_grades, f.dim, format), avail = available_memory_bytes(); avail > 0 && need > avail && writer)
    std::cerr << "mgdl: warning: up to " << o.max_grades << " grades (--max-grades) may need about " << (need >> 20) << " MiB, more than the "
              << (avail >> 20) << " MiB available; lower --max-grades to stop cleanly before that\n";
  o.threads = a.threads;
  o.time_limit = a.time_limit;
  o.interrupt = &g_interrupted;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  // Each completed level is checkpointed atomically: an interrupted run leaves
  // a valid scheme that --resume continues.
  bool checkpointed = false;
  auto checkpoint = [&](const Construction& now) {
    if (!writer) return;
    write_construction(out, now, format);
    checkpointed = true;
  };
  auto t0 = std::chrono::steady_clock::now();
  Construction c;
  try {
    c = construct(f, o, checkpoint, resumed ? &*resumed : nullptr);
  } catch (...) {
    // An error (say, a target found not finite at a fine level) leaves no
    // checkpoint of a new run behind; a resumed file keeps its progress.
    if (checkpointed && !resumed) std::remove(out.c_str());
    throw;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // Success is claimed only for a certified bound at or below the tolerance.
  if (c.stop == StopReason::Tolerance && !le(c.bound, o.eps))
    throw InternalError("the construction stopped by tolerance with a bound above eps");
  if (writer) write_construction(out, c, format);
  const Scheme s = scheme_head(c, false);
  const int W = hat_block_width(f.dim), D = hat_block_depth(f.dim);
  if (a.json) {
    json j = {{"target", {{"name", f.name}, {"expr", f.expr}, {"dim", f.dim}}},
              {"width", W}, {"depth_per_grade", D}, {"result", s.result}, {"levels", s.levels},
              {"cells", c.cells}, {"patches", c.patches}, {"sweeps", c.sweeps}, {"seconds", secs}, {"file", out}};
    if (c.stop == StopReason::MaxLevel && c.stuck_m >= 0) j["not_contracting_near"] = point_text(c.stuck_node, c.stuck_m);
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << "target " << f.name << ": " << f.expr << "  (d = " << f.dim << ", width " << W << ", depth " << D << " per grade)\n";
    std::cout << std::right << std::setw(6) << "level" << std::setw(5) << "m" << std::setw(10) << "grades" << std::setw(10)
              << "total" << "  certified ||r||_inf <=\n";
    for (const auto& L : c.levels)
      std::cout << std::setw(6) << L.level << std::setw(5) << L.m << std::setw(10) << L.grades << std::setw(10)
                << L.first_grade + L.grades << "  " << decimal_up(L.bound, 4) << (L.truncated ? "  (truncated)" : "") << "\n";
    std::cout << "stopped by " << to_string(c.stop) << ": " << c.grades.size() << " grades, " << c.levels.size()
              << " levels, certified ||r||_inf <= " << decimal_up(c.bound, 4) << " (eps " << (a.resume.empty() || a.eps_given ? a.eps : eps_text(o.eps)) << "), "
              << std::fixed << std::setprecision(2) << secs << " s\n";
    if (c.stop == StopReason::MaxLevel && c.stuck_m >= 0)
      std::cout << "the residual does not contract near x = " << point_text(c.stuck_node, c.stuck_m)
                << " up to level " << c.stuck_m << " (is the target continuous there?)\n";
    std::cout << "wrote " << out << "\n";
  }
  if (c.stop == StopReason::Interrupted) {
    if (writer)
      std::cerr << "mgdl: interrupted; " << out << " holds the " << c.levels.size()
              << " completed levels; continue with: mgdl construct --resume " << out << "\n";
    return kExitInterrupted;
  }
  if (c.stop == StopReason::TimeLimit && writer)
    std::cerr << "mgdl: time limit reached; " << out << " holds the " << c.levels.size()
              << " completed levels; continue with: mgdl construct --resume " << out << "\n";
  return c.stop == StopReason::Tolerance ? kExitOk : kExitLimit;
}


std::vector<std::vector<Rational>> read_points(std::istream& in, int d, const std::string& source) {
  std::vector<std::vector<Rational>> pts;
  std::string line;
  for (int no = 1; std::getline(in, line); ++no) {
    if (auto h = line.find('#'); h != std::string::npos) line.resize(h);
    for (char& ch : line)
      if (ch == ',' || ch == '\t') ch = ' ';
    std::istringstream ls(line);
    std::vector<Rational> p;
    std::string tok;
    while (ls >> tok) {
      try {
        p.push_back(parse_decimal(tok));
      } catch (const InputError& e) {
        throw InputError(source + " line " + std::to_string(no) + ": " + e.what());
      }
    }
    if (p.empty()) continue;
    if (static_cast<int>(p.size()) != d)
      throw InputError(source + " line " + std::to_string(no) + ": expected " + std::to_string(d) + " coordinates, got " + std::to_string(p.size()));
    for (const auto& v : p)
      if (v < 0 || v > 1) throw InputError(source + " line " + std::to_string(no) + ": coordinate " + to_string(v) + " is outside [0, 1]");
    pts.push_back(std::move(p));
  }
  return pts;
}

int cmd_eval(const std::string& file, long grade, const std::string& points, unsigned precision, bool as_json) {
  set_precision_bits(precision);
  Scheme s = read_scheme(file, g_limits);
  if (std::string err = structure_error(s.net); !err.empty()) throw InputError(file + ": not an MGDL network: " + err);
  Target f = scheme_target(s);
  const long K = static_cast<long>(s.net.grades.size());
  if (grade < -1 || grade > K) throw InputError("--grade must lie in 0.." + std::to_string(K) + ", got " + std::to_string(grade));
  const std::size_t k = grade < 0 ? static_cast<std::size_t>(K) : static_cast<std::size_t>(grade);
  std::vector<std::vector<Rational>> pts;
  if (points.empty() || points == "-") {
    pts = read_points(std::cin, s.net.dim, "standard input");
  } else {
    std::ifstream in(points);
    if (!in) throw InputError("cannot read points file " + points);
    pts = read_points(in, s.net.dim, points);
  }
  json out = json::array();
  const std::optional<FastNetwork> fast = FastNetwork::compile(s.net);
  // F_k(x) exactly: machine integers at dyadic points (fast_eval.hpp), else rationals.
  auto exact_F = [&](const std::vector<Rational>& x) -> Rational {
    if (fast) {
      GridPoint q;
      int L = 0;
      for (const auto& v : x) L = std::max<int>(L, static_cast<int>(mpz_scan1(bmp::denominator(v).backend().data(), 0)));
      bool dyadic = L <= 62;
      for (const auto& v : x) {
        Rational scaled = v * Rational(Integer(1) << L);
        dyadic = dyadic && bmp::denominator(scaled) == 1;
        if (dyadic) q.push_back(bmp::numerator(scaled).convert_to<std::int64_t>());
      }
      if (dyadic) {
        try {
          return fast->eval(q, L, k).to_rational();
        } catch (const std::overflow_error&) {
          // outside the integer path's bound: fall through to rationals
        }
      }
    }
    Rational F = 0;
    for (const auto& v : grade_outputs<Rational>(s.net, x, k)) F += v;
    return F;
  };
  for (const auto& p : pts) {
    Rational F = exact_F(p);
    std::vector<Interval> xi;
    for (const auto& v : p) xi.push_back(enclose(v));
    Interval r = f.box(xi) - enclose(F);
    if (as_json) {
      json xs = json::array();
      for (const auto& v : p) xs.push_back(to_string(v));
      out.push_back({{"x", xs}, {"grade", k}, {"F", to_string(F)}, {"r", {decimal_down(lo(r), 20), decimal_up(hi(r), 20)}}});
    } else {
      for (const auto& v : p) std::cout << fmt(nearest(v), 10) << " ";
      Real mid = (lo(r) + hi(r)) / 2;
      std::cout << fmt(nearest(F), 17) << " " << fmt(mid, 17) << "\n";
    }
  }
  if (as_json) std::cout << out.dump(2) << "\n";
  return kExitOk;
}

struct VerifyArgs {
  std::string file, target, p = "1,2", eps, at;
  std::size_t budget = 200000, tighten = 0;
  int max_level = 48, slab_level = -1;
  unsigned precision = 128, threads = 0;
  bool json = false, network = false;
};

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char ch : s) {
    if (ch == ',') {
      out.push_back(cur);
      cur.clear();
    } else if (ch != ' ') {
      cur += ch;
    }
  }
  if (!cur.empty() || !out.empty()) out.push_back(cur);
  return out;
}

int cmd_verify(const VerifyArgs& a) {
  set_precision_bits(a.precision);
  // The grades are read one at a time (mgdl-scheme/2 streams from the file);
  // only the general-network analysis needs the whole network in memory.
  SchemeReader reader(a.file, g_limits, false);
  const Scheme& s = reader.head();
  Target f = a.target.empty() ? scheme_target(s) : resolve_target(a.target, s.net.dim);
  VerifyOptions o;
  o.p.clear();
  for (const auto& t : split_list(a.p)) o.p.push_back(parse_decimal(t));
  if (o.p.empty()) throw InputError("--p needs at least one exponent");
  o.budget = a.budget;
  if (a.tighten) o.tighten = a.tighten;
  o.max_level = a.max_level;
  o.threads = a.threads;
  o.network = a.network;
  if (a.slab_level >= 0) o.slab_level = a.slab_level;
  o.comm = g_comm;
  if (!a.eps.empty()) o.eps = parse_decimal(a.eps);
  else if (s.params.contains("eps") && s.params["eps"].is_string()) o.eps = parse_rational(s.params["eps"].get<std::string>());
  for (const auto& t : split_list(a.at)) {
    Rational k = parse_decimal(t);
    if (k < 0 || bmp::denominator(k) != 1) throw InputError("--at takes grade numbers, got " + t);
    if (k > Rational(Integer(1) << 62)) throw InputError("--at grade " + t + " exceeds the grades of any scheme");
    o.at_grades.push_back(bmp::numerator(k).convert_to<std::size_t>());
  }
  auto t0 = std::chrono::steady_clock::now();
  std::optional<VerifyReport> streamed = verify_stream(s.net.dim, s.net.width, [&](const std::function<void(const Grade&)>& emit) {
    Grade g;
    while (reader.next(g)) emit(g);
  }, f, o);
  VerifyReport r = streamed ? std::move(*streamed) : verify_scheme(read_scheme(a.file, g_limits).net, f, o);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto point = [](const std::vector<Rational>& x) {
    std::string p = "(";
    for (std::size_t i = 0; i < x.size(); ++i) p += (i ? ", " : "") + to_string(x[i]);
    return p + ")";
  };
  const Verdict all = r.overall();
  if (a.json) {
    json claims = json::array();
    for (const auto& c : r.claims) {
      json j = {{"claim", label(c)}, {"verdict", to_string(c.verdict)}, {"summary", describe(c, r, o)}};
      if (c.claim == Claim::C4) j["p"] = to_string(c.p);
      if (c.claim != Claim::C1) j["open_grades"] = c.open;
      if (c.claim == Claim::C3 && c.at == r.grades && !r.norms.empty())
        j["norm_inf"] = {decimal_down(c.lower, 12), decimal_up(c.upper, 12)};
      if (c.claim == Claim::C4 && c.verdict == Verdict::Proved && c.at > 0)
        j["smallest_decrease"] = {{"lower_bound", decimal_down(c.lower, 12)}, {"grade", c.at}};
      if (c.witness) {
        json xs = json::array();
        for (const auto& v : c.witness->x) xs.push_back(to_string(v));
        j["witness"] = {{"grade", c.witness->grade}, {"x", xs}, {"evidence", c.witness->evidence}};
      }
      claims.push_back(j);
    }
    json norms = json::array();
    for (const auto& n : r.norms)
      norms.push_back({{"grade", n.grade}, {"level", n.level},
                       {"inf", {decimal_down(n.inf_lo, 12), decimal_up(n.inf_hi, 12)}},
                       {"l1", {decimal_down(n.l1_lo, 12), decimal_up(n.l1_hi, 12)}},
                       {"l2", {decimal_down(n.l2_lo, 12), decimal_up(n.l2_hi, 12)}}});
    json rows = json::array();
    for (const auto& row : r.rows) {
      if (row.grade == 0) continue;
      auto wit = [&](const std::optional<Witness>& w) {
        if (!w) return json(nullptr);
        json xs = json::array();
        for (const auto& v : w->x) xs.push_back(to_string(v));
        return json{{"x", xs}, {"evidence", w->evidence}};
      };
      json dec = json::array();
      for (const auto& dcr : row.decrease)
        dec.push_back({{"p", to_string(dcr.p)}, {"lower", decimal_down(dcr.lo, 12)}, {"upper", decimal_up(dcr.hi, 12)}, {"verdict", to_string(dcr.verdict)}});
      rows.push_back({{"grade", row.grade}, {"C2", to_string(row.c2)}, {"C2_sign", to_string(row.sign)}, {"C2_witness", wit(row.c2_w)},
                      {"C2_sign_witness", wit(row.sign_w)}, {"trivial", row.trivial}, {"decrease", dec}, {"C2_cells", row.c2_cells}});
    }
    json j = {{"file", a.file}, {"target", {{"name", f.name}, {"expr", f.expr}}}, {"dim", r.dim}, {"width", r.width},
              {"grades", r.grades}, {"hat_grades", r.hat_grades}, {"general_grades", r.general_grades},
              {"unsupported_grades", r.unsupported_grades}, {"trivial_grades", r.trivial_grades},
              {"depth", r.depths}, {"verdict", to_string(all)}, {"claims", claims}, {"norms", norms},
              {"cells", r.cells}, {"slab_level", r.slab_level}, {"seconds", secs}};
    if (r.network) j["per_grade"] = rows;
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << "scheme " << a.file << ": d = " << r.dim << ", width " << r.width << ", " << r.grades << " grades ("
              << r.hat_grades << " proved hat blocks, " << r.general_grades << " other, " << r.unsupported_grades
              << " not enclosed), depth " << r.depths << "\n";
    std::cout << "target " << f.name << ": " << f.expr << "\n\n";
    for (const auto& c : r.claims) {
      std::cout << std::left << std::setw(20) << label(c) << std::setw(11) << to_string(c.verdict) << describe(c, r, o) << "\n";
      if (c.witness)
        std::cout << std::setw(31) << "" << "grade " << c.witness->grade
                  << (c.witness->x.empty() ? "" : " at x = " + point(c.witness->x)) << ": " << c.witness->evidence << "\n";
    }
    if (r.network) {
      // One row per grade: the pointwise claims, the certified norms of r_k and
      // the certified decrease of ||r||_p^p from grade k-1 to k.
      std::vector<std::vector<std::string>> t{{"grade", "C2", "C2 sign", "||r_k||_inf", "||r_k||_1", "||r_k||_2"}};
      for (const auto& p : o.p) t[0].push_back("||r_{k-1}||_p^p - ||r_k||_p^p, p=" + to_string(p));
      t[0].push_back("C2 cells");
      for (const auto& row : r.rows) {
        const NormEnclosure& n = row.norm;
        std::vector<std::string> line{std::to_string(row.grade), row.grade ? to_string(row.c2) : "-", row.grade ? to_string(row.sign) : "-",
                                      outward(n.inf_lo, n.inf_hi), outward(n.l1_lo, n.l1_hi), outward(n.l2_lo, n.l2_hi)};
        for (std::size_t i = 0; i < o.p.size(); ++i)
          line.push_back(row.grade == 0 ? "-" : row.trivial ? "0 (g_k = 0)" : outward(row.decrease[i].lo, row.decrease[i].hi) + " " + to_string(row.decrease[i].verdict));
        line.push_back(row.grade ? std::to_string(row.c2_cells) : "-");
        t.push_back(std::move(line));
      }
      std::cout << "\n" << text_table(t);
    } else {
      std::cout << std::right << "\n" << std::setw(8) << "grade" << std::setw(7) << "level" << "  " << std::left
                << std::setw(28) << "||r||_inf" << std::setw(28) << "||r||_1" << "||r||_2\n";
      for (const auto& n : r.norms)
        std::cout << std::right << std::setw(8) << n.grade << std::setw(7) << n.level << "  " << std::left << std::setw(28)
                  << outward(n.inf_lo, n.inf_hi) << std::setw(28) << outward(n.l1_lo, n.l1_hi) << outward(n.l2_lo, n.l2_hi) << "\n";
    }
    std::cout << std::right << "\n" << to_string(all) << ": " << r.cells << " cells examined in " << (std::int64_t{1} << r.slab_level)
              << (r.slab_level ? " slabs, " : " slab, ") << std::fixed
              << std::setprecision(2) << secs << " s\n";
  }
  return all == Verdict::Proved ? kExitOk : all == Verdict::Refuted ? kExitRefuted : kExitUndecided;
}

// The main job: construct each default target, certify it with the checker,
// and print one row per target (the theorem table of scripts/run).
int cmd_defaults(unsigned precision, const std::string& out_dir, bool as_json) {
  set_precision_bits(precision);
  json rows = json::array();
  // Plain-text table, columns sized to their widest cell (text_table).
  std::vector<std::vector<std::string>> table{{"target", "d", "eps", "levels", "grades", "W", "D", "certified ||r_K||_inf", "C1", "C2", "C3", "C4", "seconds"}};
  int rc = kExitOk;
  auto mark = [](const VerifyReport& r, Claim which) {
    Verdict v = Verdict::Proved;
    for (const auto& c : r.claims)
      if ((c.claim == which || (which == Claim::C2 && c.claim == Claim::C2Sign)) && c.verdict != Verdict::Proved)
        v = (v == Verdict::Refuted || c.verdict == Verdict::Refuted) ? Verdict::Refuted : Verdict::Undecided;
    return std::string(v == Verdict::Proved ? "yes" : v == Verdict::Refuted ? "NO" : "?");
  };
  for (const auto& e : catalogue()) {
    if (!e.is_default) continue;
    ScheduleOptions o;
    o.eps = parse_decimal(e.eps);
    auto t0 = std::chrono::steady_clock::now();
    Construction c = construct(e.target, o);
    Scheme s = to_scheme(c);
    if (!out_dir.empty()) write_scheme(out_dir + "/" + e.target.name + ".json", s);
    VerifyOptions vo;
    vo.eps = o.eps;
    VerifyReport r = verify_scheme(s.net, e.target, vo);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (c.stop != StopReason::Tolerance) rc = kExitLimit;
    if (r.overall() != Verdict::Proved) rc = r.overall() == Verdict::Refuted ? kExitRefuted : kExitUndecided;
    const NormEnclosure& last = r.norms.back();
    std::string enc = outward(last.inf_lo, last.inf_hi, 3);
    if (as_json) {
      json claims = json::object();
      for (const auto& cl : r.claims) claims[label(cl)] = to_string(cl.verdict);
      rows.push_back({{"target", e.target.name}, {"dim", e.target.dim}, {"eps", e.eps}, {"levels", c.levels.size()},
                      {"grades", c.grades.size()}, {"width", r.width}, {"depth", r.depths},
                      {"norm_inf", {decimal_down(last.inf_lo, 12), decimal_up(last.inf_hi, 12)}}, {"claims", claims},
                      {"stop", to_string(c.stop)}, {"seconds", secs}});
    } else {
      char sec[32];
      std::snprintf(sec, sizeof sec, "%.1f", secs);
      table.push_back({e.target.name, std::to_string(e.target.dim), e.eps, std::to_string(c.levels.size()), std::to_string(c.grades.size()),
                       std::to_string(r.width), r.depths, enc, mark(r, Claim::C1), mark(r, Claim::C2), mark(r, Claim::C3),
                       mark(r, Claim::C4), sec});
    }
  }
  if (as_json) std::cout << rows.dump(2) << "\n";
  else std::cout << text_table(table) << "\nyes = PROVED for every x in the cube by the independent checker (mgdl verify); NO = REFUTED; ? = UNDECIDED\n";
  return rc;
}

// A checksum of the generated text (FNV-1a 64), embedded in docs/theorems.md
// so that a hand edit anywhere in the file is detected.
std::string checksum(const std::string& text) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char ch : text) h = (h ^ ch) * 1099511628211ull;
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}
const std::string kChecksumTag = "<!-- checksum: ";

std::string with_checksum(const std::string& text) { return text + "\n" + kChecksumTag + checksum(text) + " -->\n"; }

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A generated markdown file is fresh when it is unedited (its checksum matches
// its content) and every table row of the fresh text is in it byte for byte
// (with --quick only a subset of the rows is regenerated).
void check_generated(const std::string& path, const std::string& name, const std::string& fresh_text, std::vector<std::string>& problems) {
  std::string committed;
  try {
    committed = slurp(path);
  } catch (const InputError&) {
    problems.push_back(name + " is missing");
    return;
  }
  auto at = committed.rfind(kChecksumTag);
  if (at == std::string::npos || at == 0) {
    problems.push_back(name + " has no checksum line");
  } else {
    std::string body = committed.substr(0, at - 1);
    std::string stored = committed.substr(at + kChecksumTag.size(), 16);
    if (checksum(body) != stored) problems.push_back(name + " was edited by hand (checksum mismatch)");
  }
  std::istringstream fresh(fresh_text);
  std::string line;
  while (std::getline(fresh, line))
    if (line.rfind("| ", 0) == 0 && committed.find(line + "\n") == std::string::npos)
      problems.push_back(name + ": row differs or is missing: " + line);
}

// mgdl tables: regenerate docs/theorems.md, docs/rules.md and docs/figures/,
// or --check them, or write the LaTeX versions to a folder.
int cmd_tables(const std::string& docs, bool quick, bool check, unsigned threads, const std::string& report, const std::string& latex,
               const std::string& only) {
  if (!only.empty() && only != "theorems" && only != "rules") throw InputError("--only takes theorems or rules, got '" + only + "'");
  const bool do_theorems = only != "rules", do_rules = only != "theorems";
  if (!latex.empty() && check) throw InputError("--latex writes LaTeX files; it cannot be combined with --check");
  // A subset never overwrites the committed docs (a quick preview can go to another folder).
  if (quick && !check && latex.empty() && std::filesystem::weakly_canonical(docs) == std::filesystem::weakly_canonical("docs"))
    throw InputError("--quick regenerates a subset: use it with --check or --latex or another --docs folder, or drop it to write the full tables");
  set_precision_bits(128);
  TablesOptions o;
  o.quick = quick;
  o.threads = threads;
  std::vector<TargetRun> runs, rules;
  if (do_theorems) runs = run_targets(o);
  if (do_rules) {
    TablesOptions ro = o;
    ro.baseline = true;
    rules = run_targets(rules_rows(), ro);
  }
  if (!report.empty()) write_file_atomic(report, render_timings(runs) + "\n" + render_timings(rules));
  std::string text = render_tables(runs, false), rules_text = render_rules(rules);
  // Every row of the docs says PROVED today; a change that loses one is
  // written honestly, said on stderr, and fails --check (what CI runs).
  const std::vector<std::string> unproved = unproved_rows(runs, rules);
  for (const auto& u : unproved) std::cerr << "mgdl: warning: not PROVED: " << u << "\n";
  if (!latex.empty()) {
    auto files = write_latex(runs, rules, latex);
    std::cout << "wrote " << files.size() << " LaTeX files in " << latex << " (tables: booktabs; figures: pgfplots)\n";
    return kExitOk;
  }
  if (!check) {
    std::filesystem::create_directories(docs);
    if (do_theorems) write_file_atomic(docs + "/theorems.md", with_checksum(text));
    if (do_rules) write_file_atomic(docs + "/rules.md", with_checksum(rules_text));
    auto figs = write_figures(runs, docs + "/figures");
    std::cout << "wrote " << (do_theorems ? docs + "/theorems.md, " : "") << (do_rules ? docs + "/rules.md, " : "") << figs.size()
              << " figures in " << docs << "/figures\n";
    return kExitOk;
  }
  std::vector<std::string> problems;
  for (const auto& u : unproved) problems.push_back("not PROVED: " + u);
  if (do_theorems) check_generated(docs + "/theorems.md", "theorems.md", text, problems);
  if (do_rules) check_generated(docs + "/rules.md", "rules.md", rules_text, problems);
  const std::string tmp = std::filesystem::temp_directory_path() / ("mgdl-figures-" + std::to_string(::getpid()));
  for (const auto& name : write_figures(runs, tmp)) {
    std::string a = slurp(tmp + "/" + name), b;
    try {
      b = slurp(docs + "/figures/" + name);
    } catch (const InputError&) {
      b.clear();
    }
    if (a != b) problems.push_back("figure differs or is missing: figures/" + name);
  }
  std::filesystem::remove_all(tmp);
  if (problems.empty()) {
    std::cout << "docs/theorems.md, docs/rules.md and the figures are fresh (" << runs.size() + rules.size() << " runs regenerated"
              << (quick ? ", quick subset" : "") << ")\n";
    return kExitOk;
  }
  for (const auto& p : problems) std::cout << "stale: " << p << "\n";
  std::cout << "regenerate with: build/mgdl tables\n";
  return kExitRefuted;
}

// mgdl experiments: regenerate docs/experiments.md and its figures, or
// --check them (every row of a fresh run must be in the committed file).
int cmd_experiments(const std::string& docs, bool quick, bool check, unsigned threads, const std::string& report) {
  if (quick && !check && std::filesystem::weakly_canonical(docs) == std::filesystem::weakly_canonical("docs"))
    throw InputError("--quick regenerates a subset: use it with --check or another --docs folder, or drop it to write the whole file");
  set_precision_bits(128);
  const auto runs = run_experiments(quick, threads);
  if (!report.empty()) write_file_atomic(report, render_experiment_timings(runs));
  const std::string text = render_experiments(runs);
  if (!check) {
    std::filesystem::create_directories(docs);
    write_file_atomic(docs + "/experiments.md", with_checksum(text));
    auto figs = write_experiment_figures(runs, docs + "/figures");
    std::cout << "wrote " << docs << "/experiments.md, " << figs.size() << " figures in " << docs << "/figures\n";
    return kExitOk;
  }
  std::vector<std::string> problems;
  check_generated(docs + "/experiments.md", "experiments.md", text, problems);
  const std::string tmp = std::filesystem::temp_directory_path() / ("mgdl-exp-figures-" + std::to_string(::getpid()));
  for (const auto& name : write_experiment_figures(runs, tmp)) {
    std::string b;
    try {
      b = slurp(docs + "/figures/" + name);
    } catch (const InputError&) {
      b.clear();
    }
    if (slurp(tmp + "/" + name) != b) problems.push_back("figure differs or is missing: figures/" + name);
  }
  std::filesystem::remove_all(tmp);
  if (problems.empty()) {
    std::cout << "docs/experiments.md and its figures are fresh (" << runs.size() << " targets regenerated" << (quick ? ", quick subset" : "") << ")\n";
    return kExitOk;
  }
  for (const auto& p : problems) std::cout << "stale: " << p << "\n";
  std::cout << "regenerate with: build/mgdl experiments\n";
  return kExitRefuted;
}

// mgdl baseline: the coarsest uniform dyadic grid whose P1 interpolant is
// certified within eps (docs/rules.md's baseline column).
int cmd_baseline(const std::string& target, int dim, const std::string& eps_text, const BaselineOptions& opt, bool json) {
  set_precision_bits(128);
  const Target f = resolve_target(target, dim);
  if (dim != 0 && f.dim != dim) throw InputError("the target " + target + " has dimension " + std::to_string(f.dim) + ", not --dim " + std::to_string(dim));
  const Rational eps = parse_decimal(eps_text);
  const Baseline b = p1_baseline(f, eps, opt);
  auto point = [](const std::vector<Rational>& x) {
    std::string s = "(";
    for (std::size_t i = 0; i < x.size(); ++i) s += (i ? ", " : "") + to_string(x[i]);
    return s + ")";
  };
  if (json) {
    nlohmann::ordered_json j = {{"target", f.expr}, {"eps", eps_text}, {"found", b.found}};
    if (b.found) j["level"] = b.level, j["nodes"] = b.nodes, j["exact"] = b.exact();
    nlohmann::ordered_json lv = nlohmann::ordered_json::array();
    for (const auto& l : b.levels) {
      nlohmann::ordered_json r = {{"m", l.m}, {"certified", l.certified}};
      if (l.certified) r["bound"] = decimal_up(l.bound, 6);
      if (l.refuted_at) r["refuted_at"] = point(*l.refuted_at);
      lv.push_back(r);
    }
    j["levels"] = lv;
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << "target " << f.name << ": " << f.expr << ", eps " << eps_text << ", P1 interpolation on the uniform Kuhn grid\n";
    for (const auto& l : b.levels) {
      std::cout << "level " << l.m << ": ";
      if (l.certified) std::cout << "certified, ||f - I f||_inf <= " << decimal_up(l.bound, 4) << "\n";
      else if (l.refuted_at) std::cout << "refuted, |f - I f| > eps at x = " << point(*l.refuted_at) << "\n";
      else std::cout << "not certified (bounds too loose)\n";
    }
    if (b.found)
      std::cout << "coarsest certified grid: level " << b.level << ", " << b.nodes << " nodes"
                << (b.exact() ? " (the level below is refuted: no coarser uniform grid meets eps)" : "") << "\n";
    else
      std::cout << "no level up to " << opt.max_level << " is certified\n";
  }
  return b.found ? kExitOk : kExitUndecided;
}

int cmd_theorem(const std::string& id, bool quick, unsigned threads) {
  const Statement* st = find_statement(id);
  if (!st) {
    std::string ids;
    for (const auto& s : statements()) ids += " " + s.id;
    throw InputError("unknown theorem '" + id + "' (one of:" + ids + ")");
  }
  set_precision_bits(128);
  TablesOptions o;
  o.quick = quick;
  o.threads = threads;
  std::vector<TableTarget> which;
  for (const auto& t : table_targets())
    if (t.engine == st->engine) which.push_back(t);
  o.tight_level_ends = true;
  std::vector<TargetRun> runs = run_targets(which, o);
  std::cout << render_statement(*st, runs) << "\n" << render_timings(runs);
  for (const auto& r : runs)
    if (st->row(r).back() != "PROVED") return kExitUndecided;
  return kExitOk;
}

}  // namespace

// mgdl train: grade-wise training, progress per grade on stderr, the scheme
// written atomically at the end (nothing on disk when it fails).
int cmd_train(const std::string& target, int dim, const TrainOptions& opt, const std::string& out, bool quiet) {
  set_precision_bits(128);  // the checker's working precision, as in docs/experiments.md
  const Target f = resolve_target(target, dim);
  if (dim != 0 && f.dim != dim) throw InputError("the target " + target + " has dimension " + std::to_string(f.dim) + ", not --dim " + std::to_string(dim));
  auto progress = [&](const GradeLog& g) {
    if (quiet) return;
    char b[256];
    std::snprintf(b, sizeof b, "grade %zu: training mse %.4e -> %.4e (Adam, %.2f s, then least squares %.3f s)", g.grade, g.mse_before, g.mse,
                  g.seconds_adam, g.seconds_ls);
    std::cerr << b;
    if (opt.certified) std::cerr << "; kept: " << g.action << ", C2 sign-preserving " << to_string(g.sign) << " (" << g.checks << " checks, " << std::fixed << std::setprecision(2) << g.seconds_check << " s)" << std::defaultfloat;
    std::cerr << "\n";
  };
  const Training t = train(f, opt, progress);
  write_scheme(out, t.scheme);
  std::cout << "trained " << t.scheme.net.grades.size() << " grades of width " << opt.width << " on " << f.expr << ": training mse "
            << to_decimal(Real(t.log.back().mse), 4) << (opt.certified ? " (certified grade by grade)" : "") << "\nwrote " << out
            << "; certify with: mgdl verify " << out << " --eps TOL\n";
  return kExitOk;
}


int run_cli(int argc, char** argv) {
  CLI::App app{"mgdl: fixed-width multigrade ReLU schemes, constructed in exact dyadic arithmetic"};
  app.require_subcommand(1);
  bool as_json = false;

  auto* targets = app.add_subcommand("targets", "List the built-in target catalogue");
  targets->add_flag("--json", as_json, "Machine-readable output");

  ConstructArgs ca;
  auto* construct = app.add_subcommand("construct", "Build a fixed-width MGDL scheme for a target (Theorem A)");
  construct->add_option("--target,-t", ca.target, "Catalogue name or expression in x1..xd (x when d = 1)");
  construct->add_option("--dim", ca.dim, "Dimension d (default: largest i of an x_i used)")->check(CLI::Range(1, 16));
  construct->add_option("--eps", ca.eps, "Target tolerance for the certified sup-norm bound")->capture_default_str();
  construct->add_option("--max-grades", ca.max_grades, "Stop after this many grades")->capture_default_str()->check(kWhole);
  construct->add_option("--max-level", ca.max_level, "Finest grid level m allowed (default: largest the dimension allows)");
  construct->add_option("--rule", ca.rule, "Coefficient rule: first-order or second-order")->capture_default_str();
  construct->add_option("--schedule", ca.schedule, "Level schedule: uniform, adaptive or local")->capture_default_str();
  construct->add_option("--kappa", ca.kappa, "Contraction factor per level, in (0,1) (default: 1/16 with the second-order rule on a target with a Hessian, else 1/2)");
  construct->add_option("--theta", ca.theta, "Damping theta in (0,1], 1 - theta < kappa")->capture_default_str();
  construct->add_option("--last-theta", ca.last_theta, "Damping of the last level, which aims at eps directly once kappa^2 U <= eps (default: 65535/65536 with the second-order rule; none with first order; \"none\": no last level)");
  construct->add_option("--precision", ca.precision, "Working precision in bits")->capture_default_str();
  construct->add_option("--start-depth", ca.start_depth, "Initial patch subdivision depth")->capture_default_str();
  construct->add_option("--max-depth", ca.max_depth, "Deepest patch subdivision")->capture_default_str();
  construct->add_option("--defect-depth", ca.defect_depth, "Second-order rule, d >= 2: Fact I also on sub-simplices this many levels finer, where it matters (0: on cells only; default 3 in 2-D, 0 otherwise)")
      ->check(CLI::Range(0, 4));
  construct->add_option("--threads", ca.threads, "Threads (0: all cores); the scheme does not depend on it")->capture_default_str()->check(CLI::Range(0u, 1024u));
  construct->add_option("--time-limit", ca.time_limit, "Stop after this many seconds, keeping the completed levels (0: none; exit 3, --resume continues)")
      ->check(CLI::Range(0.0, 1e9));
  construct->add_option("-o,--output", ca.out, "Scheme file to write (checkpointed at every level end)");
  construct->add_option("--resume", ca.resume, "Continue an interrupted construction from its scheme file (written back to it unless -o)");
  construct->add_option("--format", ca.format, "Scheme file format: 2 (compact, one line per hat grade; the default) or 1 (every weight spelled out in JSON)")
      ->check(CLI::Range(1, 2));
  construct->add_flag("--compose", ca.compose, "Composition construction of l(1-l), l = x (d = 1) or (1+x1-x2)/2: grade s applies one tooth to grade s-1's feature (width 2, depth 1)");
  construct->add_flag("--json", ca.json, "Machine-readable output");
  construct->add_flag("--quiet,-q", ca.quiet, "No progress lines on standard error");
  add_limit_options(construct);

  std::string eval_file, eval_points;
  long eval_grade = -1;
  unsigned eval_precision = 128;
  auto* eval = app.add_subcommand("eval", "Evaluate F_k and r_k at points (forward pass through the network)");
  eval->add_option("file", eval_file, "Scheme file")->required();
  eval->add_option("--grade,-k", eval_grade, "Grade k (default: the last)");
  eval->add_option("--points,-p", eval_points, "File of points, one per line (default: standard input)");
  eval->add_option("--precision", eval_precision, "Working precision in bits for f")->capture_default_str();
  eval->add_flag("--json", as_json, "Machine-readable output");
  add_limit_options(eval);

  VerifyArgs va;
  std::string imp_file, imp_out, imp_target;
  int imp_dim = 0;
  auto* import = app.add_subcommand("import", "Read a trained network (.npz or mgdl-weights/1 JSON, README) and write it as a scheme file, every weight exact");
  import->add_option("file", imp_file, "Weights: .npz (g{k}_W{l}, g{k}_b{l}, g{k}_c, g{k}_c0) or mgdl-weights/1 JSON")->required();
  import->add_option("-o,--output", imp_out, "Scheme file to write")->required();
  import->add_option("--target,-t", imp_target, "The target the network was trained on (catalogue name or expression); the JSON's \"target\" otherwise");
  import->add_option("--dim", imp_dim, "Check that the network reads this many inputs")->check(CLI::Range(1, 16));
  TrainOptions to;
  std::string tr_target, tr_out;
  int tr_dim = 0;
  bool tr_no_carry = false, tr_quiet = false;
  auto* trainc = app.add_subcommand("train", "Grade-wise training (Adam on each grade's hidden layer, exact least-squares readout), optionally certified grade by grade");
  trainc->add_option("--target,-t", tr_target, "Catalogue name or expression")->required();
  trainc->add_option("--dim", tr_dim, "Dimension (default: the target's)")->check(CLI::Range(1, 16));
  trainc->add_option("--grades", to.grades, "Grades K")->capture_default_str()->check(kWhole)->check(CLI::Range(std::size_t{1}, std::size_t{100000}));
  trainc->add_option("--width", to.width, "Width W of every hidden layer (the d neurons carrying x included)")->capture_default_str()->check(CLI::Range(1, 4096));
  trainc->add_option("--epochs", to.epochs, "Full-batch Adam steps per grade")->capture_default_str()->check(CLI::Range(0, 100000000));
  trainc->add_option("--lr", to.lr, "Adam step size")->capture_default_str();
  trainc->add_option("--samples", to.samples, "Training points, uniform random in the cube")->capture_default_str()->check(kWhole)->check(CLI::Range(std::size_t{1}, std::size_t{100000000}));
  trainc->add_option("--seed", to.seed, "Seed of the samples and the initial weights")->capture_default_str()->check(kWhole);
  trainc->add_flag("--certified", to.certified, "Keep a grade only when the checker proves it sign-preserving on the whole cube; otherwise halve its readout, or replace it by a contraction grade, or by the trivial grade");
  trainc->add_flag("--no-carry", tr_no_carry, "No neurons carrying x (plain MGDL; not with --certified)");
  trainc->add_option("--halvings", to.halvings, "Certified: readout halvings to try")->capture_default_str()->check(CLI::Range(0, 60));
  trainc->add_option("--budget", to.budget, "Certified: cells per grade check")->capture_default_str()->check(kWhole)->check(CLI::Range(std::size_t{1}, std::size_t{1} << 40));
  trainc->add_option("--max-level", to.max_level, "Certified: finest cell level of a grade check")->capture_default_str()->check(CLI::Range(1, 56));
  trainc->add_option("--threads", to.threads, "Certified: checker threads (0: all cores); results do not depend on it")->capture_default_str()->check(CLI::Range(0u, 1024u));
  trainc->add_option("-o,--output", tr_out, "Scheme file to write")->required();
  trainc->add_flag("--quiet,-q", tr_quiet, "No progress lines on standard error");
  auto* verify = app.add_subcommand("verify", "Certify or refute the claims C1-C4 for every x (exit 0 proved, 1 refuted, 3 undecided)");
  verify->add_option("file", va.file, "Scheme file")->required();
  verify->add_option("--target,-t", va.target, "Check against this target instead of the file's");
  verify->add_option("--p", va.p, "Exponents for C4, comma-separated, each >= 1")->capture_default_str();
  verify->add_option("--eps", va.eps, "Tolerance for C3 (default: the file's params.eps)");
  verify->add_option("--at", va.at, "Also enclose the norms at these grades, comma-separated");
  verify->add_option("--budget", va.budget, "Cells per search (one grade in one slab; one norm)")->capture_default_str()->check(kWhole)->check(CLI::Range(std::size_t{1}, std::size_t{1} << 40));
  verify->add_option("--tighten", va.tighten, "Cells each norm enclosure may spend on its width beyond deciding C3 (0: as many as its partition took, at least 64 2^d)")->capture_default_str()->check(kWhole)->check(CLI::Range(std::size_t{0}, std::size_t{1} << 40));
  verify->add_option("--max-level", va.max_level, "Finest cell level")->capture_default_str()->check(CLI::Range(1, 56));
  verify->add_option("--slab-level", va.slab_level, "Search the cube in 2^L slabs along x1, each on its own (default: 6, 4, 3, 2 in 1-4 D); under mpirun the ranks share them, and results depend on L, never on the ranks")
      ->check(CLI::Range(0, 20));
  verify->add_option("--precision", va.precision, "Working precision in bits")->capture_default_str();
  verify->add_option("--threads", va.threads, "Threads (0: all cores); verdicts and figures do not depend on it")->capture_default_str()->check(CLI::Range(0u, 1024u));
  verify->add_flag("--network", va.network, "Use the general-network analysis for every grade (automatic when a grade reads earlier grades' features)");
  verify->add_flag("--json", va.json, "Machine-readable output");
  add_limit_options(verify);

  std::string tables_docs = "docs", tables_report, tables_latex, tables_only;
  std::string bl_target, bl_eps;
  int bl_dim = 0;
  BaselineOptions bl;
  auto* baseline = app.add_subcommand("baseline", "The coarsest uniform dyadic grid whose P1 interpolant is certified within eps (exit 3 when none up to --max-level)");
  baseline->add_option("--target,-t", bl_target, "Catalogue name or expression")->required();
  baseline->add_option("--dim", bl_dim, "Dimension (default: the target's)")->check(CLI::Range(1, 16));
  baseline->add_option("--eps", bl_eps, "Tolerance")->required();
  baseline->add_option("--max-level", bl.max_level, "Finest level tried")->capture_default_str()->check(CLI::Range(0, 30));
  baseline->add_option("--threads", bl.threads, "Threads (0: all cores); results do not depend on it")->capture_default_str()->check(CLI::Range(0u, 1024u));
  baseline->add_flag("--json", as_json, "Machine-readable output");
  std::string exp_docs = "docs", exp_report;
  bool exp_quick = false, exp_check = false;
  unsigned exp_threads = 0;
  auto* experiments = app.add_subcommand("experiments", "Regenerate docs/experiments.md (plain and certified training next to the constructor, every verdict from the checker), or --check it");
  experiments->add_option("--docs", exp_docs, "The docs folder")->capture_default_str();
  experiments->add_flag("--quick", exp_quick, "Only the quick subset of targets (with --check; what CI runs)");
  experiments->add_flag("--check", exp_check, "Compare with the committed files instead of writing (exit 1 when stale)");
  experiments->add_option("--report", exp_report, "Write timings here (not committed)");
  experiments->add_option("--threads", exp_threads, "Threads for the checker (0: all cores)")->check(CLI::Range(0u, 1024u));
  bool tables_quick = false, tables_check = false;
  unsigned tables_threads = 0;
  auto* tables = app.add_subcommand("tables", "Regenerate docs/theorems.md, docs/rules.md and docs/figures (or --check them, or --latex DIR)");
  tables->add_option("--docs", tables_docs, "The docs folder")->capture_default_str();
  tables->add_flag("--quick", tables_quick, "Only the quick subset of targets (with --check; what CI runs)");
  tables->add_flag("--check", tables_check, "Compare with the committed files instead of writing (exit 1 when stale)");
  tables->add_option("--report", tables_report, "Write timings here (not committed)");
  tables->add_option("--only", tables_only, "Only theorems (docs/theorems.md and the figures) or rules (docs/rules.md, about 25 minutes)");
  tables->add_option("--latex", tables_latex, "Write the tables as LaTeX (booktabs) and the figures as pgfplots pictures into this folder");
  tables->add_option("--threads", tables_threads, "Threads for the checker (0: all cores)")->check(CLI::Range(0u, 1024u));

  std::string theorem_id;
  bool theorem_quick = false;
  auto* theorem = app.add_subcommand("theorem", "State one claim and check it over the catalogue (block, lemma1, lemma2, theoremA-C1..C4; default-block, default-lemma1, default-lemma2, default-C1..C4)");
  theorem->add_option("id", theorem_id, "Statement id")->required();
  theorem->add_flag("--quick", theorem_quick, "Only the quick subset of targets");
  theorem->add_option("--threads", tables_threads, "Threads for the checker (0: all cores)")->check(CLI::Range(0u, 1024u));

  unsigned def_precision = 128;
  std::string def_out;
  auto* defaults = app.add_subcommand("defaults", "Construct and certify the default targets and print their table (the main job)");
  defaults->add_option("--precision", def_precision, "Working precision in bits")->capture_default_str();
  defaults->add_option("--out-dir", def_out, "Write each scheme to DIR/NAME.json");
  defaults->add_flag("--json", as_json, "Machine-readable output");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "mgdl: error: " << e.what() << " (see mgdl --help)\n";
    return kExitInput;
  }
  if (comm_size(g_comm) > 1 && !*verify && !*construct) {
    // Nothing has been exchanged yet: every rank stops here alike.
    if (comm_rank(g_comm) == 0)
      std::cerr << "mgdl: error: only `mgdl verify` and `mgdl construct` run on more than one rank (mpirun -n " << comm_size(g_comm) << ")\n";
    return kExitInput;
  }
  try {
    if (*targets) return cmd_targets(as_json);
    if (*construct) {
      ca.eps_given = construct->count("--eps") > 0;
      for (const char* name : {"--target", "--dim", "--rule", "--schedule", "--kappa", "--theta", "--last-theta", "--precision", "--start-depth", "--max-depth", "--defect-depth", "--max-grades", "--max-level"})
        if (construct->count(name) > 0) ca.fixed_given.push_back(name);
      return cmd_construct(ca);
    }
    if (*eval) return cmd_eval(eval_file, eval_grade, eval_points, eval_precision, as_json);
    if (*verify) return cmd_verify(va);
    if (*import) {
      Scheme s = import_scheme(imp_file, imp_target, imp_dim);
      write_scheme(imp_out, s);
      std::cout << "imported " << imp_file << ": d = " << s.net.dim << ", width " << s.net.width << ", " << s.net.grades.size()
                << " grades, target " << s.target_expr << " (every weight the exact value of its float)\nwrote " << imp_out
                << "; certify with: mgdl verify " << imp_out << " --eps TOL\n";
      return kExitOk;
    }
    if (*trainc) {
      to.carry = !tr_no_carry;
      return cmd_train(tr_target, tr_dim, to, tr_out, tr_quiet);
    }
    if (*baseline) return cmd_baseline(bl_target, bl_dim, bl_eps, bl, as_json);
    if (*experiments) return cmd_experiments(exp_docs, exp_quick, exp_check, exp_threads, exp_report);
    if (*tables) return cmd_tables(tables_docs, tables_quick, tables_check, tables_threads, tables_report, tables_latex, tables_only);
    if (*theorem) return cmd_theorem(theorem_id, theorem_quick, tables_threads);
    if (*defaults) return cmd_defaults(def_precision, def_out, as_json);
  } catch (const InputError& e) {
    std::cerr << "mgdl: " << rank_text() << "error: " << e.what() << "\n";
    abort_cluster(kExitInput);  // the other ranks may be waiting for this one
    return kExitInput;
  } catch (const std::exception& e) {
    std::cerr << "mgdl: " << rank_text() << "internal error: " << e.what() << "\n";
    abort_cluster(4);
    return 4;
  }
  return kExitInput;
}

int main(int argc, char** argv) {
  std::unique_ptr<Comm> comm;
  try {
    comm = start_cluster(&argc, &argv);
  } catch (const std::exception& e) {
    std::cerr << "mgdl: error: " << e.what() << "\n";
    return 4;
  }
  g_comm = comm.get();
  // Rank 0 alone writes the results; every rank reports its own errors.
  std::streambuf* out = std::cout.rdbuf();
  if (comm_rank(g_comm) != 0) std::cout.rdbuf(nullptr);
  const int code = run_cli(argc, argv);
  std::cout.rdbuf(out);
  comm.reset();
  finish_cluster();
  return code;
}
