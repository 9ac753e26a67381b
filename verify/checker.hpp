// The independent checker: for a saved scheme and a target, each claim of
// the theorem is PROVED for every x in the cube (exact dyadic or certified
// interval arithmetic), REFUTED at an exact point, or UNDECIDED within the
// budget (docs/theory.md 7). Hints in the file (level, m, node) only choose
// what to try; nothing the constructor recorded is trusted. The checker
// compiles against the kernel and the targets only (CMakeLists.txt).
#pragma once

#include "kernel/enclose.hpp"
#include "kernel/network.hpp"
#include "numbers/comm.hpp"
#include "targets/target.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace mgdl {

enum class Verdict { Proved, Refuted, Undecided };
const char* to_string(Verdict v);

// The claims of docs/theory.md 2. C4 is judged once per exponent p.
enum class Claim { C1, C2, C2Sign, C3, C4 };
const char* to_string(Claim c);  // "C1", "C2", "C2 sign-preserving", "C3", "C4"

struct VerifyOptions {
  std::vector<Rational> p{Rational(1), Rational(2)};  // exponents for C4, each >= 1
  std::size_t budget = 200000;        // cells per check (one grade's C2, one norm)
  int max_level = 48;                 // finest cell level
  Rational rel_width = Rational(1, 200);  // aim for norm enclosures this tight (relative)
  // Cells each norm enclosure may spend on tightening (rel_width) beyond
  // deciding C3; default: as many as its partition took, at least 64 2^d.
  std::optional<std::size_t> tighten;
  std::optional<Rational> eps;        // C3 tolerance; default: the scheme's params.eps
  std::vector<std::size_t> at_grades; // extra grades for norm enclosures
  unsigned threads = 0;               // 0: all cores; results do not depend on it
  bool network = false;               // use the general-network analysis for every scheme (verify/network.hpp)
  Rational network_rel_width = Rational(1, 100);  // the general-network analysis: aim for norm enclosures this tight (relative)
  // The cube is cut into 2^slab_level slabs along x_1, each searched and
  // partitioned on its own (docs/theory.md 7.5); default: default_slab_level.
  // Results depend on it, never on how the slabs are shared among ranks.
  std::optional<int> slab_level;
  // The ranks sharing this run (null: one process). Every rank calls the
  // checker with the same scheme, target and options; each keeps only the
  // hats meeting its slabs, and every rank gets the whole report.
  const Comm* comm = nullptr;
  // The norm partition evaluates its cells this many at a time (memory: each
  // chunk's corner tables); results do not depend on it.
  std::size_t eval_chunk = std::size_t{1} << 15;
  // C2's checks run in batches of this many consecutive grades; on several
  // ranks the parts of up to 2^18 grades are computed before they are
  // exchanged, in rounds of `exchange_batches` batches (memory: a rank's own
  // parts of the 2^18 grades, and one round of every rank's). Results do not
  // depend on either (tests set small values).
  std::size_t check_batch = 4096;
  std::size_t exchange_batches = 4;
};

// 6 in 1-D, 4 in 2-D, 3 in 3-D, 2 in 4-D and 5-D, 1 beyond: 2^(level d) first
// cells per norm partition stay in the hundreds.
int default_slab_level(int dim);

// A refutation: grade, exact point and the enclosures that show the failure.
struct Witness {
  std::size_t grade = 0;       // 1-based; 0 for the target itself
  std::vector<Rational> x;     // empty for C1 (a structural failure has no point)
  std::string evidence;        // the enclosures, for the reader
};

// One claim's verdict with the figures it rests on. Which figures are set
// depends on the claim; `describe` renders them, and nothing is ever read
// back from that text.
struct ClaimResult {
  Claim claim = Claim::C1;
  Rational p = 0;  // C4: the exponent
  Verdict verdict = Verdict::Undecided;
  std::optional<Witness> witness;
  std::optional<StructureError> structure;  // C1 refuted: where
  // C2, C2Sign, C4: grades left open (budget, finest level, or a grade this
  // checker cannot enclose) and the first grade reading more than x (0: none).
  std::size_t open = 0, unsupported_from = 0;
  std::size_t max_cells = 0;  // C2: most cells one grade needed (its parts in all slabs)
  int deepest = 0;            // C2: finest cell level reached
  // C3: ||r_at||_inf in [lower, upper] at the last grade; C4: `lower` is the
  // smallest certified lower bound of ||r_{k-1}||_p^p - ||r_k||_p^p over the
  // nontrivial grades, reached at grade `at`.
  std::size_t at = 0;
  Real lower, upper;
  std::optional<Rational> eps;  // C3: the tolerance
  std::vector<Real> ratios;     // C3: upper bounds of the level-end contraction ratios (inf after a zero norm)
};

// Certified enclosures of norms of r_k (k = grade, 0 for f itself); every
// lower end rounded down, every upper end rounded up.
struct NormEnclosure {
  std::size_t grade = 0;
  int level = -1;  // level hint of the grade, -1 if none
  Real inf_lo, inf_hi, l1_lo, l1_hi, l2_lo, l2_hi;
  std::vector<Rational> argmax;  // a point with |r(x)| >= inf_lo
  std::size_t cells = 0;
};

// One grade of the general-network analysis (verify/network.hpp): every grade
// of a network whose grades read earlier grades' features. Row 0 is f itself
// (norms only).
struct GradeRow {
  std::size_t grade = 0;
  Verdict c2 = Verdict::Undecided, sign = Verdict::Undecided;  // C2 and its sign-preserving form at this grade
  std::optional<Witness> c2_w, sign_w;
  std::size_t c2_cells = 0;   // cells the pointwise check of this grade examined
  int deepest = 0;            // finest cell level it reached
  bool trivial = false;       // g_k = 0 on the whole cube, proved
  bool nonzero = false;       // g_k(x) != 0 at an exact point
  NormEnclosure norm;         // of r_k
  // ||r_{k-1}||_p^p - ||r_k||_p^p in [lo, hi] (rounded outward), one per exponent.
  struct Decrease {
    Rational p;
    Real lo, hi;
    Verdict verdict = Verdict::Undecided;  // PROVED > 0 (or a trivial grade), REFUTED < 0
  };
  std::vector<Decrease> decrease;
};

struct VerifyReport {
  int dim = 0, width = 0;
  std::size_t grades = 0, hat_grades = 0, general_grades = 0, unsupported_grades = 0, trivial_grades = 0;
  std::size_t depth_min = 0, depth_max = 0;  // hidden layers per grade
  std::string depths;          // depth per grade, e.g. "2" or "2..3"
  std::vector<ClaimResult> claims;  // C1, C2, C2Sign, C3, then C4 for each p in order
  std::vector<NormEnclosure> norms;
  // The general-network analysis ran (some grade reads earlier grades'
  // features, or VerifyOptions::network asked for it): one row per grade 0..K.
  bool network = false;
  std::vector<GradeRow> rows;
  std::size_t cells = 0;       // interval cells examined in total
  int slab_level = 0;          // the slabs' level (VerifyOptions::slab_level)
  Verdict overall() const;
  // The result for a claim (for C4, the one for exponent p); throws std::out_of_range if absent.
  const ClaimResult& claim(Claim c, const Rational& p = Rational(0)) const;
};

// Reads nothing but the network and the target. Throws InputError for bad
// options or a dimension mismatch, InternalError when a self-check fails.
VerifyReport verify_scheme(const Network& net, const Target& f, const VerifyOptions& opt);

// The grades of a network in order, one at a time: the stream calls `emit`
// once per grade (the grade need not outlive the call).
using GradeStream = std::function<void(const std::function<void(const Grade&)>& emit)>;
// verify_scheme for grades read one at a time: keeps O(1) per proved hat
// grade (never its weights) and the weights of the other grades only. The
// same report as verify_scheme. Returns nullopt when the general-network
// analysis is needed (VerifyOptions::network, or a grade reads features of
// earlier grades and C1 holds): that needs the whole network in memory.
std::optional<VerifyReport> verify_stream(int dim, int width, const GradeStream& grades, const Target& f, const VerifyOptions& opt);

// The claim's name as printed: "C1", ..., "C4 p=3/2".
std::string label(const ClaimResult& c);

// One line stating the claim's result and its figures (upper bounds printed
// rounded up, lower bounds rounded down).
std::string describe(const ClaimResult& c, const VerifyReport& r, const VerifyOptions& opt);

}  // namespace mgdl
