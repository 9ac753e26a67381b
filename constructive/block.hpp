// The constructor's grade: the hat block, a fixed-width ReLU block computing
// a * phi_{m,z} (docs/theory.md section 4). It is defined in the kernel
// because it is also the meaning of a hat record of mgdl-scheme/2
// (kernel/hat_block.hpp); the checker never relies on it.
#pragma once

#include "kernel/hat_block.hpp"
