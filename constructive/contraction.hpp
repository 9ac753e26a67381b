// The balanced contraction operator T_m with certified coefficients
// (docs/theory.md, "The balanced contraction operator", Lemmas 1 and 2).
#pragma once

#include "constructive/approximant.hpp"
#include "targets/target.hpp"

#include <atomic>
#include <chrono>
#include <limits>

namespace mgdl {

struct ContractionOptions {
  Dyadic theta = Dyadic(255).times_pow2(-8);  // damping, 0 < theta <= 1
  unsigned bits = 128;                        // mantissa bits of a coefficient
  int start_depth = 1;                        // patch box split into cells of level m + start_depth
  int max_depth = 8;                          // finest cells: level m + max_depth
  Real tol = std::numeric_limits<double>::infinity();  // refine while a bound is looser than this
  Real goal = 0;  // stop refining a patch once its B_z <= goal (0: never)
  // A point enclosure of f wider than this means f cannot be evaluated
  // accurately enough for the tolerance: InputError naming the point.
  Real point_width_max = std::numeric_limits<double>::infinity();
  const std::atomic<bool>* interrupt = nullptr;  // checked between patches
  unsigned threads = 1;                          // sweep threads (0: all cores); results do not depend on it
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();  // checked between patches
};

// Certified range of the residual e = f - F over the patch of phi_{m,z}.
// Guarantee: min_lo <= e(x) <= max_hi for every x with phi_{m,z}(x) > 0;
// norm_lo <= ||e||_inf (from point enclosures at cell corners).
struct PatchBounds {
  Real min_lo, max_hi;
  Real min_hi, max_lo;   // point values in the patch: min e <= min_hi, max e >= max_lo
  Real norm_lo;
  std::size_t cells = 0;
};

PatchBounds patch_bounds(const Target& f, const Approximant& F, int m, std::span<const std::int64_t> node,
                         const ContractionOptions& opt);

// a_z: theta * min_lo if min_lo > 0, theta * max_hi if max_hi < 0, else 0,
// rounded toward zero to `bits` bits. So |a_z| <= theta |e(x)| on the patch.
Dyadic coefficient(const PatchBounds& pb, const Dyadic& theta, unsigned bits);

// B_z = max(max_hi, -min_lo) - |a_z|, rounded up: sup over the patch of |T e| is at most B_z.
Real patch_bound(const PatchBounds& pb, const Dyadic& a);

// One application of T_m to e = f - F: all level-m nodes in lexicographic order.
// The nodes are cut into chunks of whole rows (first coordinate) that do not
// depend on the thread count; each chunk has its own cell cache, chunks run on
// opt.threads threads and are merged in key order, so every field below is the
// same for any thread count. An abort keeps the nodes up to the first (in key
// order) whose B_z exceeds abort_above, as a sequential sweep would.
struct Sweep {
  bool complete = true;                                  // false: aborted, some B_z > abort_above
  std::vector<std::pair<GridPoint, Dyadic>> coefficients;  // nonzero a_z, lexicographic order
  Real bound;                                            // B_m(e) = max_z B_z >= ||T_m e||_inf
  Real norm_lo, norm_hi;                                 // enclosure of ||e||_inf
  GridPoint worst;                                       // node attaining B_m
  std::size_t cells = 0;
  std::size_t patches = 0;                               // nodes examined (fewer when aborted)
  bool interrupted = false;                              // stopped by the interrupt flag or the deadline
  bool timed_out = false;                                // stopped by the deadline
};
std::uint64_t sweep_chunk_nodes(int m, int d);
Sweep sweep(const Target& f, const Approximant& F, int m, const ContractionOptions& opt, const Real& abort_above);

}  // namespace mgdl
