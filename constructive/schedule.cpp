// Theorem A's adaptive level schedule (docs/theory.md, "Theorem A").
#include "constructive/schedule.hpp"
#include "numbers/comm.hpp"

#include "constructive/block.hpp"
#include "kernel/rounding.hpp"

#include "constructive/refine.hpp"

#include <algorithm>

namespace mgdl {

void GradeList::push_back(const HatGrade& g) {
  ByteWriter w;
  w.i64(g.level);
  w.i64(g.m);
  w.u64(g.node.size());
  for (auto v : g.node) w.i64(v);
  w.dyadic(g.a);
  offsets_.push_back(bytes_.size());
  bytes_ += w.bytes();
}

HatGrade GradeList::operator[](std::size_t k) const {
  if (k >= offsets_.size()) throw InternalError("GradeList: grade " + std::to_string(k) + " of " + std::to_string(offsets_.size()));
  ByteReader in(std::string_view(bytes_).substr(offsets_[k]));
  HatGrade g{static_cast<int>(in.i64()), static_cast<int>(in.i64()), {}, Dyadic()};
  g.node.resize(static_cast<std::size_t>(in.u64()));
  for (auto& v : g.node) v = in.i64();
  g.a = in.dyadic();
  return g;
}

void GradeList::resize(std::size_t n) {
  if (n > offsets_.size()) throw InternalError("GradeList::resize can only shorten the list");
  bytes_.resize(n == offsets_.size() ? bytes_.size() : offsets_[n]);
  offsets_.resize(n);
}

void GradeList::clear() {
  std::string().swap(bytes_);
  std::vector<std::uint64_t>().swap(offsets_);
}

void BoundMap::push_back(const CellBound& row) {
  ByteWriter w;
  w.i64(row.level);
  w.u64(row.q.size());
  for (auto v : row.q) w.i64(v);
  w.real(row.bound);
  bytes_ += w.bytes();
  ++rows_;
}

void BoundMap::clear() {
  std::string().swap(bytes_);
  rows_ = 0;
}

BoundMap::const_iterator::const_iterator(const BoundMap* m, std::size_t pos) : m_(m), pos_(pos) { read(); }

void BoundMap::const_iterator::read() {
  if (pos_ >= m_->bytes_.size()) return;
  ByteReader in(std::string_view(m_->bytes_).substr(pos_));
  row_.level = static_cast<int>(in.i64());
  row_.q.resize(static_cast<std::size_t>(in.u64()));
  for (auto& v : row_.q) v = in.i64();
  row_.bound = in.real();
  next_ = m_->bytes_.size() - in.left();
}

BoundMap::const_iterator& BoundMap::const_iterator::operator++() {
  pos_ = next_;
  read();
  return *this;
}

const char* to_string(Rule r) { return r == Rule::FirstOrder ? "first-order" : "second-order"; }
const char* to_string(Schedule s) {
  switch (s) {
    case Schedule::Uniform: return "uniform";
    case Schedule::Adaptive: return "adaptive";
    case Schedule::Local: return "local";
  }
  return "?";
}
Rational default_kappa(Rule rule, const Target& f) {
  return rule == Rule::SecondOrder && f.hessian ? Rational(1, 16) : Rational(1, 2);
}
int default_defect_depth(int d) { return d == 2 ? 3 : 0; }
Dyadic default_last_theta(Rule rule) {
  return rule == Rule::SecondOrder ? Dyadic(65535).times_pow2(-16) : Dyadic();
}
ScheduleOptions& use_default_engine(ScheduleOptions& o, const Target& f) {
  o.rule = Rule::SecondOrder;
  o.schedule = Schedule::Local;
  o.kappa = default_kappa(o.rule, f);
  o.last_theta = default_last_theta(o.rule);
  return o;
}
Rule parse_rule(const std::string& s) {
  if (s == "first-order") return Rule::FirstOrder;
  if (s == "second-order") return Rule::SecondOrder;
  throw InputError("unknown rule \"" + s.substr(0, 40) + "\" (first-order or second-order)");
}
Schedule parse_schedule(const std::string& s) {
  if (s == "uniform") return Schedule::Uniform;
  if (s == "adaptive") return Schedule::Adaptive;
  if (s == "local") return Schedule::Local;
  throw InputError("unknown schedule \"" + s.substr(0, 40) + "\" (uniform, adaptive or local)");
}

const char* to_string(StopReason r) {
  switch (r) {
    case StopReason::Tolerance: return "tolerance";
    case StopReason::MaxGrades: return "max-grades";
    case StopReason::MaxLevel: return "max-level";
    case StopReason::Interrupted: return "interrupted";
    case StopReason::TimeLimit: return "time-limit";
  }
  return "?";
}

namespace {
Real times_rational(const Rational& q, const Real& x, mpfr_rnd_t rnd) {
  Real qr, r;
  mpfr_set_q(qr.backend().data(), q.backend().data(), rnd);
  mpfr_mul(r.backend().data(), qr.backend().data(), x.backend().data(), rnd);
  return r;
}
}  // namespace

Construction construct(const Target& f, const ScheduleOptions& opt,
                       const std::function<void(const Construction&)>& checkpoint, const Construction* resume) {
  const int d = f.dim;
  const int max_level = opt.max_level < 0 ? max_level_for_dim(d) : opt.max_level;
  if (max_level > max_level_for_dim(d))
    throw InputError("--max-level " + std::to_string(max_level) + " exceeds " + std::to_string(max_level_for_dim(d)) + " for d = " + std::to_string(d));
  if (opt.kappa <= 0 || opt.kappa >= 1) throw InputError("kappa must lie in (0, 1), got " + to_string(opt.kappa));
  const Rational theta = opt.theta.to_rational();
  // theta = 1 is allowed by Lemma 1, but lets a grade bring r exactly to 0 on a
  // region, where C2 holds with equality and no enclosure can certify it.
  if (theta <= 0 || theta >= 1) throw InputError("theta must lie in (0, 1), got " + to_string(theta));
  if (1 - theta >= opt.kappa) throw InputError("Theorem A needs 1 - theta < kappa (theta " + to_string(theta) + ", kappa " + to_string(opt.kappa) + ")");
  if (opt.eps <= 0) throw InputError("eps must be positive, got " + to_string(opt.eps));
  if (opt.defect_depth < -1 || opt.defect_depth > 4) throw InputError("defect depth must lie in 0..4, got " + std::to_string(opt.defect_depth));
  if (!opt.last_theta.is_zero()) {
    const Rational lt = opt.last_theta.to_rational();
    if (lt <= 0 || lt >= 1) throw InputError("last-level theta must lie in (0, 1), got " + to_string(lt));
    if (opt.rule == Rule::FirstOrder && opt.schedule == Schedule::Adaptive)
      throw InputError("a last-level theta needs the cell engine (Theorem A's first-order adaptive schedule has none)");
  }
  if (opt.start_depth < 0 || opt.max_depth < opt.start_depth || opt.max_depth > 20)
    throw InputError("need 0 <= start depth <= max depth <= 20");
  if (opt.defect_depth < 0) {  // the default, resolved and recorded in the construction
    ScheduleOptions o = opt;
    o.defect_depth = default_defect_depth(d);
    return construct(f, o, checkpoint, resume);
  }

  if (opt.rule == Rule::FirstOrder && opt.schedule == Schedule::Adaptive && comm_size(opt.comm) > 1)
    throw InputError("the first-order adaptive engine (Theorem A's patch sweep) runs on one rank only; on " + std::to_string(comm_size(opt.comm)) +
                     " ranks use the cell engine (--rule second-order, or --schedule local or uniform)");
  if (opt.rule != Rule::FirstOrder || opt.schedule != Schedule::Adaptive) {
    if (resume && !resume->levels.empty() && resume->cell_bounds.empty())
      throw InputError("cannot resume: the file has no cell_bounds (the state of the cell engine)");
    return construct_refined(f, opt, checkpoint, resume);
  }
  Construction c;
  c.target = f;
  c.options = opt;
  c.bits = precision_bits();
  Approximant F(d);
  ContractionOptions copt;
  copt.theta = opt.theta;
  copt.bits = c.bits;
  copt.start_depth = opt.start_depth;
  copt.max_depth = opt.max_depth;
  copt.interrupt = opt.interrupt;
  copt.threads = opt.threads;
  copt.point_width_max = down(opt.eps);
  if (!(opt.time_limit >= 0)) throw InputError("--time-limit must be >= 0 seconds");
  if (opt.time_limit > 0)
    copt.deadline = std::chrono::steady_clock::now() +
                    std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(std::min(opt.time_limit, 1e9)));

  const Real inf(std::numeric_limits<double>::infinity());
  // The stop test compares with eps exactly (never a rounded eps).
  auto below_eps = [&](const Real& U) { return le(U, opt.eps); };
  Real U = inf;        // certified upper bound of ||e||_inf for the current residual e
  c.bound = inf;
  int m = 0;
  if (resume) {  // the state at the end of the last completed level
    c.grades = resume->grades;
    c.levels = resume->levels;
    for (const auto& g : c.grades) F.add(g.m, g.node, g.a);
    if (!c.levels.empty()) {
      U = c.levels.back().bound;
      m = c.levels.back().m;
      c.bound = U;
      if (c.levels.back().truncated) {
        c.stop = StopReason::MaxGrades;
        return c;
      }
    }
  }
  for (int level = static_cast<int>(c.levels.size()) + 1;; ++level) {
    if (below_eps(U)) {
      c.stop = StopReason::Tolerance;
      break;
    }
    if (c.grades.size() >= opt.max_grades) {
      c.stop = StopReason::MaxGrades;
      break;
    }
    // Find the smallest admissible m >= the previous one.
    Sweep s;
    Real L(0);
    bool accepted = false;
    for (; m <= max_level; ++m) {
      copt.tol = U == inf ? inf : Real(times_rational(opt.kappa, U, MPFR_RNDD) / 16);
      copt.goal = times_rational(opt.kappa, L, MPFR_RNDD) / 2;
      Real abort_above = U == inf ? inf : times_rational(opt.kappa, U, MPFR_RNDU);
      s = sweep(f, F, m, copt, abort_above);
      c.cells += s.cells;
      c.patches += s.patches;
      ++c.sweeps;
      if (s.interrupted) break;
      if (s.norm_lo > L) L = s.norm_lo;  // point lower bounds hold even for an aborted sweep
      if (s.complete) {
        if (s.norm_hi < U) U = s.norm_hi;
        if (below_eps(U)) break;  // already below tolerance: no grade needed
        if (s.bound <= times_rational(opt.kappa, L, MPFR_RNDD)) {
          accepted = true;
          break;
        }
      }
      if (opt.progress) opt.progress(level, m, c.grades.size(), U);
      c.stuck_node = s.worst;
      c.stuck_m = m;
    }
    if (s.interrupted) {
      c.stop = s.timed_out ? StopReason::TimeLimit : StopReason::Interrupted;
      c.bound = c.levels.empty() ? inf : c.levels.back().bound;
      break;
    }
    if (below_eps(U)) {
      c.bound = U;
      c.stop = StopReason::Tolerance;
      break;
    }
    if (!accepted) {
      c.stop = StopReason::MaxLevel;
      c.bound = U;
      break;
    }
    LevelRecord rec;
    rec.level = level;
    rec.m = m;
    rec.first_grade = c.grades.size();
    rec.norm_lo = L;
    rec.norm_hi = U;
    for (auto& [z, a] : s.coefficients) {
      if (c.grades.size() >= opt.max_grades) {
        rec.truncated = true;
        break;
      }
      F.add(m, z, a);
      c.grades.push_back({level, m, std::move(z), std::move(a)});
    }
    rec.grades = c.grades.size() - rec.first_grade;
    // A truncated level keeps the previous bound (pointwise monotonicity, Lemma 1).
    rec.bound = rec.truncated ? U : s.bound;
    U = rec.bound;
    c.bound = U;
    c.stuck_m = -1;
    c.stuck_node.clear();
    c.levels.push_back(rec);
    // A checkpoint is the file of a run stopped here: interrupted after this
    // level (a finished run overwrites it with its own stop).
    c.stop = rec.truncated ? StopReason::MaxGrades : StopReason::Interrupted;
    if (checkpoint) checkpoint(c);
    if (opt.progress) opt.progress(level, m, c.grades.size(), U);
    if (rec.truncated) {
      c.stop = StopReason::MaxGrades;
      break;
    }
  }
  return c;
}

std::uint64_t construction_memory_estimate(std::size_t grades, int d, int format) {
  const std::uint64_t slots = static_cast<std::uint64_t>(hat_block_width(d)) * static_cast<std::uint64_t>(hat_block_depth(d));
  const std::uint64_t per_grade = format == 2 ? 4096 : 600 * slots;
  return (std::uint64_t{32} << 20) + static_cast<std::uint64_t>(grades) * per_grade;
}

Network to_network(const Construction& c) {
  Network net;
  net.dim = c.target.dim;
  net.width = hat_block_width(net.dim);
  net.grades.reserve(c.grades.size());
  for (std::size_t k = 0; k < c.grades.size(); ++k) {
    const HatGrade& g = c.grades[k];
    Grade G = hat_block(net.dim, g.m, g.node, g.a, k == 0);
    G.hint.level = g.level;
    net.grades.push_back(std::move(G));
  }
  return net;
}

}  // namespace mgdl
