// The independent checker: for a saved scheme and a target, each claim of
// the theorem is PROVED for every x in the cube (exact dyadic or certified
// interval arithmetic), REFUTED at an exact point, or UNDECIDED within the
// budget (docs/theory.md, "The checker"). Hints in the file (level, m, node)
// only choose what to try; nothing the constructor recorded is trusted.
#pragma once

#include "kernel/enclose.hpp"
#include "kernel/network.hpp"
#include "targets/target.hpp"

#include <optional>
#include <string>
#include <vector>

namespace mgdl {

enum class Verdict { Proved, Refuted, Undecided };
const char* to_string(Verdict v);

struct VerifyOptions {
  std::vector<Rational> p{Rational(1), Rational(2)};  // exponents for C4
  std::size_t budget = 200000;        // cells per check (one grade's C2, one norm)
  int max_level = 48;                 // finest cell level
  Rational rel_width = Rational(1, 200);  // aim for norm enclosures this tight (relative)
  std::optional<Rational> eps;        // C3 tolerance; default: the scheme's params.eps
  std::vector<std::size_t> at_grades; // extra grades for norm enclosures
  unsigned threads = 0;               // 0: all cores; results do not depend on it
};

// A refutation: grade, exact point and the enclosures that show the failure.
struct Witness {
  std::size_t grade = 0;  // 1-based; 0 for the target itself
  std::vector<Rational> x;
  std::string evidence;
};

struct ClaimResult {
  std::string name;     // "C1", "C2", "C2 sign-preserving", "C3", "C4 p=1", ...
  Verdict verdict = Verdict::Undecided;
  std::string summary;  // figures, or how far it got
  std::optional<Witness> witness;
};

// Certified enclosures of norms of r_k (k = grade, 0 for f itself).
struct NormEnclosure {
  std::size_t grade = 0;
  int level = -1;  // level hint of the grade, -1 if none
  Real inf_lo, inf_hi, l1_lo, l1_hi, l2_lo, l2_hi;
  std::vector<Rational> argmax;  // a point with |r(x)| >= inf_lo
  std::size_t cells = 0;
};

struct VerifyReport {
  int dim = 0, width = 0;
  std::size_t grades = 0, hat_grades = 0, general_grades = 0, unsupported_grades = 0, trivial_grades = 0;
  std::string depths;          // depth per grade, e.g. "2 (all grades)"
  std::vector<ClaimResult> claims;
  std::vector<NormEnclosure> norms;
  std::size_t cells = 0;       // interval cells examined in total
  Verdict overall() const;
};

// Reads nothing but the network and the target.
VerifyReport verify_scheme(const Network& net, const Target& f, const VerifyOptions& opt);

}  // namespace mgdl
