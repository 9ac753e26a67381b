// The theorem programs: each statement of docs/theory.md that the toolkit
// checks, run over the catalogue targets it applies to, one row per target;
// and the generator of docs/theorems.md and docs/figures/ (deterministic).
#pragma once

#include "constructive/schedule.hpp"
#include "theorems/baseline.hpp"
#include "verify/checker.hpp"

#include <string>
#include <vector>

namespace mgdl {

// The two engines the tables cover: Theorem A as section 6 proves it
// (first-order rule, adaptive schedule) and the default of `mgdl construct`
// (second-order rule, local schedule; docs/theory.md section 8).
enum class Engine { TheoremA, Default };
const char* engine_label(Engine e);  // "FO/adaptive" or "SO/local"

// One catalogue target constructed by one engine and checked (mgdl verify).
struct TargetRun {
  std::string name, expr, eps;
  Engine engine = Engine::TheoremA;
  int dim = 1;
  Construction construction;
  Network net;
  VerifyReport report;
  std::optional<Baseline> baseline;  // with TablesOptions::baseline: the uniform P1 grid for the same eps
  double construct_seconds = 0, verify_seconds = 0, baseline_seconds = 0;
};

struct TablesOptions {
  bool quick = false;    // the subset CI regenerates (under two minutes on 2 cores)
  unsigned threads = 0;  // for the constructor and the checker; results do not depend on it
  // Default-engine runs: level-end norm enclosures to relative width 1e-5
  // (Lemma 2' compares them with targets they meet almost exactly).
  bool tight_level_ends = false;
  bool baseline = false;  // also the coarsest uniform P1 grid certified within eps (theorems/baseline.hpp)
};

// The targets of the tables, in a fixed order, with their tolerances.
struct TableTarget {
  const char* name;
  const char* eps;
  bool quick;
  Engine engine = Engine::TheoremA;
};
const std::vector<TableTarget>& table_targets();
// The rows of docs/rules.md: first-order versus second-order (grades for the
// same certified accuracy).
const std::vector<TableTarget>& rules_rows();

// Constructs and checks each target (the quick subset with opt.quick).
std::vector<TargetRun> run_targets(const std::vector<TableTarget>& which, const TablesOptions& opt);
std::vector<TargetRun> run_targets(const TablesOptions& opt);  // table_targets(), tight_level_ends

struct Statement {
  std::string id;       // program name: block, lemma1, lemma2, theoremA-C1 ... theoremA-C4, default-*
  Engine engine;        // the runs it is checked on
  std::string title;    // the statement, in words
  std::string source;   // "paper (abstract)" or "reconstruction"
  std::vector<std::string> columns;
  // One row per target (cells in column order, the last is the verdict).
  std::vector<std::string> (*row)(const TargetRun&);
};
const std::vector<Statement>& statements();
const Statement* find_statement(const std::string& id);

// docs/theorems.md: a table per statement, figures linked; no timings.
std::string render_tables(const std::vector<TargetRun>& runs, bool quick);
// docs/rules.md from the runs of rules_rows(): grade counts and certified
// bounds (deterministic); no timings.
std::string render_rules(const std::vector<TargetRun>& rows);
// The rows whose verdict is not PROVED, one line each ("theorems.md,
// default-C2: sinsin 1e-2: UNDECIDED"): every statement on every run of its
// engine, and every docs/rules.md row. `mgdl tables --check` fails on any.
std::vector<std::string> unproved_rows(const std::vector<TargetRun>& runs, const std::vector<TargetRun>& rules);
// Timings (not committed).
std::string render_timings(const std::vector<TargetRun>& runs);
// A plain-text table of one statement, for `mgdl theorem ID`: columns padded
// to their widest cell, two spaces apart.
std::string render_statement(const Statement& s, const std::vector<TargetRun>& runs);
// Plain-text table: each column padded to its widest cell, two spaces between.
std::string text_table(const std::vector<std::vector<std::string>>& rows);
// A line plot: data first, rendered as SVG (deterministic bytes).
struct Series {
  std::string name;
  std::vector<std::pair<double, double>> pts;
};
struct Figure {
  std::string title, xlabel, ylabel;
  bool xlog = false, ylog = false;
  std::vector<Series> series;
};
std::string render_svg(const Figure& fg);

// SVG figures for each run into dir (returns the file names written).
std::vector<std::string> write_figures(const std::vector<TargetRun>& runs, const std::string& dir);
// The same tables as LaTeX (booktabs) and the figures as pgfplots (TikZ)
// pictures, into dir: one .tex per statement, rules.tex, figures/NAME.tex.
std::vector<std::string> write_latex(const std::vector<TargetRun>& runs, const std::vector<TargetRun>& rules, const std::string& dir);

}  // namespace mgdl
