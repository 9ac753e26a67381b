// The theorem programs: each statement of docs/theory.md that the toolkit
// checks, run over the catalogue targets it applies to, one row per target;
// and the generator of docs/theorems.md and docs/figures/ (deterministic).
#pragma once

#include "constructive/schedule.hpp"
#include "verify/checker.hpp"

#include <string>
#include <vector>

namespace mgdl {

// One catalogue target constructed (Theorem A) and checked (mgdl verify).
struct TargetRun {
  std::string name, expr, eps;
  int dim = 1;
  Construction construction;
  Network net;
  VerifyReport report;
  double construct_seconds = 0, verify_seconds = 0;
};

struct TablesOptions {
  bool quick = false;    // the subset CI regenerates (under two minutes on 2 cores)
  unsigned threads = 0;  // for the constructor and the checker; results do not depend on it
};

// The targets of the tables, in a fixed order, with their tolerances.
struct TableTarget {
  const char* name;
  const char* eps;
  bool quick;
};
const std::vector<TableTarget>& table_targets();

std::vector<TargetRun> run_targets(const TablesOptions& opt);

struct Statement {
  std::string id;       // program name: block, lemma1, lemma2, theoremA-C1 ... theoremA-C4
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
// Timings (not committed).
std::string render_timings(const std::vector<TargetRun>& runs);
// A plain-text table of one statement, for `mgdl theorem ID`.
std::string render_statement(const Statement& s, const std::vector<TargetRun>& runs);
// SVG figures for each run into dir (returns the file names written).
std::vector<std::string> write_figures(const std::vector<TargetRun>& runs, const std::string& dir);

}  // namespace mgdl
