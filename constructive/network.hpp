// The MGDL network: grades of ReLU layers with exact rational weights. Every
// hidden layer of every grade has the same width W; grade k reads only the
// last hidden layer H_{k-1} of grade k-1 (H_0 = x); each grade has a linear
// readout g_k = c . H_k + c0; F_K = g_1 + ... + g_K.
#pragma once

#include "numbers/numbers.hpp"

#include <cstdint>
#include <limits>
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

// The first violation of the MGDL structure (every layer has net.width
// neurons; grade 1 reads x; every other layer reads the layer before it, and
// grade k's first layer reads grade k-1's last layer), or "" when there is none.
std::string structure_error(const Network& net);

// Width and depth of the hat block of docs/theory.md (Block lemma).
int hat_block_width(int d);   // 3 for d = 1, d + 4 for d >= 2
int hat_block_depth(int d);   // d + 1

// The grade whose output is a * phi_{m,z}: integer weights 2^m, -1, 1 and
// integer biases -j_i, 1; `first` selects the input size (d for grade 1, W later).
Grade hat_block(int d, int m, std::span<const std::int64_t> node, const Dyadic& a, bool first);

// Forward pass: out[k] = g_{k+1}(x) for every grade (S = Rational is exact;
// Real rounds to nearest; Interval encloses the exact value).
template <class S>
std::vector<S> grade_outputs(const Network& net, std::span<const S> x, std::size_t upto = SIZE_MAX);

// Last hidden layer H_K(x) after `grades` grades (for structural tests).
std::vector<Rational> features(const Network& net, std::span<const Rational> x, std::size_t grades);

}  // namespace mgdl
