// The constructor's grade: a fixed-width ReLU block computing a * phi_{m,z}
// (docs/theory.md section 4). The checker never relies on it: it proves what
// each grade computes from the weights (kernel/realise.hpp).
#pragma once

#include "kernel/network.hpp"

namespace mgdl {

// Width and depth of the hat block of docs/theory.md (Block lemma).
int hat_block_width(int d);   // 3 for d = 1, d + 4 for d >= 2
int hat_block_depth(int d);   // d + 1

// The grade whose output is a * phi_{m,z}: integer weights 2^m, -1, 1 and
// integer biases -j_i, 1; `first` selects the input size (d for grade 1, W later).
Grade hat_block(int d, int m, std::span<const std::int64_t> node, const Dyadic& a, bool first);

}  // namespace mgdl
