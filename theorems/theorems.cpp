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

const std::vector<TableTarget>& table_targets() {
  static const std::vector<TableTarget> t = {
      {"sin2pi", "1e-2", true},  {"runge", "1e-2", false},   {"expcos", "1e-2", false}, {"kink", "1e-2", true},
      {"sqrtcusp", "1e-2", false}, {"osc", "1e-2", false},  {"sinsin", "1e-1", false}, {"gauss2", "1e-1", false},
      {"absdiff", "1e-1", true}, {"cone", "1e-1", false},
  };
  return t;
}

std::vector<TargetRun> run_targets(const TablesOptions& opt) {
  std::vector<TargetRun> runs;
  for (const auto& tt : table_targets()) {
    if (opt.quick && !tt.quick) continue;
    TargetRun r;
    Target f = *find_target(tt.name);
    r.name = tt.name;
    r.expr = f.expr;
    r.eps = tt.eps;
    r.dim = f.dim;
    ScheduleOptions so;
    so.eps = parse_decimal(tt.eps);
    so.threads = opt.threads;
    auto t0 = std::chrono::steady_clock::now();
    r.construction = construct(f, so);
    auto t1 = std::chrono::steady_clock::now();
    r.net = to_network(r.construction);
    VerifyOptions vo;
    vo.eps = so.eps;
    vo.threads = opt.threads;
    if (f.dim == 1)  // more norm enclosures for the 1-D figures: grades 1, 4, 16, ...
      for (std::size_t k = 1; k <= r.net.grades.size(); k *= 4) vo.at_grades.push_back(k);
    r.report = verify_scheme(r.net, f, vo);
    auto t2 = std::chrono::steady_clock::now();
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
  static const std::vector<Statement> s = {
      {"block", "Block lemma: every grade is a ReLU block of width W <= d+4 and depth d+1 computing a * phi_{m,z} exactly",
       "reconstruction", {"target", "d", "grades", "W", "depth", "proved hat blocks", "verdict"}, row_block},
      {"lemma1", "Lemma 1: each grade moves the residual toward 0 without crossing it (r_k between 0 and r_{k-1}, every x)",
       "reconstruction", {"target", "grades", "verdict"}, row_lemma1},
      {"lemma2", "Lemma 2 / Theorem A schedule: each level contracts the sup norm by kappa = 1/2 (certified ratio of level-end norms)",
       "reconstruction", {"target", "levels", "largest certified ratio", "verdict"}, row_lemma2},
      {"theoremA-C1", "C1: one width W for all grades, independent of f and K", "paper (abstract)",
       {"target", "d", "W", "depth", "grades", "verdict"}, row_c1},
      {"theoremA-C2", "C2: |r_k(x)| <= |r_{k-1}(x)| for every x and every grade", "paper (abstract)",
       {"target", "grades", "sign-preserving form", "verdict"}, row_c2},
      {"theoremA-C3", "C3: uniform convergence; here: certified ||r_K||_inf <= eps at the last grade", "paper (abstract)",
       {"target", "eps", "levels", "grades", "||r_K||_inf", "||r_K||_1", "||r_K||_2", "verdict"}, row_c3},
      {"theoremA-C4", "C4: strict L^p decay at every nontrivial grade (certified lower bound of ||r_{k-1}||_p^p - ||r_k||_p^p)",
       "paper (abstract)", {"target", "grades", "smallest decrease, p = 1", "smallest decrease, p = 2", "verdict"}, row_c4},
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
}  // namespace

std::string render_statement(const Statement& st, const std::vector<TargetRun>& runs) {
  std::ostringstream os;
  os << st.id << ": " << st.title << " [" << st.source << "]\n" << md_row(st.columns);
  for (const auto& r : runs) os << md_row(st.row(r));
  return os.str();
}

std::string render_tables(const std::vector<TargetRun>& runs, bool quick) {
  std::ostringstream os;
  os << "# Theorem tables\n\n"
     << "<!-- Generated by `build/mgdl tables`" << (quick ? " --quick" : "")
     << ". Do not edit by hand: CI regenerates the quick subset and fails on any difference. -->\n\n"
     << "Each table states one claim, runs the constructor (Theorem A, defaults kappa = 1/2, theta = 255/256, 128 bits)\n"
     << "and the independent checker (`mgdl verify`) on catalogue targets, and gives one row per target.\n"
     << "PROVED means: for every x in [0,1]^d, by exact dyadic or certified interval arithmetic (never by sampling).\n"
     << "C1-C4 are the claims of the paper's abstract (Zhang, Shen, Xu, arXiv:2601.16884); the block lemma, Lemma 1,\n"
     << "Lemma 2 and the construction are this project's reconstruction (docs/theory.md), not the paper's text.\n"
     << "Numbers are certified enclosures [lower, upper], rounded outward to 4 digits. Timings are in a separate,\n"
     << "uncommitted report (`build/theorems-timings.txt`).\n\n"
     << "Targets:\n\n" << md_row({"target", "d", "expression", "eps"}) << md_row({"---", "---", "---", "---"});
  for (const auto& r : runs) os << md_row({r.name, std::to_string(r.dim), "`" + r.expr + "`", r.eps});
  for (const auto& st : statements()) {
    os << "\n## " << st.id << "\n\n" << st.title << " (" << st.source << "; program: `build/mgdl theorem " << st.id
       << "`).\n\n" << md_row(st.columns);
    std::vector<std::string> sep(st.columns.size(), "---");
    os << md_row(sep);
    for (const auto& r : runs) os << md_row(st.row(r));
  }
  os << "\n## Figures\n\nGenerated with the tables (SVG, deterministic). Norms are the checker's certified enclosures;\n"
     << "residual curves and heat maps are drawn from point values (pictures, not proofs).\n";
  for (const auto& r : runs) {
    os << "\n### " << r.name << "\n\n";
    if (r.dim == 1)
      os << "![" << r.name << " norms](figures/" << r.name << "-norms.svg)\n![" << r.name << " residuals](figures/" << r.name
         << "-residual.svg)\n";
    else
      os << "![" << r.name << " |r| at level ends](figures/" << r.name << "-heat.svg)\n";
  }
  return os.str();
}

std::string render_timings(const std::vector<TargetRun>& runs) {
  std::ostringstream os;
  char buf[160];
  os << "target      grades   cells   construct_s   verify_s\n";
  for (const auto& r : runs) {
    std::snprintf(buf, sizeof buf, "%-10s %7zu %8zu %12.2f %10.2f\n", r.name.c_str(), r.report.grades, r.report.cells,
                  r.construct_seconds, r.verify_seconds);
    os << buf;
  }
  return os.str();
}

namespace {
// Minimal deterministic SVG plotting.
struct Plot {
  double x0, x1, y0, y1;  // data ranges (y in log10 when logy)
  bool logy;
  int W = 640, H = 360, ml = 70, mr = 20, mt = 30, mb = 45;
  std::ostringstream body;
  double px(double x) const { return ml + (x - x0) / (x1 - x0) * (W - ml - mr); }
  double py(double y) const {
    double v = logy ? std::log10(y) : y;
    return H - mb - (v - y0) / (y1 - y0) * (H - mt - mb);
  }
};
std::string f2(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f", v);
  return b;
}
std::string svg_frame(const Plot& p, const std::string& title, const std::string& xlabel, const std::string& legend) {
  std::ostringstream os;
  os << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << p.W << "\" height=\"" << p.H << "\" font-family=\"sans-serif\" font-size=\"11\">\n"
     << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
     << "<text x=\"" << p.W / 2 << "\" y=\"18\" text-anchor=\"middle\" font-size=\"13\">" << title << "</text>\n"
     << "<rect x=\"" << p.ml << "\" y=\"" << p.mt << "\" width=\"" << p.W - p.ml - p.mr << "\" height=\"" << p.H - p.mt - p.mb
     << "\" fill=\"none\" stroke=\"black\"/>\n"
     << "<text x=\"" << p.W / 2 << "\" y=\"" << p.H - 8 << "\" text-anchor=\"middle\">" << xlabel << "</text>\n";
  if (p.logy) {
    for (int e = static_cast<int>(std::ceil(p.y0)); e <= static_cast<int>(std::floor(p.y1)); ++e) {
      double y = p.py(std::pow(10.0, e));
      os << "<line x1=\"" << p.ml << "\" x2=\"" << p.W - p.mr << "\" y1=\"" << f2(y) << "\" y2=\"" << f2(y)
         << "\" stroke=\"#ddd\"/><text x=\"" << p.ml - 5 << "\" y=\"" << f2(y + 4) << "\" text-anchor=\"end\">1e" << e << "</text>\n";
    }
  } else {
    for (int i = 0; i <= 4; ++i) {
      double v = p.y0 + (p.y1 - p.y0) * i / 4;
      double y = p.py(v);
      os << "<line x1=\"" << p.ml << "\" x2=\"" << p.W - p.mr << "\" y1=\"" << f2(y) << "\" y2=\"" << f2(y)
         << "\" stroke=\"#ddd\"/><text x=\"" << p.ml - 5 << "\" y=\"" << f2(y + 4) << "\" text-anchor=\"end\">" << to_decimal(Real(v), 2) << "</text>\n";
    }
  }
  os << legend;
  return os.str();
}
const char* kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"};

std::string norms_svg(const TargetRun& t) {
  Plot p;
  p.logy = true;
  const auto& ns = t.report.norms;
  double K = static_cast<double>(std::max<std::size_t>(t.report.grades, 1));
  p.x0 = 0;
  p.x1 = std::log10(K + 1);
  double lo = 1e300, hi = 1e-300;
  for (const auto& n : ns)
    for (const Real* v : {&n.inf_hi, &n.l1_hi, &n.l2_hi, &n.l1_lo}) {
      double d = v->convert_to<double>();
      if (d > 0) lo = std::min(lo, d), hi = std::max(hi, d);
    }
  p.y0 = std::floor(std::log10(lo));
  p.y1 = std::ceil(std::log10(hi));
  if (p.y1 <= p.y0) p.y1 = p.y0 + 1;
  std::ostringstream lines, legend;
  const char* names[] = {"||r_k||_inf", "||r_k||_1", "||r_k||_2"};
  for (int which = 0; which < 3; ++which) {
    lines << "<polyline fill=\"none\" stroke=\"" << kColours[which] << "\" stroke-width=\"1.5\" points=\"";
    for (const auto& n : ns) {
      const Real& v = which == 0 ? n.inf_hi : which == 1 ? n.l1_hi : n.l2_hi;
      double d = v.convert_to<double>();
      if (!(d > 0)) continue;
      lines << f2(p.px(std::log10(static_cast<double>(n.grade) + 1))) << "," << f2(p.py(d)) << " ";
    }
    lines << "\"/>\n";
    legend << "<text x=\"" << p.W - p.mr - 110 << "\" y=\"" << p.mt + 16 + 14 * which << "\" fill=\"" << kColours[which] << "\">"
           << names[which] << "</text>\n";
  }
  std::ostringstream ticks;
  for (int e = 0; e <= static_cast<int>(p.x1); ++e)
    ticks << "<text x=\"" << f2(p.px(e)) << "\" y=\"" << p.H - p.mb + 14 << "\" text-anchor=\"middle\">" << (e == 0 ? std::string("0") : "1e" + std::to_string(e)) << "</text>\n";
  return svg_frame(p, t.name + ": certified upper bounds of the residual norms", "grade k (log scale, k + 1)", legend.str()) +
         ticks.str() + lines.str() + "</svg>\n";
}

std::string residual_svg(const TargetRun& t, const Target& f) {
  // r_k at level ends, sampled at 1024 dyadic points (a picture, not a proof).
  Plot p;
  p.logy = false;
  p.x0 = 0;
  p.x1 = 1;
  const auto& levels = t.construction.levels;
  std::vector<std::size_t> ks{0};
  for (std::size_t i = 0; i < levels.size(); ++i)
    if (i + 3 >= levels.size()) ks.push_back(levels[i].first_grade + levels[i].grades);
  const int N = 1024, L = 10;
  std::vector<std::vector<double>> curves;
  Approximant F(1);
  std::size_t done = 0;
  double lo = 0, hi = 0;
  for (std::size_t k : ks) {
    for (; done < k; ++done) {
      const auto& g = t.construction.grades[done];
      F.add(g.m, g.node, g.a);
    }
    std::vector<double> c;
    for (int i = 0; i <= N; ++i) {
      GridPoint q{i};
      Real x = ldexp(Real(i), -L);
      double v = (f.point(std::span<const Real>(&x, 1)) - F.at(q, L).to_real()).convert_to<double>();
      c.push_back(v);
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    curves.push_back(std::move(c));
  }
  p.y0 = lo;
  p.y1 = hi > lo ? hi : lo + 1;
  std::ostringstream lines, legend;
  for (std::size_t j = 0; j < curves.size(); ++j) {
    lines << "<polyline fill=\"none\" stroke=\"" << kColours[j % 5] << "\" stroke-width=\"1\" points=\"";
    for (int i = 0; i <= N; ++i) lines << f2(p.px(static_cast<double>(i) / N)) << "," << f2(p.py(curves[j][static_cast<std::size_t>(i)])) << " ";
    lines << "\"/>\n";
    legend << "<text x=\"" << p.W - p.mr - 90 << "\" y=\"" << p.mt + 16 + 14 * static_cast<int>(j) << "\" fill=\"" << kColours[j % 5]
           << "\">r_" << ks[j] << "</text>\n";
  }
  std::ostringstream ticks;
  for (int i = 0; i <= 4; ++i)
    ticks << "<text x=\"" << f2(p.px(i / 4.0)) << "\" y=\"" << p.H - p.mb + 14 << "\" text-anchor=\"middle\">" << f2(i / 4.0) << "</text>\n";
  return svg_frame(p, t.name + ": residual r_k(x) at the last level ends", "x", legend.str()) + ticks.str() + lines.str() + "</svg>\n";
}

std::string heat_svg(const TargetRun& t, const Target& f) {
  // |r_k| at level ends on a 48 x 48 grid of cell centres (a picture, not a proof).
  const int n = 48, cell = 4;
  const auto& levels = t.construction.levels;
  std::vector<std::size_t> ks;
  for (const auto& lv : levels) ks.push_back(lv.first_grade + lv.grades);
  if (ks.empty()) ks.push_back(0);
  const int panel = n * cell, gap = 20, W = static_cast<int>(ks.size()) * (panel + gap) + gap, H = panel + 70;
  std::ostringstream os;
  os << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H << "\" font-family=\"sans-serif\" font-size=\"11\">\n"
     << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
     << "<text x=\"" << W / 2 << "\" y=\"16\" text-anchor=\"middle\" font-size=\"13\">" << t.name
     << ": |r_k| at level ends (each panel scaled to its own maximum)</text>\n";
  Approximant F(2);
  std::size_t done = 0;
  for (std::size_t j = 0; j < ks.size(); ++j) {
    for (; done < ks[j]; ++done) {
      const auto& g = t.construction.grades[done];
      F.add(g.m, g.node, g.a);
    }
    std::vector<double> v(static_cast<std::size_t>(n * n));
    double mx = 0;
    for (int a = 0; a < n; ++a)
      for (int b = 0; b < n; ++b) {
        // A dyadic point near the cell centre, so that F is exact there.
        std::int64_t pa = (2 * a + 1) * 1024 / (2 * n), pb = (2 * b + 1) * 1024 / (2 * n);
        GridPoint pq{pa, pb};
        std::vector<Real> x{ldexp(Real(pa), -10), ldexp(Real(pb), -10)};
        double r = std::fabs((f.point(x) - F.at(pq, 10).to_real()).convert_to<double>());
        v[static_cast<std::size_t>(a * n + b)] = r;
        mx = std::max(mx, r);
      }
    const int ox = gap + static_cast<int>(j) * (panel + gap), oy = 30;
    for (int a = 0; a < n; ++a)
      for (int b = 0; b < n; ++b) {
        double s = mx > 0 ? v[static_cast<std::size_t>(a * n + b)] / mx : 0;
        int red = static_cast<int>(255 * s), blue = static_cast<int>(255 * (1 - s));
        os << "<rect x=\"" << ox + a * cell << "\" y=\"" << oy + (n - 1 - b) * cell << "\" width=\"" << cell << "\" height=\"" << cell
           << "\" fill=\"rgb(" << red << ",40," << blue << ")\"/>";
      }
    os << "\n<text x=\"" << ox + panel / 2 << "\" y=\"" << oy + panel + 16 << "\" text-anchor=\"middle\">k = " << ks[j]
       << ", max " << to_decimal(Real(mx), 3) << "</text>\n";
  }
  os << "</svg>\n";
  return os.str();
}
}  // namespace

std::vector<std::string> write_figures(const std::vector<TargetRun>& runs, const std::string& dir) {
  std::filesystem::create_directories(dir);
  std::vector<std::string> written;
  for (const auto& r : runs) {
    Target f = *find_target(r.name);
    if (r.dim == 1) {
      write_file_atomic(dir + "/" + r.name + "-norms.svg", norms_svg(r));
      write_file_atomic(dir + "/" + r.name + "-residual.svg", residual_svg(r, f));
      written.push_back(r.name + "-norms.svg");
      written.push_back(r.name + "-residual.svg");
    } else if (r.dim == 2) {
      write_file_atomic(dir + "/" + r.name + "-heat.svg", heat_svg(r, f));
      written.push_back(r.name + "-heat.svg");
    }
  }
  return written;
}

}  // namespace mgdl
