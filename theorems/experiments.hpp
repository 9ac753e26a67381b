// docs/experiments.md: grade-wise training (plain and certified, `mgdl train`)
// next to the constructor on the MGDL targets of the catalogue, every verdict
// and norm from the checker (`mgdl verify`). Deterministic: the same bytes on
// every run on one machine (training is in doubles, single-threaded).
#pragma once

#include "theorems/theorems.hpp"
#include "train/train.hpp"

#include <string>
#include <vector>

namespace mgdl {

struct ExperimentSpec {
  const char* target;
  std::size_t grades;
  int width, epochs;
  std::size_t samples;
  const char* construct_eps;  // the constructor's tolerance
  bool quick;                 // in the subset CI regenerates
};
const std::vector<ExperimentSpec>& experiment_specs();

// One method on one target: the scheme, how it was made, what the checker says.
struct MethodRun {
  std::string method;          // "plain", "certified", "constructor"
  Network net;
  std::vector<GradeLog> log;   // training only
  double mse = 0;              // on the training points of the spec (seed 1)
  VerifyReport report;
  double make_seconds = 0, verify_seconds = 0;
};
struct ExperimentRun {
  ExperimentSpec spec;
  std::string expr;
  int dim = 1;
  std::vector<MethodRun> methods;
};

std::vector<ExperimentRun> run_experiments(bool quick, unsigned threads);
std::string render_experiments(const std::vector<ExperimentRun>& runs);
// Per-grade figures (SVG) into dir; returns the file names.
std::vector<std::string> write_experiment_figures(const std::vector<ExperimentRun>& runs, const std::string& dir);
// Timings (not committed).
std::string render_experiment_timings(const std::vector<ExperimentRun>& runs);

}  // namespace mgdl
