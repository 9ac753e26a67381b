// The MGDL network: grades of ReLU layers with exact rational weights. Every
// hidden layer of every grade has the same width W; grade k reads only the
// last hidden layer H_{k-1} of grade k-1 (H_0 = x); each grade has a linear
// readout g_k = c . H_k + c0; F_K = g_1 + ... + g_K.
#pragma once

#include "numbers/numbers.hpp"

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace mgdl {

struct Layer {
  int out = 0;  // neurons (= the network width W)
  int in = 0;   // inputs: d for the first layer of grade 1, W otherwise
  struct Entry {
    int row, col;
    Rational v;
  };
  std::vector<Entry> W;                         // nonzero weights, row-major order
  std::vector<std::pair<int, Rational>> b;      // nonzero biases, by row
};

struct Readout {
  std::vector<std::pair<int, Rational>> c;      // nonzero readout weights
  Rational c0 = 0;
};

// What the constructor says a grade is: a hint, never trusted by the checker.
struct GradeHint {
  int level = -1;
  int m = -1;
  std::vector<std::int64_t> node;
};

struct Grade {
  std::vector<Layer> layers;
  Readout readout;
  GradeHint hint;
};

struct Network {
  int dim = 0;
  int width = 0;
  std::vector<Grade> grades;
};

// A violation of the MGDL structure, as data: the grade and layer (both
// 1-based; layer 0 when the grade has no layer at all) and what is wrong.
struct StructureError {
  std::size_t grade = 0, layer = 0;
  std::string what;  // "grade 3 layer 2 has 4 neurons, but the width is 3"
};
// Guarantee: empty exactly when every layer has net.width neurons, grade 1
// reads x (dim inputs), every other layer reads the layer before it, and grade
// k's first layer reads grade k-1's last layer; otherwise the first violation.
std::optional<StructureError> structure_check(const Network& net);
// The same check fed one grade at a time (grades need not be kept).
class StructureChecker {
 public:
  StructureChecker(int dim, int width) : width_(width), prev_(dim) {}
  void add(const Grade& g);  // no effect after the first violation
  const std::optional<StructureError>& error() const { return error_; }
  std::size_t grades() const { return k_; }

 private:
  int width_, prev_;
  std::size_t k_ = 0;
  std::optional<StructureError> error_;
};
// structure_check's message, or "" when there is no violation.
std::string structure_error(const Network& net);

// Forward pass: out[k] = g_{k+1}(x) for every grade (S = Rational is exact;
// Real rounds to nearest; Interval encloses the exact value).
template <class S>
std::vector<S> grade_outputs(const Network& net, std::span<const S> x, std::size_t upto = SIZE_MAX);

// Last hidden layer H_K(x) after `grades` grades (for structural tests).
std::vector<Rational> features(const Network& net, std::span<const Rational> x, std::size_t grades);

}  // namespace mgdl
