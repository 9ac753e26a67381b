// The baseline of docs/rules.md (issue 15): the coarsest uniform dyadic grid
// whose P1 interpolant on the Kuhn triangulation is certified within eps, to
// set next to the grade counts of the schemes. Plain interpolation needs
// (2^m + 1)^d nodes on level m; a scheme that needs many more grades than that
// is doing something badly (docs/rules.md).
#pragma once

#include "targets/target.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace mgdl {

struct BaselineOptions {
  int max_level = 20;        // give up above this level
  int refine = 6;            // sub-cell levels below m tried where Fact I alone is too loose
  std::uint64_t max_cells = std::uint64_t{1} << 26;  // (2^m)^d cells at most per level
  unsigned threads = 0;      // results do not depend on it
};

// One level's verdict on ||f - I_m f||_inf <= eps.
struct BaselineLevel {
  int m = 0;
  bool certified = false;               // <= eps on every cell, proved
  Real bound;                           // certified upper bound of ||f - I_m f||_inf; +inf when not certified
  std::optional<std::vector<Rational>> refuted_at;  // a point where |f - I_m f| > eps, certainly
};

struct Baseline {
  bool found = false;
  int level = -1;                // the coarsest certified level
  std::uint64_t nodes = 0;       // (2^level + 1)^d
  std::vector<BaselineLevel> levels;  // every level tried, coarsest first
  // The level below `level` was refuted at a point: `level` is the coarsest
  // uniform grid whose interpolant meets eps at all, not just the coarsest
  // the bounds certify.
  bool exact() const { return found && (level == 0 || (levels.size() >= 2 && levels[levels.size() - 2].refuted_at)); }
};

// Levels m = 0, 1, ... up to opt.max_level until one is certified.
// Guarantee: `certified` only when |f(x) - I_m f(x)| <= eps for every x in the
// cube (Fact I on cells or sub-cells, Fact N for the interpolant on sub-cells,
// outward rounding); `refuted_at` only with |f - I_m f| > eps there
// (enclosures). Throws InputError for eps <= 0 or f not finite on a cell.
Baseline p1_baseline(const Target& f, const Rational& eps, const BaselineOptions& opt = {});

// The value of I_m f at the dyadic point p / 2^L (L >= m), enclosed: the
// barycentric combination on the level-m Kuhn simplex holding it. Exposed
// for tests. Guarantee: contains I_m f(p / 2^L).
Interval p1_interpolant_at(const Target& f, int m, std::span<const std::int64_t> p, int L);

}  // namespace mgdl
