// Theorem programs and the generator of docs/theorems.md and docs/figures/.
#include "theorems/theorems.hpp"

#include "kernel/rounding.hpp"

#include "constructive/approximant.hpp"
#include "constructive/scheme_file.hpp"
#include "targets/catalogue.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace mgdl {

const char* engine_label(Engine e) { return e == Engine::TheoremA ? "FO/adaptive" : "SO/local"; }

const std::vector<TableTarget>& table_targets() {
  constexpr Engine A = Engine::TheoremA, D = Engine::Default;
  static const std::vector<TableTarget> t = {
      {"sin2pi", "1e-2", true, A},    {"runge", "1e-2", false, A},  {"expcos", "1e-2", false, A}, {"kink", "1e-2", true, A},
      {"sqrtcusp", "1e-2", false, A}, {"osc", "1e-2", false, A},    {"sinsin", "1e-1", false, A}, {"gauss2", "1e-1", false, A},
      {"absdiff", "1e-1", true, A},   {"cone", "1e-1", false, A},
      // The default engine reaches tighter tolerances in the same time.
      {"sin2pi", "1e-4", true, D},    {"runge", "1e-4", false, D},  {"expcos", "1e-4", false, D}, {"kink", "1e-4", true, D},
      {"sqrtcusp", "1e-3", false, D}, {"osc", "1e-3", false, D},    {"sinsin", "5e-2", false, D}, {"gauss2", "1e-2", false, D},
      {"absdiff", "1e-2", true, D},   {"cone", "5e-2", false, D},
  };
  return t;
}

const std::vector<TableTarget>& rules_rows() {
  constexpr Engine A = Engine::TheoremA, D = Engine::Default;
  static const std::vector<TableTarget> t = {
      {"sin2pi", "1e-3", true, A},  {"sin2pi", "1e-3", true, D},  {"sin2pi", "1e-4", false, A}, {"sin2pi", "1e-4", true, D},
      {"sin2pi", "1e-6", false, D}, {"sin2pi", "1e-8", false, D}, {"runge", "1e-3", true, A},   {"runge", "1e-3", true, D},
      {"runge", "1e-4", false, A},  {"runge", "1e-4", false, D},  {"runge", "1e-6", false, D},  {"runge", "1e-8", false, D},
      {"kink", "1e-6", true, D},    {"weierstrass", "1e-2", false, D}, {"sinsin", "1e-2", false, D},
      {"sinsin", "1e-3", false, D}, {"absdiff", "1e-2", true, D},
  };
  return t;
}

std::vector<TargetRun> run_targets(const TablesOptions& opt) {
  TablesOptions o = opt;
  o.tight_level_ends = true;
  return run_targets(table_targets(), o);
}

std::vector<TargetRun> run_targets(const std::vector<TableTarget>& which, const TablesOptions& opt) {
  std::vector<TargetRun> runs;
  for (const auto& tt : which) {
    if (opt.quick && !tt.quick) continue;
    TargetRun r;
    Target f = *find_target(tt.name);
    r.name = tt.name;
    r.expr = f.expr;
    r.eps = tt.eps;
    r.engine = tt.engine;
    r.dim = f.dim;
    ScheduleOptions so;
    so.eps = parse_decimal(tt.eps);
    so.threads = opt.threads;
    if (tt.engine == Engine::Default) {
      use_default_engine(so, f);
    }
    auto t0 = std::chrono::steady_clock::now();
    r.construction = construct(f, so);
    auto t1 = std::chrono::steady_clock::now();
    r.net = to_network(r.construction);
    VerifyOptions vo;
    vo.eps = so.eps;
    vo.threads = opt.threads;
    // The cell engine ends a level with ||r||_inf just below its target t_l
    // (Lemma 2'); the checker's level-end enclosures must be tight enough to
    // tell (the default 1/200 left osc at 1.001 t_l, UNDECIDED).
    // So they get the whole budget for it, not the default tightening allowance.
    if (tt.engine == Engine::Default && opt.tight_level_ends) vo.rel_width = Rational(1, 100000), vo.tighten = vo.budget;
    if (f.dim == 1)  // more norm enclosures for the 1-D figures: grades 1, 4, 16, ...
      for (std::size_t k = 1; k <= r.net.grades.size(); k *= 4) vo.at_grades.push_back(k);
    r.report = verify_scheme(r.net, f, vo);
    auto t2 = std::chrono::steady_clock::now();
    if (opt.baseline) {
      BaselineOptions bo;
      bo.threads = opt.threads;
      r.baseline = p1_baseline(f, so.eps, bo);
      r.baseline_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t2).count();
    }
    r.construct_seconds = std::chrono::duration<double>(t1 - t0).count();
    r.verify_seconds = std::chrono::duration<double>(t2 - t1).count();
    runs.push_back(std::move(r));
  }
  return runs;
}

namespace {
std::string num_up(const Real& x) { return decimal_up(x, 4); }
// A certified enclosure, printed outward: the lower end rounded down, the upper up.
std::string enc(const Real& lo, const Real& hi) { return "[" + decimal_down(lo, 4) + ", " + decimal_up(hi, 4) + "]"; }
std::string verdict(const VerifyReport& r, Claim c) { return to_string(r.claim(c).verdict); }
// C4 over every exponent: REFUTED if one is, UNDECIDED if one is, else PROVED.
std::string verdict_c4(const VerifyReport& r) {
  Verdict v = Verdict::Proved;
  for (const auto& c : r.claims)
    if (c.claim == Claim::C4 && c.verdict != Verdict::Proved)
      v = (v == Verdict::Refuted || c.verdict == Verdict::Refuted) ? Verdict::Refuted : Verdict::Undecided;
  return to_string(v);
}
// Level-end norms: grade 0 and the last grade of each level.
std::vector<const NormEnclosure*> level_ends(const TargetRun& t) {
  std::vector<const NormEnclosure*> out;
  const auto& levels = t.construction.levels;
  for (const auto& n : t.report.norms) {
    bool end = n.grade == 0;
    for (const auto& L : levels) end = end || n.grade == L.first_grade + L.grades;
    if (end) out.push_back(&n);
  }
  return out;
}
const NormEnclosure& last_norm(const TargetRun& t) { return t.report.norms.back(); }

std::vector<std::string> row_block(const TargetRun& t) {
  const auto& r = t.report;
  const Verdict c1 = r.claim(Claim::C1).verdict;
  bool ok = c1 == Verdict::Proved && r.hat_grades == r.grades;
  return {t.name, std::to_string(t.dim), std::to_string(r.grades), std::to_string(r.width), r.depths,
          std::to_string(r.hat_grades), ok ? "PROVED" : c1 == Verdict::Refuted ? "REFUTED" : "UNDECIDED"};
}
std::vector<std::string> row_lemma1(const TargetRun& t) {
  return {t.name, std::to_string(t.report.grades), verdict(t.report, Claim::C2Sign)};
}
std::vector<std::string> row_lemma2(const TargetRun& t) {
  auto ends = level_ends(t);
  Real worst(0);
  std::string v = ends.size() >= 2 ? "PROVED" : "UNDECIDED";
  for (std::size_t i = 1; i < ends.size(); ++i) {
    // Certified upper bound of the contraction (+inf after a zero lower bound).
    Real ratio = ends[i - 1]->inf_lo > 0 ? div_up(ends[i]->inf_hi, ends[i - 1]->inf_lo) : infinity();
    if (ratio > worst) worst = ratio;
    if (ends[i]->inf_hi > ends[i - 1]->inf_lo / 2) v = "UNDECIDED";
    if (ends[i]->inf_lo > ends[i - 1]->inf_hi / 2) v = "REFUTED";
  }
  return {t.name, std::to_string(t.construction.levels.size()), num_up(worst), v};
}
// Lemma 2' and section 8.2: level l ends with ||r||_inf <= t_l = max(kappa U, eps),
// U the constructor's certified bound before the level; checked against the
// checker's own enclosures of ||r||_inf at each level end.
std::vector<std::string> row_lemma2p(const TargetRun& t) {
  const auto& levels = t.construction.levels;
  const Rational& kappa = t.construction.options.kappa;
  const Rational eps = t.construction.options.eps;
  const Real p(numerator(kappa)), q(denominator(kappa));
  std::string v = levels.empty() ? "UNDECIDED" : "PROVED";
  Real worst(0);  // largest certified upper bound of ||r_l||_inf / t_l
  for (const auto& L : levels) {
    const NormEnclosure* end = nullptr;  // the checker's enclosure at the level's last grade
    for (const auto& n : t.report.norms)
      if (n.grade == L.first_grade + L.grades) end = &n;
    if (!end) {
      v = v == "REFUTED" ? v : "UNDECIDED";
      continue;
    }
    const Real& U = L.norm_hi;
    const Real& hi = end->inf_hi;
    const Real& lo = end->inf_lo;
    // hi <= kappa U  <=>  q hi <= p U (rounded so that only a true inequality passes).
    const bool below_kU = mul_up(hi, q) <= mul_down(U, p);
    if (!below_kU && !le(hi, eps)) v = v == "REFUTED" ? v : "UNDECIDED";
    if (mul_down(lo, q) > mul_up(U, p) && !le(lo, eps)) v = "REFUTED";
    const Real tl = std::max(div_down(mul_down(U, p), q), down(eps));
    const Real ratio = tl > 0 ? div_up(hi, tl) : infinity();
    if (ratio > worst) worst = ratio;
  }
  return {t.name, std::to_string(levels.size()), num_up(worst), v};
}
std::vector<std::string> row_c1(const TargetRun& t) {
  return {t.name, std::to_string(t.dim), std::to_string(t.report.width), t.report.depths, std::to_string(t.report.grades),
          verdict(t.report, Claim::C1)};
}
std::vector<std::string> row_c2(const TargetRun& t) {
  return {t.name, std::to_string(t.report.grades), verdict(t.report, Claim::C2Sign), verdict(t.report, Claim::C2)};
}
std::vector<std::string> row_c3(const TargetRun& t) {
  const auto& n = last_norm(t);
  return {t.name, t.eps, std::to_string(t.construction.levels.size()), std::to_string(t.report.grades),
          enc(n.inf_lo, n.inf_hi), enc(n.l1_lo, n.l1_hi), enc(n.l2_lo, n.l2_hi), verdict(t.report, Claim::C3)};
}
std::vector<std::string> row_c4(const TargetRun& t) {
  auto smallest = [&](int p) {
    const ClaimResult& c = t.report.claim(Claim::C4, Rational(p));
    if (c.verdict != Verdict::Proved || c.at == 0) return std::string("-");
    return decimal_down(c.lower, 7) + " at grade " + std::to_string(c.at);
  };
  return {t.name, std::to_string(t.report.grades), smallest(1), smallest(2), verdict_c4(t.report)};
}
}  // namespace

const std::vector<Statement>& statements() {
  constexpr Engine A = Engine::TheoremA, D = Engine::Default;
  static const std::vector<Statement> s = {
      {"block", A, "Block lemma: every grade is a ReLU block of width W <= d+4 and depth d+1 computing a * phi_{m,z} exactly",
       "reconstruction", {"target", "d", "grades", "W", "depth", "proved hat blocks", "verdict"}, row_block},
      {"lemma1", A, "Lemma 1: each grade moves the residual toward 0 without crossing it (r_k between 0 and r_{k-1}, every x)",
       "reconstruction", {"target", "grades", "verdict"}, row_lemma1},
      {"lemma2", A, "Lemma 2 / Theorem A schedule: each level contracts the sup norm by kappa = 1/2 (certified ratio of level-end norms)",
       "reconstruction", {"target", "levels", "largest certified ratio", "verdict"}, row_lemma2},
      {"theoremA-C1", A, "C1: one width W for all grades, independent of f and K", "paper (abstract)",
       {"target", "d", "W", "depth", "grades", "verdict"}, row_c1},
      {"theoremA-C2", A, "C2: |r_k(x)| <= |r_{k-1}(x)| for every x and every grade", "paper (abstract)",
       {"target", "grades", "sign-preserving form", "verdict"}, row_c2},
      {"theoremA-C3", A, "C3: uniform convergence; here: certified ||r_K||_inf <= eps at the last grade", "paper (abstract)",
       {"target", "eps", "levels", "grades", "||r_K||_inf", "||r_K||_1", "||r_K||_2", "verdict"}, row_c3},
      {"theoremA-C4", A, "C4: strict L^p decay at every nontrivial grade (certified lower bound of ||r_{k-1}||_p^p - ||r_k||_p^p)",
       "paper (abstract)", {"target", "grades", "smallest decrease, p = 1", "smallest decrease, p = 2", "verdict"}, row_c4},
      // The default engine: second-order rule, local schedule (section 8).
      {"default-block", D, "Block lemma for the default engine: every grade is the hat block of section 4",
       "reconstruction", {"target", "d", "grades", "W", "depth", "proved hat blocks", "verdict"}, row_block},
      {"default-lemma1", D, "Lemma 1': each grade of the second-order rule keeps r_k between 0 and r_{k-1}, every x",
       "reconstruction", {"target", "grades", "verdict"}, row_lemma1},
      {"default-lemma2", D,
       "Lemma 2' / section 8.2: level l ends with ||r||_inf <= t_l = max(kappa U_{l-1}, eps) (checker's level-end enclosures)",
       "reconstruction", {"target", "levels", "largest certified ||r_l||_inf / t_l", "verdict"}, row_lemma2p},
      {"default-C1", D, "C1 for the default engine: one width W for all grades", "paper (abstract)",
       {"target", "d", "W", "depth", "grades", "verdict"}, row_c1},
      {"default-C2", D, "C2 for the default engine: |r_k(x)| <= |r_{k-1}(x)| for every x and every grade", "paper (abstract)",
       {"target", "grades", "sign-preserving form", "verdict"}, row_c2},
      {"default-C3", D, "C3 for the default engine: certified ||r_K||_inf <= eps at the last grade", "paper (abstract)",
       {"target", "eps", "levels", "grades", "||r_K||_inf", "||r_K||_1", "||r_K||_2", "verdict"}, row_c3},
      {"default-C4", D, "C4 for the default engine: strict L^p decay at every nontrivial grade", "paper (abstract)",
       {"target", "grades", "smallest decrease, p = 1", "smallest decrease, p = 2", "verdict"}, row_c4},
  };
  return s;
}

const Statement* find_statement(const std::string& id) {
  for (const auto& s : statements())
    if (s.id == id) return &s;
  return nullptr;
}

namespace {
std::string md_row(const std::vector<std::string>& cells) {
  std::string s = "|";
  for (const auto& c : cells) {
    std::string e;
    for (char ch : c) e += ch == '|' ? std::string("\\|") : std::string(1, ch);  // a pipe would split the cell
    s += " " + e + " |";
  }
  return s + "\n";
}
std::string md_sep(std::size_t n) {
  std::vector<std::string> sep(n, "---");
  return md_row(sep);
}
std::vector<const TargetRun*> of_engine(const std::vector<TargetRun>& runs, Engine e) {
  std::vector<const TargetRun*> out;
  for (const auto& r : runs)
    if (r.engine == e) out.push_back(&r);
  return out;
}
// File names of a run's figures: NAME-KIND.svg for Theorem A, NAME-so-KIND.svg
// for the default engine.
std::string fig_base(const TargetRun& r) { return r.name + (r.engine == Engine::Default ? "-so" : ""); }
}  // namespace

std::string text_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> w;
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size(); ++i) {
      if (w.size() <= i) w.push_back(0);
      w[i] = std::max(w[i], r[i].size());
    }
  std::ostringstream os;
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(w[i] - r[i].size() + 2, ' ');
    }
    os << line << "\n";
  }
  return os.str();
}

std::string render_statement(const Statement& st, const std::vector<TargetRun>& runs) {
  std::vector<std::vector<std::string>> rows{st.columns};
  for (const TargetRun* r : of_engine(runs, st.engine)) rows.push_back(st.row(*r));
  return st.id + ": " + st.title + " [" + st.source + "]\n" + text_table(rows);
}

std::string render_tables(const std::vector<TargetRun>& runs, bool quick) {
  std::ostringstream os;
  os << "# Theorem tables\n\n"
     << "<!-- Generated by `build/mgdl tables`" << (quick ? " --quick" : "")
     << ". Do not edit by hand: CI regenerates the quick subset and fails on any difference. -->\n\n"
     << "Each table states one claim, runs a constructor and the independent checker (`mgdl verify`) on catalogue\n"
     << "targets, and gives one row per target. Two engines: **Theorem A** as section 6 of docs/theory.md proves it\n"
     << "(first-order rule, adaptive schedule; kappa = 1/2, theta = 255/256, 128 bits), and the **default engine** of\n"
     << "`mgdl construct` (second-order rule, local schedule, kappa = 1/16 or 1/2 for targets without a\n"
     << "Hessian, defect depth 1 in 2-D; section 8), whose statements carry a prime.\n"
     << "PROVED means: for every x in [0,1]^d, by exact dyadic or certified interval arithmetic (never by sampling).\n"
     << "C1-C4 are the claims of the paper's abstract (Zhang, Shen, Xu, arXiv:2601.16884); the block lemma, Lemmas 1,\n"
     << "2, 1', 2' and both constructions are this project's reconstruction (docs/theory.md), not the paper's text.\n"
     << "Numbers are certified enclosures [lower, upper], rounded outward to 4 digits. Timings are in a separate,\n"
     << "uncommitted report (`mgdl tables --report FILE`). LaTeX versions: `mgdl tables --latex DIR`.\n\n"
     << "Targets:\n\n" << md_row({"target", "d", "expression", "engine", "eps"}) << md_sep(5);
  for (const auto& r : runs) os << md_row({r.name, std::to_string(r.dim), "`" + r.expr + "`", engine_label(r.engine), r.eps});
  for (Engine e : {Engine::TheoremA, Engine::Default}) {
    os << "\n# " << (e == Engine::TheoremA ? "Theorem A (first-order rule, adaptive schedule)" : "The default engine (second-order rule, local schedule)")
       << "\n";
    for (const auto& st : statements()) {
      if (st.engine != e) continue;
      os << "\n## " << st.id << "\n\n" << st.title << " (" << st.source << "; program: `build/mgdl theorem " << st.id << "`).\n\n"
         << md_row(st.columns) << md_sep(st.columns.size());
      for (const TargetRun* r : of_engine(runs, e)) os << md_row(st.row(*r));
    }
  }
  os << "\n# Figures\n\nGenerated with the tables (SVG, deterministic). Norms are the checker's certified upper bounds;\n"
     << "residual curves and heat maps are drawn from point values (pictures, not proofs). Logarithmic axes carry\n"
     << "ticks at 1, 2 and 5 times powers of ten.\n";
  for (const auto& r : runs) {
    const std::string b = fig_base(r);
    os << "\n## " << r.name << ", " << engine_label(r.engine) << ", eps " << r.eps << "\n\n";
    if (r.dim == 1)
      os << "![" << b << " norms](figures/" << b << "-norms.svg)\n![" << b << " residuals](figures/" << b << "-residual.svg)\n";
    else
      os << "![" << b << " |r| at level ends](figures/" << b << "-heat.svg)\n";
  }
  return os.str();
}

namespace {
std::string ratio_text(double x) {
  char b[32];
  std::snprintf(b, sizeof b, "%.0f", x);
  return b;
}
const TargetRun* find_row(const std::vector<TargetRun>& rows, const std::string& name, const std::string& eps, Engine e) {
  for (const auto& r : rows)
    if (r.name == name && r.eps == eps && r.engine == e) return &r;
  return nullptr;
}
// "129 (level 7)": the coarsest uniform grid whose P1 interpolant meets eps
// (the level below refuted at a point); "<= 9 (level 1)" when the level below
// is only not certified.
std::string baseline_text(const TargetRun& r) {
  if (!r.baseline || !r.baseline->found) return "-";
  const Baseline& b = *r.baseline;
  return (b.exact() ? "" : "<= ") + std::to_string(b.nodes) + " (level " + std::to_string(b.level) + ")";
}
std::string grades_per_node(const TargetRun& r) {
  if (!r.baseline || !r.baseline->found) return "-";
  char b[32];
  std::snprintf(b, sizeof b, "%.3g", static_cast<double>(r.construction.grades.size()) / static_cast<double>(r.baseline->nodes));
  return b;
}
std::vector<std::string> rules_cells(const TargetRun& r) {
  const auto& n = last_norm(r);
  return {r.name, r.eps, engine_label(r.engine), std::to_string(r.construction.grades.size()), baseline_text(r), grades_per_node(r),
          std::to_string(r.construction.levels.size()), enc(n.inf_lo, n.inf_hi), to_string(r.report.overall())};
}
}  // namespace

std::vector<std::string> unproved_rows(const std::vector<TargetRun>& runs, const std::vector<TargetRun>& rules) {
  std::vector<std::string> out;
  for (const Statement& st : statements())
    for (const TargetRun* r : of_engine(runs, st.engine)) {
      const std::string v = st.row(*r).back();
      if (v != "PROVED") out.push_back("theorems.md, " + st.id + ": " + r->name + " " + r->eps + ": " + v);
    }
  for (const TargetRun& r : rules) {
    const std::string v = rules_cells(r).back();
    if (v != "PROVED") out.push_back("rules.md: " + r.name + " " + r.eps + " " + engine_label(r.engine) + ": " + v);
  }
  return out;
}

std::string render_rules(const std::vector<TargetRun>& rows) {
  std::ostringstream os;
  os << "# First-order versus second-order: grades for the same certified accuracy\n\n"
     << "<!-- Generated by `build/mgdl tables`. Do not edit by hand: CI regenerates the quick rows and fails on any difference. -->\n\n"
     << "Each row: `build/mgdl construct -t TARGET --eps EPS --rule RULE --schedule SCHEDULE -o s.json`, then\n"
     << "`build/mgdl verify s.json --eps EPS`. \"FO/adaptive\" is Theorem A (docs/theory.md section 6), \"SO/local\" the\n"
     << "second-order rule with local refinement (section 8), the default of `mgdl construct` (kappa = 1/16 where the\n"
     << "target has a Hessian, else 1/2, and a last level with theta = 1 - 2^-16, section 8.2; Fact I on sub-simplices\n"
     << "three levels finer in 2-D, section 8.1; FO rows: kappa = 1/2, no last level). Grade counts and bounds are\n"
     << "deterministic (any machine, any thread count); timings are not committed (`mgdl tables --report FILE` writes\n"
     << "them). \"verify\" is the checker's verdict over all of C1-C4 (PROVED: every claim proved); ||r_K||_inf is the\n"
     << "checker's certified enclosure at the last grade, rounded outward.\n\n"
     << "Baseline: `build/mgdl baseline -t TARGET --eps EPS`, the coarsest uniform dyadic grid (level m, (2^m + 1)^d\n"
     << "nodes) whose P1 interpolant on the Kuhn triangulation is certified within eps (Fact I on cells and sub-cells,\n"
     << "Fact N for the interpolant); the level below is refuted at a point, so no coarser uniform grid meets eps,\n"
     << "except where the count is marked <= (the level below is only not certified). \"grades/nodes\" compares the\n"
     << "scheme with it: plain interpolation on that grid needs one coefficient per node.\n\n"
     << md_row({"target", "eps", "rule/schedule", "grades", "P1 baseline nodes", "grades/nodes", "levels", "||r_K||_inf", "verify"}) << md_sep(9);
  for (const auto& r : rows) os << md_row(rules_cells(r));
  // Ratios computed from the rows above (only when both rows are present).
  std::vector<std::string> ratios;
  for (const char* name : {"sin2pi", "runge"})
    for (const char* eps : {"1e-3", "1e-4"}) {
      const TargetRun* a = find_row(rows, name, eps, Engine::TheoremA);
      const TargetRun* b = find_row(rows, name, eps, Engine::Default);
      if (a && b && !b->construction.grades.empty())
        ratios.push_back(std::string(name) + " at " + eps + ": " +
                         ratio_text(static_cast<double>(a->construction.grades.size()) / static_cast<double>(b->construction.grades.size())) + "x");
    }
  if (!ratios.empty()) {
    os << "\nFewer grades with the second-order rule (FO grades / SO grades):";
    for (std::size_t i = 0; i < ratios.size(); ++i) os << (i ? ", " : " ") << ratios[i];
    os << ".\n";
  }
  os << "\nWhere the second-order rule does not help, and why:\n\n"
     << "- **Targets without a Hessian** (weierstrass, takagi, the kinks): the rule falls back to the certified minimum\n"
     << "  on every simplex, i.e. first order. Weierstrass has Hoelder exponent log 2 / log 3 = 0.63; at 1e-3 it is out\n"
     << "  of reach of the 10^6-grade limit (issue 7 notes: a run stopped there with a certified bound of 3.8e-3).\n"
     << "- **Zeros of e.** A cell touching a zero of e has no certain sign for the affine and constant types. Where e\n"
     << "  vanishes on a whole face of the cell (f = 0 there, proved by an exact [0, 0] enclosure, and F = 0), the\n"
     << "  zero-face types (docs/theory.md 8.5: Fact Z, its sloped form, Fact Z2 for two faces) give the nodes next to\n"
     << "  it second-order coefficients: this is what brings sinsin, which vanishes on the boundary of the square, to\n"
     << "  within 2x the baseline (it was 23-37x). Along the halves of the boundary next to the corners (0,0) and (1,1)\n"
     << "  the Kuhn simplices lean the wrong way for any sign-preserving minorant (docs/theory.md 8.5), so the cells there\n"
     << "  still end one grid level deeper than the interior. Zeros elsewhere (a zero curve that is not a union of\n"
     << "  cell faces, as x sin(20 pi x) at k/20) still get no coefficient: first order on O(1) cells per level in\n"
     << "  1-D, on O(1/h) cells along a curve in 2-D.\n"
     << "- Cells where e > 0 but the interval enclosure of e is not certainly positive count as undetermined; strict\n"
     << "  positivity of the affine minorant is required so that the checker keeps a positive margin (1 - theta) e.\n";
  return os.str();
}

std::string render_timings(const std::vector<TargetRun>& runs) {
  std::vector<std::vector<std::string>> rows{{"target", "engine", "eps", "grades", "cells", "construct_s", "verify_s", "baseline_s"}};
  char a[32], b[32], c[32];
  for (const auto& r : runs) {
    std::snprintf(a, sizeof a, "%.2f", r.construct_seconds);
    std::snprintf(b, sizeof b, "%.2f", r.verify_seconds);
    std::snprintf(c, sizeof c, "%.2f", r.baseline_seconds);
    rows.push_back({r.name, engine_label(r.engine), r.eps, std::to_string(r.report.grades), std::to_string(r.report.cells), a, b, c});
  }
  return text_table(rows);
}

namespace {
// ---- Figures: data first (Figure, Heat), then two renderers (SVG, pgfplots).
const char* kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"};

std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.6g", v);
  return b;
}
std::string f2(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f", v);
  return b;
}
// 1-2-5 ticks of a log axis covering [lo, hi] (lo > 0); the axis range is
// widened to the neighbouring ticks.
struct Ticks {
  double lo, hi;
  std::vector<std::pair<double, std::string>> major;  // value, label
  std::vector<double> minor;
};
std::string pow10_label(int m, int e) {
  if (e >= 0 && e <= 4) {
    long long v = m;
    for (int i = 0; i < e; ++i) v *= 10;
    return std::to_string(v);
  }
  return std::to_string(m) + "e" + std::to_string(e);
}
Ticks log_ticks(double lo, double hi) {
  Ticks t;
  const int m125[] = {1, 2, 5};
  int e0 = static_cast<int>(std::floor(std::log10(lo))), e1 = static_cast<int>(std::ceil(std::log10(hi)));
  // The axis: the largest 1-2-5 value <= lo, the smallest >= hi.
  t.lo = std::pow(10.0, e0);
  for (int m : m125)
    if (m * std::pow(10.0, e0) <= lo * (1 + 1e-12)) t.lo = m * std::pow(10.0, e0);
  t.hi = std::pow(10.0, e1);
  for (int e = e1 - 1; e <= e1; ++e)
    for (int m : m125)
      if (m * std::pow(10.0, e) >= hi * (1 - 1e-12) && m * std::pow(10.0, e) < t.hi) t.hi = m * std::pow(10.0, e);
  if (t.hi <= t.lo) t.hi = t.lo * 10;
  const bool dense = std::log10(t.hi / t.lo) <= 3.5;  // few decades: label 2 and 5 too
  for (int e = e0; e <= e1; ++e)
    for (int m : m125) {
      double v = m * std::pow(10.0, e);
      if (v < t.lo * (1 - 1e-12) || v > t.hi * (1 + 1e-12)) continue;
      if (m == 1 || dense) t.major.push_back({v, pow10_label(m, e)});
      else t.minor.push_back(v);
    }
  return t;
}
// 1-2-5 ticks of a linear axis covering [lo, hi].
Ticks lin_ticks(double lo, double hi) {
  Ticks t;
  if (hi <= lo) hi = lo + 1;
  double raw = (hi - lo) / 5, p = std::pow(10.0, std::floor(std::log10(raw))), step = p;
  for (int m : {1, 2, 5, 10})
    if (m * p >= raw) {
      step = m * p;
      break;
    }
  t.lo = std::floor(lo / step + 1e-9) * step;
  t.hi = std::ceil(hi / step - 1e-9) * step;
  for (double v = t.lo; v <= t.hi + step / 2; v += step) {
    double r = std::fabs(v) < step / 2 ? 0 : v;
    char b[32];
    std::snprintf(b, sizeof b, "%g", r);
    t.major.push_back({r, b});
  }
  return t;
}

}  // namespace

std::string render_svg(const Figure& fg) {
  double xmin = 1e300, xmax = -1e300, ymin = 1e300, ymax = -1e300;
  for (const auto& s : fg.series)
    for (const auto& [x, y] : s.pts) xmin = std::min(xmin, x), xmax = std::max(xmax, x), ymin = std::min(ymin, y), ymax = std::max(ymax, y);
  if (xmin > xmax) xmin = fg.xlog ? 1 : 0, xmax = fg.xlog ? 10 : 1, ymin = fg.ylog ? 1 : 0, ymax = fg.ylog ? 10 : 1;
  Ticks tx = fg.xlog ? log_ticks(xmin, xmax) : lin_ticks(xmin, xmax);
  Ticks ty = fg.ylog ? log_ticks(ymin, ymax) : lin_ticks(ymin, ymax);
  const int W = 760, H = 380, ml = 70, mr = 170, mt = 30, mb = 45;  // the legend sits right of the plot area
  auto px = [&](double x) {
    double a = fg.xlog ? std::log10(x / tx.lo) / std::log10(tx.hi / tx.lo) : (x - tx.lo) / (tx.hi - tx.lo);
    return ml + a * (W - ml - mr);
  };
  auto py = [&](double y) {
    double a = fg.ylog ? std::log10(y / ty.lo) / std::log10(ty.hi / ty.lo) : (y - ty.lo) / (ty.hi - ty.lo);
    return H - mb - a * (H - mt - mb);
  };
  std::ostringstream os;
  os << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H << "\" font-family=\"sans-serif\" font-size=\"11\">\n"
     << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
     << "<text x=\"" << (W - mr + ml) / 2 << "\" y=\"18\" text-anchor=\"middle\" font-size=\"13\">" << fg.title << "</text>\n";
  for (const auto& [v, label] : ty.major)
    os << "<line x1=\"" << ml << "\" x2=\"" << W - mr << "\" y1=\"" << f2(py(v)) << "\" y2=\"" << f2(py(v)) << "\" stroke=\"#ddd\"/>"
       << "<text x=\"" << ml - 5 << "\" y=\"" << f2(py(v) + 4) << "\" text-anchor=\"end\">" << label << "</text>\n";
  for (double v : ty.minor)
    os << "<line x1=\"" << ml << "\" x2=\"" << ml + 5 << "\" y1=\"" << f2(py(v)) << "\" y2=\"" << f2(py(v)) << "\" stroke=\"black\"/>\n";
  for (const auto& [v, label] : tx.major)
    os << "<line x1=\"" << f2(px(v)) << "\" x2=\"" << f2(px(v)) << "\" y1=\"" << mt << "\" y2=\"" << H - mb << "\" stroke=\"#eee\"/>"
       << "<text x=\"" << f2(px(v)) << "\" y=\"" << H - mb + 14 << "\" text-anchor=\"middle\">" << label << "</text>\n";
  for (double v : tx.minor)
    os << "<line x1=\"" << f2(px(v)) << "\" x2=\"" << f2(px(v)) << "\" y1=\"" << H - mb - 5 << "\" y2=\"" << H - mb << "\" stroke=\"black\"/>\n";
  os << "<rect x=\"" << ml << "\" y=\"" << mt << "\" width=\"" << W - ml - mr << "\" height=\"" << H - mt - mb
     << "\" fill=\"none\" stroke=\"black\"/>\n"
     << "<text x=\"" << (W - mr + ml) / 2 << "\" y=\"" << H - 8 << "\" text-anchor=\"middle\">" << fg.xlabel << "</text>\n"
     << "<text transform=\"rotate(-90)\" x=\"" << -(H - mb + mt) / 2 << "\" y=\"14\" text-anchor=\"middle\">" << fg.ylabel << "</text>\n";
  for (std::size_t j = 0; j < fg.series.size(); ++j) {
    os << "<polyline fill=\"none\" stroke=\"" << kColours[j % 5] << "\" stroke-width=\"1.2\" points=\"";
    for (const auto& [x, y] : fg.series[j].pts) os << f2(px(x)) << "," << f2(py(y)) << " ";
    os << "\"/>\n";
    const int ly = mt + 10 + 16 * static_cast<int>(j);
    os << "<line x1=\"" << W - mr + 12 << "\" x2=\"" << W - mr + 32 << "\" y1=\"" << ly << "\" y2=\"" << ly << "\" stroke=\"" << kColours[j % 5]
       << "\" stroke-width=\"2\"/><text x=\"" << W - mr + 38 << "\" y=\"" << ly + 4 << "\">" << fg.series[j].name << "</text>\n";
  }
  os << "</svg>\n";
  return os.str();
}

namespace {
std::string tex_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '_' || c == '%' || c == '&' || c == '#' || c == '$') o += '\\';
    if (c == '^') {
      o += "\\^{}";
      continue;
    }
    o += c;
  }
  return o;
}
// A label with norms (||r_k||_inf) in math mode, the rest as text.
std::string tex_label(const std::string& s) {
  std::istringstream in(s);
  std::string w, out;
  while (in >> w) {
    if (!out.empty()) out += ' ';
    if (w.find('_') != std::string::npos || w.find("||") != std::string::npos || w.find('^') != std::string::npos ||
        w == "<=" || w == "kappa") {
      std::string m;
      for (std::size_t i = 0; i < w.size(); ++i) {
        if (w.compare(i, 2, "||") == 0) m += "\\|", ++i;
        else if (w.compare(i, 4, "_inf") == 0) m += "_\\infty", i += 3;
        else if (w.compare(i, 2, "<=") == 0) m += "\\le", ++i;
        else if (w.compare(i, 5, "kappa") == 0) m += "\\kappa", i += 4;
        else if (w[i] == '_' && i + 2 < w.size() && w[i + 1] == '{') {  // r_{k-1}
          std::size_t end = w.find('}', i);
          m += w.substr(i, end - i + 1);
          i = end;
        } else m += w[i];
      }
      out += "$" + m + "$";
    } else {
      out += tex_escape(w);
    }
  }
  return out;
}

std::string render_pgf(const Figure& fg) {
  std::ostringstream os;
  os << "% Generated by build/mgdl tables --latex (pgfplots; \\usepackage{pgfplots}).\n"
     << "\\begin{tikzpicture}\n\\begin{axis}[width=0.8\\linewidth, height=0.45\\linewidth,\n"
     << "  title={" << tex_label(fg.title) << "}, xlabel={" << tex_label(fg.xlabel) << "}, ylabel={" << tex_label(fg.ylabel) << "},\n"
     << "  " << (fg.xlog ? "xmode=log, " : "") << (fg.ylog ? "ymode=log, log basis y=10, " : "")
     << "legend pos=outer north east, legend cell align=left, grid=major]\n";
  for (std::size_t j = 0; j < fg.series.size(); ++j) {
    os << "\\addplot[no marks, thick, color={rgb,255:red," << std::stoi(std::string(kColours[j % 5]).substr(1, 2), nullptr, 16)
       << ";green," << std::stoi(std::string(kColours[j % 5]).substr(3, 2), nullptr, 16) << ";blue,"
       << std::stoi(std::string(kColours[j % 5]).substr(5, 2), nullptr, 16) << "}] coordinates {\n";
    std::size_t n = 0;
    for (const auto& [x, y] : fg.series[j].pts) os << "(" << num(x) << "," << num(y) << ")" << (++n % 8 == 0 ? "\n" : " ");
    os << "};\n\\addlegendentry{" << tex_label(fg.series[j].name) << "}\n";
  }
  os << "\\end{axis}\n\\end{tikzpicture}\n";
  return os.str();
}

Figure norms_figure(const TargetRun& t) {
  Figure fg;
  fg.title = t.name + " (" + engine_label(t.engine) + "): certified upper bounds of the residual norms";
  fg.xlabel = "k + 1 (grade k)";
  fg.ylabel = "upper bound";
  fg.xlog = fg.ylog = true;
  const char* names[] = {"||r_k||_inf", "||r_k||_1", "||r_k||_2"};
  for (int which = 0; which < 3; ++which) {
    Series s;
    s.name = names[which];
    for (const auto& n : t.report.norms) {
      const Real& v = which == 0 ? n.inf_hi : which == 1 ? n.l1_hi : n.l2_hi;
      double d = v.convert_to<double>();
      if (d > 0 && std::isfinite(d)) s.pts.push_back({static_cast<double>(n.grade) + 1, d});
    }
    fg.series.push_back(std::move(s));
  }
  return fg;
}

Figure residual_figure(const TargetRun& t, const Target& f) {
  // |r_k| at grade 0 and the last three level ends, from 2049 dyadic points
  // (a picture, not a proof), on a log scale. r_k vanishes at grid nodes, so
  // each curve is the envelope: the largest sample in each of 256 bins of
  // width 1/256, drawn at the bin's centre; values below 10^-6 of the largest
  // are drawn at that floor.
  Figure fg;
  fg.title = t.name + " (" + engine_label(t.engine) + "): |r_k(x)| at the last level ends";
  fg.xlabel = "x (largest |r_k| in each bin of width 1/256)";
  fg.ylabel = "|r_k(x)|";
  fg.ylog = true;
  const auto& levels = t.construction.levels;
  std::vector<std::size_t> ks{0};
  for (std::size_t i = 0; i < levels.size(); ++i)
    if (i + 3 >= levels.size()) ks.push_back(levels[i].first_grade + levels[i].grades);
  const int N = 2048, L = 11, bins = 256;
  Approximant F(1);
  std::size_t done = 0;
  double top = 0;
  for (std::size_t k : ks) {
    for (; done < k; ++done) {
      const auto& g = t.construction.grades[done];
      F.add(g.m, g.node, g.a);
    }
    Series s;
    s.name = "k = " + std::to_string(k);
    std::vector<double> env(bins, 0.0);
    for (int i = 0; i <= N; ++i) {
      GridPoint q{i};
      Real x = ldexp(Real(i), -L);
      double v = std::fabs((f.point(std::span<const Real>(&x, 1)) - F.at(q, L).to_real()).convert_to<double>());
      const int b = std::min(i * bins / N, bins - 1);
      env[static_cast<std::size_t>(b)] = std::max(env[static_cast<std::size_t>(b)], v);
      top = std::max(top, v);
    }
    for (int b = 0; b < bins; ++b) s.pts.push_back({(b + 0.5) / bins, env[static_cast<std::size_t>(b)]});
    fg.series.push_back(std::move(s));
  }
  const double floor_v = top > 0 ? top * 1e-6 : 1e-6;
  for (auto& s : fg.series)
    for (auto& p : s.pts) p.second = std::max(p.second, floor_v);
  return fg;
}

struct Heat {
  std::string title;
  int n = 48;
  std::vector<std::size_t> ks;
  std::vector<std::vector<double>> panels;  // |r_k| on n x n cell centres, row a = x1
};
Heat heat_data(const TargetRun& t, const Target& f) {
  Heat h;
  h.title = t.name + " (" + engine_label(t.engine) + "): |r_k| at level ends (each panel scaled to its own maximum)";
  const int n = h.n;
  for (const auto& lv : t.construction.levels) h.ks.push_back(lv.first_grade + lv.grades);
  if (h.ks.empty()) h.ks.push_back(0);
  Approximant F(2);
  std::size_t done = 0;
  for (std::size_t k : h.ks) {
    for (; done < k; ++done) {
      const auto& g = t.construction.grades[done];
      F.add(g.m, g.node, g.a);
    }
    std::vector<double> v(static_cast<std::size_t>(n * n));
    for (int a = 0; a < n; ++a)
      for (int b = 0; b < n; ++b) {
        // A dyadic point near the cell centre, so that F is exact there.
        std::int64_t pa = (2 * a + 1) * 1024 / (2 * n), pb = (2 * b + 1) * 1024 / (2 * n);
        GridPoint pq{pa, pb};
        std::vector<Real> x{ldexp(Real(pa), -10), ldexp(Real(pb), -10)};
        v[static_cast<std::size_t>(a * n + b)] = std::fabs((f.point(x) - F.at(pq, 10).to_real()).convert_to<double>());
      }
    h.panels.push_back(std::move(v));
  }
  return h;
}
std::string heat_svg(const Heat& h) {
  const int n = h.n, cell = 4, panel = n * cell, gap = 20;
  const int W = static_cast<int>(h.ks.size()) * (panel + gap) + gap, H = panel + 70;
  std::ostringstream os;
  os << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H << "\" font-family=\"sans-serif\" font-size=\"11\">\n"
     << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
     << "<text x=\"" << W / 2 << "\" y=\"16\" text-anchor=\"middle\" font-size=\"13\">" << h.title << "</text>\n";
  for (std::size_t j = 0; j < h.ks.size(); ++j) {
    const auto& v = h.panels[j];
    double mx = 0;
    for (double r : v) mx = std::max(mx, r);
    const int ox = gap + static_cast<int>(j) * (panel + gap), oy = 30;
    for (int a = 0; a < n; ++a)
      for (int b = 0; b < n; ++b) {
        double s = mx > 0 ? v[static_cast<std::size_t>(a * n + b)] / mx : 0;
        int red = static_cast<int>(255 * s), blue = static_cast<int>(255 * (1 - s));
        os << "<rect x=\"" << ox + a * cell << "\" y=\"" << oy + (n - 1 - b) * cell << "\" width=\"" << cell << "\" height=\"" << cell
           << "\" fill=\"rgb(" << red << ",40," << blue << ")\"/>";
      }
    os << "\n<text x=\"" << ox + panel / 2 << "\" y=\"" << oy + panel + 16 << "\" text-anchor=\"middle\">k = " << h.ks[j] << ", max "
       << to_decimal(Real(mx), 3) << "</text>\n";
  }
  os << "</svg>\n";
  return os.str();
}
std::string heat_pgf(const Heat& h) {
  std::ostringstream os;
  os << "% Generated by build/mgdl tables --latex (pgfplots; \\usepackage{pgfplots}). " << tex_label(h.title) << "\n"
     << "\\begin{tikzpicture}\n";
  const int n = h.n;
  for (std::size_t j = 0; j < h.ks.size(); ++j) {
    const auto& v = h.panels[j];
    double mx = 0;
    for (double r : v) mx = std::max(mx, r);
    os << "\\begin{axis}[at={(" << j * 5 << "cm,0)}, width=5cm, height=5cm, scale only axis=false, enlargelimits=false,\n"
       << "  title={$k = " << h.ks[j] << "$, max " << to_decimal(Real(mx), 3) << "}, colormap/bluered, point meta min=0, point meta max=1]\n"
       << "\\addplot[matrix plot*, mesh/cols=" << n << ", point meta=explicit] coordinates {\n";
    for (int b = 0; b < n; ++b) {
      for (int a = 0; a < n; ++a)
        os << "(" << num((a + 0.5) / n) << "," << num((b + 0.5) / n) << ") ["
           << num(mx > 0 ? v[static_cast<std::size_t>(a * n + b)] / mx : 0) << "] ";
      os << "\n\n";
    }
    os << "};\n\\end{axis}\n";
  }
  os << "\\end{tikzpicture}\n";
  return os.str();
}
}  // namespace

std::vector<std::string> write_figures(const std::vector<TargetRun>& runs, const std::string& dir) {
  std::filesystem::create_directories(dir);
  std::vector<std::string> written;
  for (const auto& r : runs) {
    Target f = *find_target(r.name);
    const std::string b = fig_base(r);
    if (r.dim == 1) {
      write_file_atomic(dir + "/" + b + "-norms.svg", render_svg(norms_figure(r)));
      write_file_atomic(dir + "/" + b + "-residual.svg", render_svg(residual_figure(r, f)));
      written.push_back(b + "-norms.svg");
      written.push_back(b + "-residual.svg");
    } else if (r.dim == 2) {
      write_file_atomic(dir + "/" + b + "-heat.svg", heat_svg(heat_data(r, f)));
      written.push_back(b + "-heat.svg");
    }
  }
  return written;
}

namespace {
std::string tex_table(const std::string& caption, const std::vector<std::string>& columns, const std::vector<std::vector<std::string>>& rows) {
  std::ostringstream os;
  os << "% Generated by build/mgdl tables --latex (booktabs; \\usepackage{booktabs}). " << caption << "\n"
     << "\\begin{tabular}{l";
  for (std::size_t i = 1; i + 1 < columns.size(); ++i) os << "r";
  os << "l}\n\\toprule\n";
  for (std::size_t i = 0; i < columns.size(); ++i) os << (i ? " & " : "") << tex_label(columns[i]);
  os << " \\\\\n\\midrule\n";
  for (const auto& r : rows) {
    for (std::size_t i = 0; i < r.size(); ++i) os << (i ? " & " : "") << tex_escape(r[i]);
    os << " \\\\\n";
  }
  os << "\\bottomrule\n\\end{tabular}\n";
  return os.str();
}
}  // namespace

std::vector<std::string> write_latex(const std::vector<TargetRun>& runs, const std::vector<TargetRun>& rules, const std::string& dir) {
  std::filesystem::create_directories(dir + "/figures");
  std::vector<std::string> written;
  auto put = [&](const std::string& name, const std::string& text) {
    write_file_atomic(dir + "/" + name, text);
    written.push_back(name);
  };
  for (const auto& st : statements()) {
    std::vector<std::vector<std::string>> rows;
    for (const TargetRun* r : of_engine(runs, st.engine)) rows.push_back(st.row(*r));
    if (!rows.empty()) put(st.id + ".tex", tex_table(st.title + " (" + st.source + ")", st.columns, rows));
  }
  if (!rules.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& r : rules) rows.push_back(rules_cells(r));
    put("rules.tex", tex_table("First-order versus second-order: grades for the same certified accuracy",
                               {"target", "eps", "rule/schedule", "grades", "levels", "||r_K||_inf", "verify"}, rows));
  }
  for (const auto& r : runs) {
    Target f = *find_target(r.name);
    const std::string b = fig_base(r);
    if (r.dim == 1) {
      put("figures/" + b + "-norms.tex", render_pgf(norms_figure(r)));
      put("figures/" + b + "-residual.tex", render_pgf(residual_figure(r, f)));
    } else if (r.dim == 2) {
      put("figures/" + b + "-heat.tex", heat_pgf(heat_data(r, f)));
    }
  }
  return written;
}

}  // namespace mgdl
