// Grade-wise training as multigrade deep learning does it (`mgdl train`,
// docs/experiments.md): grade k is one hidden ReLU layer of width W reading
// grade k-1's hidden layer; its hidden weights are fitted to the residual by
// Adam (full batch, mean squared error), then its readout is solved exactly as
// a linear least-squares problem on the frozen hidden features (Eigen,
// complete orthogonal decomposition: the minimum-norm solution). Floats are
// converted exactly, so the checker certifies the network that was trained,
// not a rounded copy.
//
// The certified variant (docs/theory.md 10) accepts a trained grade only when
// the checker PROVES its sign-preserving pointwise claim on the whole cube;
// otherwise it halves the readout (when the checker's witness shows an
// overshoot, not a wrong sign), and failing that replaces the grade by a
// contraction grade (hats of one level with certified coefficients), and
// failing that by the trivial grade. Nothing in here is trusted: `mgdl verify`
// re-derives every verdict from the written file.
#pragma once

#include "kernel/scheme.hpp"
#include "targets/target.hpp"
#include "verify/checker.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace mgdl {

struct TrainOptions {
  std::size_t grades = 8;     // K
  int width = 32;             // W, every hidden layer (the d carry neurons included)
  int epochs = 1000;          // full-batch Adam steps per grade
  double lr = 1e-3;           // Adam step size
  std::size_t samples = 10000;  // uniform random points of the cube
  std::uint64_t seed = 1;
  bool certified = false;     // the certified variant
  bool carry = true;          // d neurons of every grade carry x forward (needed by --certified)
  int halvings = 3;           // certified: readout halvings tried before replacing a grade
  unsigned threads = 1;       // checker threads (certified); results do not depend on it
  std::size_t budget = 5000;  // certified: cells per grade check (an UNDECIDED grade is replaced, never kept)
  int max_level = 30;         // certified: finest cell level of a grade check
};

// What happened to one grade.
struct GradeLog {
  std::size_t grade = 0;
  double mse_before = 0;     // mean of r_{k-1}^2 on the samples
  double mse_adam = 0;       // after Adam (hidden layer and readout)
  double mse = 0;            // after the least-squares readout (and any repair)
  double seconds_adam = 0, seconds_ls = 0, seconds_check = 0;
  // "trained", "trained, readout x 2^-j", "contraction level m (n hats)",
  // "trivial"; certified only: the checker's verdict on the kept grade.
  std::string action = "trained";
  Verdict sign = Verdict::Undecided;  // certified: C2 sign-preserving of the kept grade
  std::size_t checks = 0;              // certified: checker runs for this grade
};

struct Training {
  Scheme scheme;
  std::vector<GradeLog> log;
};

// Deterministic for given options (any thread count). Throws InputError for
// bad options (width too small for the carry neurons, a target that is not
// finite at a sample point, --certified without carry, d outside 1..3 with
// --certified).
Training train(const Target& f, const TrainOptions& opt, const std::function<void(const GradeLog&)>& progress = {});

// Mean of (f - F_K)^2 over the training points of (samples, seed), F_K in
// doubles: the training MSE of any network (a constructed one too), on the
// points `train` would draw.
double sample_mse(const Network& net, const Target& f, std::size_t samples, std::uint64_t seed);

// The readout's least-squares solve, exposed for tests: c (size cols + 1, the
// intercept last) minimising ||Z c[0..cols) + c[cols] - r||_2, by
// complete orthogonal decomposition (Eigen's rank threshold): among the
// minimisers, the one of least norm. A basic solution (column-pivoting QR)
// was tried first: on nearly collinear ReLU features it put huge weights on
// near-null directions (hats between samples), and a trained sin(100x)
// network had ||r||_inf = 6e8 with a training MSE of 7e-3.
std::vector<double> least_squares_readout(const std::vector<double>& Z, std::size_t rows, std::size_t cols,
                                          const std::vector<double>& r);

// Deterministic uniform doubles in [0, 1) (splitmix64, 53 bits), the same on
// every platform (std:: distributions are not).
struct SplitMix {
  std::uint64_t s;
  std::uint64_t next();
  double uniform();  // [0, 1)
};

}  // namespace mgdl
