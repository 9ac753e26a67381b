// Realisation of a grade: which function of x it computes, re-derived from
// the weights alone (docs/theory.md, "The checker").
//
// - x-carriers: neurons whose value is provably x_i (row e_j on a carrier
//   column j, zero bias; x_i >= 0 passes the ReLU), traced grade by grade.
// - A grade whose first layer reads only x-carriers is a function of x alone.
// - Hat proof: for a candidate (m, z), on each of the (d+1)! cones with apex z
//   on which max(0,y) - min(0,y) is linear, exact affine propagation shows
//   every ReLU but the last layer's sign-definite, and the output equal to
//   a * s(1 - gauge) there; the cones cover R^d, so g = a * phi_{m,z} on the cube.
// - Otherwise: exact rational interval propagation over boxes (sound).
#pragma once

#include "kernel/network.hpp"

#include <optional>
#include <string>

namespace mgdl {

// carrier[c] = i when neuron c provably holds x_i, -1 otherwise.
using Carriers = std::vector<int>;
Carriers input_carriers(int d);                                     // H_0 = x
Carriers output_carriers(const Grade& g, const Carriers& in);        // H_k from H_{k-1}
bool reads_only_x(const Grade& g, const Carriers& in);

struct HatProof {
  bool ok = false;
  Rational a;              // g = a * phi_{m,z} on the cube
  std::string why_not;     // when !ok
};
// Requires reads_only_x(g, in). Guarantee: ok only when (m, node) is a node
// of the grid (valid_node) and g = a * phi_{m,z} on the whole cube.
HatProof prove_hat(const Grade& g, const Carriers& in, int d, int m, std::span<const std::int64_t> node);
// The same proof with every number a GMP rational (prove_hat runs it when
// its small exact dyadics would overflow, or to word a failure); the tests
// compare the two.
HatProof prove_hat_rational(const Grade& g, const Carriers& in, int d, int m, std::span<const std::int64_t> node);

// Exact rational interval [lo, hi].
struct QInterval {
  Rational lo, hi;
};
// Exact range enclosure of the grade's output over the box (reads_only_x).
// Guarantee: contains g(x) for every x in the box.
QInterval grade_range(const Grade& g, const Carriers& in, std::span<const QInterval> box);
// Exact value of the grade's output at x (reads_only_x).
Rational grade_value(const Grade& g, const Carriers& in, std::span<const Rational> x);

}  // namespace mgdl
