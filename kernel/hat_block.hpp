// The hat block of docs/theory.md section 4: a fixed-width ReLU grade whose
// output is a * phi_{m,z}. It is here, in the kernel, because it is the
// meaning of a hat record of the compact scheme format (mgdl-scheme/2,
// kernel/scheme.hpp): the reader expands each record into exactly these
// weights. The checker never relies on it: it proves what each grade
// computes from the weights (prove_hat, kernel/realise.hpp), so a grade whose
// weights were not a hat would be checked as a general grade.
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
