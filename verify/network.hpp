// The general-network analysis (docs/theory.md 9): certified answers for any
// MGDL network of ReLU grades, each grade of any depth reading grade k-1's
// last hidden layer, as trained networks are. Nothing is assumed about what a
// grade computes: the whole prefix (grades 1..k) is enclosed on dyadic cells
// by exact affine forms with an exact remainder interval, so that
//  - on a cell where every ReLU of grades 1..k has a certain sign, F_k is
//    exactly affine and the kernel's lemmas (Fact N, Fact I, the centred form)
//    enclose f - F_k as for hat schemes;
//  - elsewhere an unstable ReLU is replaced by its sound linear relaxation
//    (lambda z <= ReLU(z) <= lambda z + mu on [l, u]) and the cell is bisected.
// Every number is an exact rational or an outward-rounded interval; no float
// is used anywhere. Refutations are exact points re-evaluated exactly.
#pragma once

#include "kernel/realise.hpp"
#include "verify/checker.hpp"

namespace mgdl {

// Rows 0..K (row 0: f itself, norms only). Per grade: C2 and its sign form
// (PROVED on a partition of the cube into cells where the exact tests pass,
// REFUTED at an exact point, else UNDECIDED within opt.budget cells per grade
// and opt.max_level), certified enclosures of ||r_k||_inf, ||r_k||_1,
// ||r_k||_2 (aimed at relative width opt.rel_width) and of
// ||r_{k-1}||_p^p - ||r_k||_p^p for each p in opt.p. `cells` receives the
// number of cells examined. Throws InputError when the network does not have
// the MGDL structure (the caller checks C1 first).
// The enclosure every cell test starts from, exposed for tests: exact
// rational ranges of g_1..g_K over the level-L cell q (from the affine forms
// and their remainders), and whether all ReLUs of grades 1..k have a certain
// sign there (then g_k is affine on the cell and its range is exact).
// Guarantee: g_k(x) lies in the k-th range for every x of the cell.
struct GradeRange {
  QInterval range;
  bool stable = false;
};
std::vector<GradeRange> grade_ranges_on_cell(const Network& net, std::span<const std::int64_t> q, int L);

// Exact rational enclosure of F_upto = g_1 + ... + g_upto over the level-L
// cell q, from the sum of the grades' affine forms (so correlations between
// grades are kept). Guarantee: contains F_upto(x) for every x of the cell.
QInterval prefix_range_on_cell(const Network& net, std::span<const std::int64_t> q, int L, std::size_t upto);

// C2 and its sign-preserving form at the last grade of `net` only, as in
// analyse_network (the same search, the other grades not examined): the row
// of grade K with c2, sign, their witnesses, c2_cells, deepest, nonzero set;
// no norms. Used by the certified training (train/train.hpp).
GradeRow check_last_grade(const Network& net, const Target& f, const VerifyOptions& opt, std::size_t& cells);

std::vector<GradeRow> analyse_network(const Network& net, const Target& f, const VerifyOptions& opt, std::size_t& cells);

}  // namespace mgdl
