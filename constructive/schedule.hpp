// Theorem A's level schedule: level l applies T_m to e^(l-1) with the
// smallest m >= m_(l-1) whose certified bound B_m(e) <= kappa * (lower bound
// of ||e||_inf); every nonzero coefficient becomes one grade.
#pragma once

#include "constructive/contraction.hpp"
#include "kernel/network.hpp"

#include <functional>

namespace mgdl {

class Comm;  // numbers/comm.hpp

// Coefficient rules (docs/theory.md, sections 5 and 8): the first-order patch
// minorant of Theorem A, or the second-order per-simplex minorant.
enum class Rule { FirstOrder, SecondOrder };
// Schedules: uniform dyadic levels (level l on grid l); Theorem A's adaptive
// schedule (smallest admissible m per level); local refinement (only cells
// whose certified bound exceeds the level's target get grades).
enum class Schedule { Uniform, Adaptive, Local };
const char* to_string(Rule r);
const char* to_string(Schedule s);
Rule parse_rule(const std::string& s);          // InputError when unknown
Schedule parse_schedule(const std::string& s);  // InputError when unknown

struct ScheduleOptions {
  Rule rule = Rule::FirstOrder;
  Schedule schedule = Schedule::Adaptive;
  Rational kappa = Rational(1, 2);
  Dyadic theta = Dyadic(255).times_pow2(-8);
  Rational eps = Rational(1, 100);
  std::size_t max_grades = 1000000;
  int max_level = -1;   // -1: the largest level the dimension allows
  int start_depth = 1;
  int max_depth = 8;
  unsigned threads = 0;    // sweep threads (0: all cores); the construction does not depend on it
  double time_limit = 0;  // seconds from the start of construct(); 0: none. Stops like an interruption (StopReason::TimeLimit)
  // Cell engine: the most nodes per batch of its sweep over a pass (a batch is
  // also at most max(1024, ones / 8) nodes, about an eighth of a layer across
  // x1; the sweep holds about one layer of cells plus a batch). The
  // construction does not depend on it; tests set 1 to exercise the sweep.
  std::size_t sweep_batch = 4096;
  // Cell engine, second-order rule, d >= 2: Fact I is also applied on the
  // level-(m + k) sub-simplices of a cell, k = defect_depth (docs/theory.md
  // 8.1), where the cell's own defects exceed 1/8 of the pass's target; 0: on
  // the cell only; -1: default_defect_depth(d). Part of the construction (the
  // resolved value is stored in the scheme file; files without it were built
  // with 0). -1..4.
  int defect_depth = -1;
  // Cell engine: the last level (docs/theory.md 8.2). When kappa^2 U <= eps and
  // (1 - last_theta) U < eps (U the bound before the level), the level after
  // this one would be the last anyway: this level aims at eps directly, with
  // damping last_theta. 0: no such level (Theorem A's targets throughout; files
  // without it were built so).
  Dyadic last_theta;
  // Called after each level and each rejected level trial.
  std::function<void(int level, int m, std::size_t grades, const Real& bound)> progress;
  // Set (e.g. by a signal handler) to stop at the next patch; the result then
  // holds the completed levels only (StopReason::Interrupted).
  const std::atomic<bool>* interrupt = nullptr;
  // Cell engine: the ranks sharing the work (null: this process alone). Each
  // pass deals its hot cells to the ranks in equal contiguous runs; every rank
  // computes the coefficients at the corners of its cells and their bounds,
  // and all ranks merge them into the same state (grades, bound map), so the
  // construction does not depend on the number of ranks. The first-order
  // adaptive engine runs on one rank only (InputError otherwise).
  const Comm* comm = nullptr;
};

// The default engine of mgdl construct (docs/rules.md): the second-order rule
// with the local schedule, and kappa = default_kappa(rule, f).
ScheduleOptions& use_default_engine(ScheduleOptions& o, const Target& f);
// 1/16 for the second-order rule on a target with Hessian enclosures, else 1/2
// (docs/theory.md 8.2): a second-order pass leaves about (1 - theta) U + O(h^2)
// whatever the target, so fewer, deeper levels need fewer grades; without a
// Hessian the rule is first order, where deep levels cost far more (weierstrass
// at 1e-2: 10^6 grades unfinished with 1/16, 174,856 with 1/2).
Rational default_kappa(Rule rule, const Target& f);
// 3 in 2-D, else 0 (docs/theory.md 8.1): in 2-D the sub-simplices cut the
// defects to about the true interpolation error (sinsin at 1e-2 needs it);
// in 3-D the sharper coefficients cost the checker 5-10 times the cells (sum3
// at 1e-2: 52,712 cells with 0, 252,645 with 1, for the same 6,272 grades).
int default_defect_depth(int d);
// 1 - 2^-16 for the second-order rule, 0 (none) for the first-order rule
// (docs/theory.md 8.2).
Dyadic default_last_theta(Rule rule);

enum class StopReason { Tolerance, MaxGrades, MaxLevel, Interrupted, TimeLimit };
const char* to_string(StopReason r);

struct HatGrade {
  int level;
  int m;
  GridPoint node;
  Dyadic a;
  friend bool operator==(const HatGrade&, const HatGrade&) = default;
};

// The grades of a construction, held encoded: about 35 bytes a grade (varints
// and the coefficient's exact bytes, plus an offset), where a HatGrade with
// its two heap blocks takes about 120. A construction of 10^6 grades keeps its
// list on the rank that writes it; a grade is decoded when it is read.
class GradeList {
 public:
  class const_iterator {
   public:
    using value_type = HatGrade;
    using difference_type = std::ptrdiff_t;
    const_iterator() = default;
    const_iterator(const GradeList* l, std::size_t k) : l_(l), k_(k) {}
    HatGrade operator*() const { return (*l_)[k_]; }
    const_iterator& operator++() { return ++k_, *this; }
    const_iterator operator++(int) { const_iterator t = *this; ++k_; return t; }
    friend bool operator==(const const_iterator& a, const const_iterator& b) { return a.k_ == b.k_; }

   private:
    const GradeList* l_ = nullptr;
    std::size_t k_ = 0;
  };
  void push_back(const HatGrade& g);
  std::size_t size() const { return offsets_.size(); }
  bool empty() const { return offsets_.empty(); }
  HatGrade operator[](std::size_t k) const;  // k < size()
  HatGrade back() const { return (*this)[size() - 1]; }
  void resize(std::size_t n);  // n <= size(): keeps the first n grades
  void clear();
  void reserve(std::size_t n) { offsets_.reserve(n); }
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, size()}; }
  // The same grades (each has one encoding).
  friend bool operator==(const GradeList& a, const GradeList& b) { return a.bytes_ == b.bytes_ && a.offsets_ == b.offsets_; }

 private:
  std::string bytes_;
  std::vector<std::uint64_t> offsets_;  // where grade k's bytes start
};

// A row of the cell engine's bound map: the certified bound of |r| on the
// level-`level` cell q.
struct CellBound {
  int level;
  GridPoint q;
  Real bound;
  friend bool operator==(const CellBound&, const CellBound&) = default;
};

// The bound map, held encoded (about 40 bytes a row against about 130) and
// read in order.
class BoundMap {
 public:
  class const_iterator {
   public:
    using value_type = CellBound;
    using difference_type = std::ptrdiff_t;
    const_iterator() = default;
    const_iterator(const BoundMap* m, std::size_t pos);
    const CellBound& operator*() const { return row_; }
    const CellBound* operator->() const { return &row_; }
    const_iterator& operator++();
    const_iterator operator++(int) { const_iterator t = *this; ++*this; return t; }
    friend bool operator==(const const_iterator& a, const const_iterator& b) { return a.pos_ == b.pos_; }

   private:
    void read();
    const BoundMap* m_ = nullptr;
    std::size_t pos_ = 0, next_ = 0;  // this row's bytes, and the next row's
    CellBound row_{0, {}, Real(0)};
  };
  void push_back(const CellBound& row);
  std::size_t size() const { return rows_; }
  bool empty() const { return rows_ == 0; }
  void clear();
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, bytes_.size()}; }
  std::vector<CellBound> rows() const { return {begin(), end()}; }  // decoded (tests)
  friend bool operator==(const BoundMap& a, const BoundMap& b) { return a.bytes_ == b.bytes_; }

 private:
  std::string bytes_;
  std::size_t rows_ = 0;
};

struct LevelRecord {
  int level = 0;
  int m = 0;
  std::size_t first_grade = 0, grades = 0;
  Real norm_lo, norm_hi;   // enclosure of ||e^(l-1)||_inf before the level
  Real bound;              // certified upper bound of ||r||_inf after the level
  bool truncated = false;  // cut short by max_grades
};

struct Construction {
  Target target;
  ScheduleOptions options;
  unsigned bits = 128;
  GradeList grades;
  std::vector<LevelRecord> levels;
  StopReason stop = StopReason::Tolerance;
  Real bound;               // certified upper bound of ||r_K||_inf for the last grade K
  GridPoint stuck_node;     // MaxLevel: the node whose patch did not contract
  int stuck_m = -1;
  std::size_t cells = 0;    // interval cells examined
  std::size_t held_cells = 0;  // cell engine: the most cells this rank's sweep held at once (its working set)
  std::size_t patches = 0;  // patches examined over all sweeps, rejected trials included
  std::size_t sweeps = 0;   // sweeps (level trials), rejected ones included
  // Cell engine (constructive/refine): the bound map at the end of the last
  // completed level, so that --resume can continue exactly.
  using CellBound = mgdl::CellBound;
  BoundMap cell_bounds;
};

// Throws InputError for bad options or a target that is not finite somewhere.
// `checkpoint` (optional) is called after every completed level. With
// `resume`, the schedule continues after resume->levels; the result is the
// same as that of an uninterrupted run with the same options.
Construction construct(const Target& f, const ScheduleOptions& opt,
                       const std::function<void(const Construction&)>& checkpoint = {},
                       const Construction* resume = nullptr);

// Peak bytes a construction of `grades` grades in dimension d may take when
// it writes scheme format `format`. Format 1 builds the network and its JSON
// text: 600 bytes per weight slot of a hat block, an overestimate of what was
// measured (issue 8 notes: 225 MB for 87292 grades in 1-D). Format 2 writes
// hat records from the grades: 4 KB per grade, an overestimate of the cell
// engine's measured peak (issue 15 notes: about 1 KB per grade for sum3 at
// 1e-3, 335,001 grades in 320 MB).
std::uint64_t construction_memory_estimate(std::size_t grades, int d, int format = 1);

// The explicit fixed-width MGDL network of a construction.
Network to_network(const Construction& c);

}  // namespace mgdl
