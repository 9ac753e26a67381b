// The general-network analysis (see network.hpp and docs/theory.md 9).
#include "verify/network.hpp"

#include "kernel/enclose.hpp"
#include "kernel/rounding.hpp"
#include "numbers/parallel.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <deque>

namespace mgdl {

namespace {

// In-place exact arithmetic on GMP rationals (no temporaries on the hot path).
inline void addmul(Rational& acc, const Rational& w, const Rational& v, Rational& tmp) {
  mpq_mul(tmp.backend().data(), w.backend().data(), v.backend().data());
  mpq_add(acc.backend().data(), acc.backend().data(), tmp.backend().data());
}

// An affine form on a cell: the value lies in a . x + c + [elo, ehi] for every
// x of the cell. exact() (a zero remainder) means the value IS a . x + c there.
struct Form {
  std::vector<Rational> a;
  Rational c, elo, ehi;
  bool zero = true;  // a = 0, c = 0 and a zero remainder (skipped in sums)
  bool exact() const { return elo == 0 && ehi == 0; }
};

// A region of the cube: a dyadic cell, or (verts non-empty) one Kuhn simplex
// of a cell, given by its d + 1 vertices. lo, hi: the cell's corners, exactly.
struct Box {
  std::vector<Rational> lo, hi;
  std::vector<std::vector<Rational>> verts;
};

Box cell_box(const GridPoint& q, int L) {
  Box b;
  const Integer den = Integer(1) << L;
  for (auto v : q) {
    b.lo.emplace_back(v, den);
    b.hi.emplace_back(v + 1, den);
  }
  return b;
}

// Exact range of a form over the box: [lo, hi].
void range(const Form& f, const Box& b, Rational& lo, Rational& hi) {
  Rational tmp;
  if (!b.verts.empty()) {  // a simplex: an affine function takes its extremes at the vertices
    for (std::size_t v = 0; v < b.verts.size(); ++v) {
      Rational x = f.c;
      for (std::size_t i = 0; i < f.a.size(); ++i) addmul(x, f.a[i], b.verts[v][i], tmp);
      if (v == 0 || x < lo) lo = x;
      if (v == 0 || x > hi) hi = x;
    }
    lo += f.elo;
    hi += f.ehi;
    return;
  }
  lo = f.c + f.elo;
  hi = f.c + f.ehi;
  for (std::size_t i = 0; i < f.a.size(); ++i) {
    const int s = f.a[i].sign();
    if (s > 0) addmul(lo, f.a[i], b.lo[i], tmp), addmul(hi, f.a[i], b.hi[i], tmp);
    else if (s < 0) addmul(lo, f.a[i], b.hi[i], tmp), addmul(hi, f.a[i], b.lo[i], tmp);
  }
}

// acc += w * f (a linear combination; the remainder scales by |w| with the
// ends swapped for w < 0).
void add_scaled(Form& acc, const Rational& w, const Form& f, Rational& tmp) {
  if (f.zero || w == 0) return;
  acc.zero = false;
  for (std::size_t i = 0; i < f.a.size(); ++i) addmul(acc.a[i], w, f.a[i], tmp);
  addmul(acc.c, w, f.c, tmp);
  if (w.sign() > 0) addmul(acc.elo, w, f.elo, tmp), addmul(acc.ehi, w, f.ehi, tmp);
  else addmul(acc.elo, w, f.ehi, tmp), addmul(acc.ehi, w, f.elo, tmp);
}

Form zero_form(std::size_t d) {
  Form f;
  f.a.assign(d, Rational(0));
  return f;
}

// ReLU of a form with range [l, u] on the cell. Certain sign: exact. Otherwise
// the relaxation lambda z <= ReLU(z) <= lambda z + mu for z in [l, u], any
// lambda in [0, 1] and mu = max((1 - lambda) u, -lambda l); lambda is a short
// dyadic near u / (u - l) (its value only affects tightness, never soundness).
void relu(Form& f, const Box& b, bool& stable, bool& kuhn) {
  if (f.zero) return;
  Rational l, u;
  range(f, b, l, u);
  if (l.sign() >= 0) return;
  if (u.sign() <= 0) {
    f = zero_form(f.a.size());
    return;
  }
  stable = false;
  // A kink a . x + c = 0 can lie on faces of the cell's Kuhn simplices only if
  // a is a multiple of e_i - e_j (a hint for trying the simplices, which
  // decide stability themselves). Only an exact form's kink is judged: after
  // a relaxation upstream, a says nothing about where the kink lies (a hat's
  // outer ReLU at a vertex of its support, where inner kinks meet).
  if (kuhn && f.elo == 0 && f.ehi == 0) {
    int nz = 0;
    const Rational* first = nullptr;
    bool opposite = false;
    for (const auto& v : f.a)
      if (v != 0) {
        ++nz;
        if (!first) first = &v;
        else opposite = v == -*first;
      }
    kuhn = nz == 0 || (nz == 2 && opposite);
  }
  const Rational ratio = u / (u - l);  // in (0, 1)
  const Integer scaled = bmp::numerator(ratio) * (Integer(1) << 24) / bmp::denominator(ratio);  // floor
  const Rational lambda(scaled, Integer(1) << 24);
  const Rational up1 = (1 - lambda) * u, up2 = -lambda * l;
  const Rational mu = up1 > up2 ? up1 : up2;
  for (auto& v : f.a) v *= lambda;
  f.c *= lambda;
  f.elo *= lambda;
  f.ehi = f.ehi * lambda + mu;
}

// Forms of every grade's output g_1..g_upto on one cell, and whether every
// ReLU of grades 1..k has a certain sign there (then g_1..g_k are exact).
struct Forward {
  std::vector<Form> g;       // g[k - 1]
  std::vector<char> stable;  // stable[k - 1]: grades 1..k all stable
  bool kuhn = true;          // every unstable ReLU's kink may lie on Kuhn simplex faces
};

Forward forward(const Network& net, const Box& b, std::size_t upto) {
  const std::size_t d = b.lo.size();
  Forward out;
  Rational tmp;
  std::vector<Form> h(d, zero_form(d));
  for (std::size_t i = 0; i < d; ++i) h[i].a[i] = 1, h[i].zero = false;
  bool stable = true;
  for (std::size_t k = 0; k < upto; ++k) {
    const Grade& G = net.grades[k];
    for (const Layer& L : G.layers) {
      std::vector<Form> next(static_cast<std::size_t>(L.out), zero_form(d));
      for (const auto& [row, v] : L.b) next[static_cast<std::size_t>(row)].c += v, next[static_cast<std::size_t>(row)].zero = false;
      for (const auto& e : L.W) add_scaled(next[static_cast<std::size_t>(e.row)], e.v, h[static_cast<std::size_t>(e.col)], tmp);
      for (auto& n : next) {
        if (n.zero) continue;
        relu(n, b, stable, out.kuhn);
        if (!n.zero && n.c == 0 && n.elo == 0 && n.ehi == 0 && std::all_of(n.a.begin(), n.a.end(), [](const Rational& v) { return v == 0; }))
          n.zero = true;
      }
      h = std::move(next);
    }
    Form g = zero_form(d);
    g.c = G.readout.c0;
    g.zero = G.readout.c0 == 0;
    for (const auto& [col, v] : G.readout.c) add_scaled(g, v, h[static_cast<std::size_t>(col)], tmp);
    out.g.push_back(std::move(g));
    out.stable.push_back(stable ? 1 : 0);
  }
  return out;
}

Interval outward(const Rational& lo_q, const Rational& hi_q) { return make_interval(down(lo_q), up(hi_q)); }

// The value of an exact form at the point p / 2^L, as a dyadic (nullopt when
// it is not dyadic: a non-dyadic weight).
std::optional<Dyadic> dyadic_at(const Form& f, std::span<const std::int64_t> p, int L) {
  Rational v = f.c, tmp;
  const Integer den = Integer(1) << L;
  for (std::size_t i = 0; i < f.a.size(); ++i) addmul(v, f.a[i], Rational(p[i], den), tmp);
  try {
    return Dyadic::from_rational(v);
  } catch (const InputError&) {
    return std::nullopt;
  }
}

// Second-order Taylor model of f on a cell (docs/theory.md 9.3): with t = x - c,
//   f(x) = f(c) + grad f(c) . t + t^T M t / 2 + rho(x),  |rho| <= rho_max,
// M a fixed matrix and dH >= |Hess f - M| entrywise on the cell. For r = f - H
// with H affine (slope a) the polynomial part P = alpha + g . t + t^T M t / 2
// (alpha = r(c), g = grad f(c) - a) integrates exactly over the cube of side h
// (odd moments vanish; E t_i^2 = h^2/12, E t_i^4 = h^4/80, E t_i^2 t_k^2 = h^4/144).
struct TaylorCell {
  bool ok = false;
  int d = 0;
  Interval f_c;                  // f(c)
  std::vector<Interval> grad_c;  // grad f(c)
  std::vector<Interval> M;       // thin
  Real rho;                      // >= |rho(x)| on the cell
  Real hM;                       // >= sum |M_ij| h^2 / 8 (a bound of |t^T M t / 2|)
  Real h_half;                   // h / 2 (exact)
  Interval t2, t4a, t4b, h2_24;  // h^2/12, h^4/80, h^4/144, h^2/24
};

TaylorCell taylor_cell(const Target& f, const TargetCell& tc, const GridPoint& q, int L) {
  TaylorCell T;
  const int d = static_cast<int>(q.size());
  if (!tc.has_interp || tc.hess.size() != static_cast<std::size_t>(d * d) || (!f.gradient && !f.hessian)) return T;
  const CellPoints cp = cell_points(q, L);
  Interval v;
  std::vector<Interval> gr, H;
  if (f.hessian) f.hessian(cp.centre_box, v, gr, H);
  else f.gradient(cp.centre_box, v, gr);
  if (!is_finite(v) || gr.size() != static_cast<std::size_t>(d)) return T;
  for (const auto& x : gr)
    if (!is_finite(x)) return T;
  T.d = d;
  T.f_c = v;
  T.grad_c = gr;
  const Real h = ldexp(Real(1), -L);
  const Real q4 = mul_up(h, h) / 4;  // h^2 / 4 (exact: a power of two)
  Real rho(0), hm(0);
  for (const auto& Hij : tc.hess) {
    const Real m = (lo(Hij) + hi(Hij)) / 2;
    T.M.push_back(Interval(m));
    const Real a = sub_up(hi(Hij), m), b = sub_up(m, lo(Hij));
    rho = add_up(rho, a > b ? a : b);
    hm = add_up(hm, m < 0 ? Real(-m) : m);
  }
  T.rho = mul_up(rho, q4) / 2;  // |t_i t_j| <= h^2/4; the 1/2 of the quadratic term (exact)
  T.hM = mul_up(hm, q4) / 2;
  const Interval hi2 = Interval(h) * Interval(h);
  T.h_half = ldexp(Real(1), -L - 1);
  T.t2 = hi2 / 12;
  T.t4a = hi2 * hi2 / 80;
  T.t4b = hi2 * hi2 / 144;
  T.h2_24 = hi2 / 24;
  T.ok = true;
  return T;
}

// x^2 for x in the interval (never negative).
Interval square(const Interval& x) {
  Interval r;
  mpfi_sqr(r.backend().data(), x.backend().data());
  return r;
}

// Enclosures of (1/vol) int r and (1/vol) int r^2 over the cell for r = f - H,
// H exact affine with value Hc at the centre and slope a.
void taylor_integrals(const TaylorCell& T, const Rational& Hc, const std::vector<Rational>& a, Interval& I1, Interval& I2) {
  const int d = T.d;
  const Interval alpha = T.f_c - enclose(Hc);
  std::vector<Interval> g(static_cast<std::size_t>(d));
  for (int i = 0; i < d; ++i) g[static_cast<std::size_t>(i)] = T.grad_c[static_cast<std::size_t>(i)] - enclose(a[static_cast<std::size_t>(i)]);
  Interval SM(0);
  for (int i = 0; i < d; ++i) SM += T.M[static_cast<std::size_t>(i * d + i)];
  const Interval rho = make_interval(Real(-T.rho), T.rho);
  I1 = alpha + SM * T.h2_24 + rho;
  // int P^2 / vol = alpha^2 + sum g_i^2 h^2/12 + alpha tr(M) h^2/12
  //               + (sum_i M_ii^2 h^4/80 + sum_{i != k} (M_ii M_kk + 2 M_ik^2) h^4/144) / 4
  Interval P2 = square(alpha) + alpha * SM * T.t2;
  for (int i = 0; i < d; ++i) P2 += square(g[static_cast<std::size_t>(i)]) * T.t2;
  Interval quart(0);
  for (int i = 0; i < d; ++i)
    for (int k = 0; k < d; ++k) {
      const Interval& Mii = T.M[static_cast<std::size_t>(i * d + i)];
      if (i == k) quart += square(Mii) * T.t4a;
      else quart += (Mii * T.M[static_cast<std::size_t>(k * d + k)] + square(T.M[static_cast<std::size_t>(i * d + k)]) * 2) * T.t4b;
    }
  P2 += quart / 4;
  // r^2 = P^2 + 2 P rho + rho^2 with |P| <= |alpha| + sum |g_i| h/2 + hM.
  Real maxP = hi(abs(alpha));
  for (const auto& gi : g) maxP = add_up(maxP, mul_up(hi(abs(gi)), T.h_half));
  maxP = add_up(maxP, T.hM);
  const Real cross = mul_up(mul_up(Real(2), maxP), T.rho);
  I2 = P2 + make_interval(Real(-cross), add_up(cross, mul_up(T.rho, T.rho)));
}

// The d! Kuhn simplices of the level-L cell q: for a permutation pi, the
// vertices q, q + e_pi(1), q + e_pi(1) + e_pi(2), ... (scaled by 2^-L).
std::vector<Box> kuhn_simplices(const GridPoint& q, int L) {
  const std::size_t d = q.size();
  const Box cell = cell_box(q, L);
  std::vector<std::size_t> perm(d);
  for (std::size_t i = 0; i < d; ++i) perm[i] = i;
  std::vector<Box> out;
  const Integer den = Integer(1) << L;
  do {
    Box b = cell;
    std::vector<std::int64_t> v(q.begin(), q.end());
    for (std::size_t step = 0; step <= d; ++step) {
      if (step) ++v[perm[step - 1]];
      std::vector<Rational> x;
      for (auto c : v) x.emplace_back(c, den);
      b.verts.push_back(std::move(x));
    }
    out.push_back(std::move(b));
  } while (std::next_permutation(perm.begin(), perm.end()));
  return out;
}

// Grades k (0-based) at which F_k is affine on each Kuhn simplex of the cell
// though not on the whole cell: every ReLU of grades 1..k+1 has a certain
// sign on each simplex. Then F is determined by its corner values (Fact N).
std::vector<char> piecewise_grades(const Network& net, const GridPoint& q, int L, const Forward& fw, std::size_t upto) {
  std::vector<char> pw(upto, 0);
  if (q.size() < 2 || upto == 0 || fw.stable[upto - 1] || !fw.kuhn) return pw;
  std::vector<char> all(upto, 1);
  for (const Box& s : kuhn_simplices(q, L)) {
    const Forward f = forward(net, s, upto);
    for (std::size_t k = 0; k < upto; ++k) all[k] = all[k] && f.stable[k];
  }
  for (std::size_t k = 0; k < upto; ++k) pw[k] = all[k] && !fw.stable[k];
  return pw;
}

// Exact grade outputs at the cell's 2^d corners and its centre, as prefix sums
// F_1..F_upto (F[j][k] = F_{k+1} at point j; point 2^d is the centre).
std::vector<std::vector<Rational>> prefix_values(const Network& net, const GridPoint& q, int L, std::size_t upto) {
  const std::size_t d = q.size();
  std::vector<std::vector<Rational>> out;
  for (std::uint64_t mask = 0; mask <= (std::uint64_t{1} << d); ++mask) {
    std::vector<Rational> x;
    for (std::size_t i = 0; i < d; ++i)
      x.push_back(mask == (std::uint64_t{1} << d) ? Rational(2 * q[i] + 1, Integer(1) << (L + 1))
                                                   : Rational(q[i] + static_cast<std::int64_t>((mask >> i) & 1), Integer(1) << L));
    std::vector<Rational> g = grade_outputs<Rational>(net, std::span<const Rational>(x), upto);
    for (std::size_t k = 1; k < g.size(); ++k) g[k] += g[k - 1];
    out.push_back(std::move(g));
  }
  return out;
}

// Enclosure of f - H on the cell for H affine on each Kuhn simplex, from its
// exact values at the corners (the first 2^d) and the centre (the last).
Interval residual_corners(const TargetCell& tc, int L, const std::vector<Rational>& vals) {
  std::vector<Dyadic> corners;
  try {
    for (std::size_t i = 0; i + 1 < vals.size(); ++i) corners.push_back(Dyadic::from_rational(vals[i]));
    return enclose_residual(tc, L, corners, Dyadic::from_rational(vals.back()), QInterval{Rational(0), Rational(0)});
  } catch (const InputError&) {  // a non-dyadic weight: the natural enclosure from the corner hull
    Rational mn = vals[0], mx = vals[0];
    for (std::size_t i = 0; i + 1 < vals.size(); ++i) mn = vals[i] < mn ? vals[i] : mn, mx = vals[i] > mx ? vals[i] : mx;
    Interval r = tc.box - make_interval(down(mn), up(mx));
    require_enclosure(r, "the residual on a cell");
    return r;
  }
}

// Enclosure of r = f - H over the cell from the Taylor model (H exact affine,
// value Hc at the centre, slope a): alpha + sum_i q_i(t_i) + off-diagonal
// terms + rho, with q_i(t) = g_i t + M_ii t^2 / 2 ranging, for t in
// [-h/2, h/2], over its values at the ends and at its vertex -g_i / M_ii.
Interval taylor_range(const TaylorCell& T, const Rational& Hc, const std::vector<Rational>& a) {
  const int d = T.d;
  Interval r = T.f_c - enclose(Hc);
  const Interval hh = Interval(T.h_half), t_lo = -hh;
  Real off(0);
  for (int i = 0; i < d; ++i) {
    const Interval g = T.grad_c[static_cast<std::size_t>(i)] - enclose(a[static_cast<std::size_t>(i)]);
    const Interval& m = T.M[static_cast<std::size_t>(i * d + i)];
    const Interval q1 = g * t_lo + m * square(t_lo) / 2, q2 = g * hh + m * square(hh) / 2;
    Real l = lo(q1) < lo(q2) ? lo(q1) : lo(q2), u = hi(q1) > hi(q2) ? hi(q1) : hi(q2);
    if (lo(m) != 0 || hi(m) != 0) {
      const Interval v = -square(g) / (m * 2);  // the vertex value (included whenever it may lie inside: sound)
      if (lo(v) < l) l = lo(v);
      if (hi(v) > u) u = hi(v);
    }
    r += make_interval(l, u);
    for (int k = 0; k < d; ++k)
      if (k != i) off = add_up(off, mul_up(hi(abs(T.M[static_cast<std::size_t>(i * d + k)])), mul_up(T.h_half, T.h_half)) / 2);
  }
  const Real e = add_up(off, T.rho);
  return r + make_interval(Real(-e), e);
}

// Enclosure of f - H on the level-L cell q, H given by a form.
Interval residual(const TargetCell& tc, const TaylorCell* T, const GridPoint& q, int L, const Box& b, const Form& H) {
  const std::size_t d = q.size();
  if (H.exact()) {  // H is affine on the cell: the kernel's lemmas
    std::vector<Dyadic> corners(std::size_t{1} << d);
    GridPoint corner(d), centre(d);
    bool dyadic = true;
    for (std::uint64_t mask = 0; mask < corners.size() && dyadic; ++mask) {
      for (std::size_t i = 0; i < d; ++i) corner[i] = q[i] + static_cast<std::int64_t>((mask >> i) & 1);
      auto v = dyadic_at(H, corner, L);
      if (v) corners[mask] = *v;
      else dyadic = false;
    }
    for (std::size_t i = 0; i < d; ++i) centre[i] = 2 * q[i] + 1;
    auto c = dyadic ? dyadic_at(H, centre, L + 1) : std::nullopt;
    if (dyadic && c) {
      Interval r = enclose_residual(tc, L, corners, *c, QInterval{Rational(0), Rational(0)});
      if (T && T->ok) r = intersect_enclosures(r, taylor_range(*T, c->to_rational(), H.a));
      return r;
    }
  }
  // The natural enclosure, and the centred form of f - (a . x + c) minus the remainder.
  Rational l, u;
  range(H, b, l, u);
  Interval r = tc.box - outward(l, u);
  if (tc.has_centred) {
    Rational at_centre = H.c, tmp;
    const Integer den = Integer(1) << (L + 1);
    for (std::size_t i = 0; i < d; ++i) addmul(at_centre, H.a[i], Rational(2 * q[i] + 1, den), tmp);
    std::vector<Interval> grad_H;
    for (const auto& v : H.a) grad_H.push_back(enclose(v));
    Interval cf = centred_enclosure(tc.centre - enclose(at_centre), tc.grad, grad_H, L) - outward(H.elo, H.ehi);
    r = intersect_enclosures(r, cf);
  }
  require_enclosure(r, "the residual on a cell");
  return r;
}

Form sum(const Form& a, const Form& b, const Rational& wb) {
  Form s = a;
  Rational tmp;
  add_scaled(s, wb, b, tmp);
  return s;
}

std::string enc_text(const Interval& x) { return "[" + decimal_down(lo(x), 8) + ", " + decimal_up(hi(x), 8) + "]"; }

std::vector<Rational> as_point(const GridPoint& p, int L) {
  std::vector<Rational> x;
  for (auto v : p) x.emplace_back(v, Integer(1) << L);
  return x;
}

Interval f_at(const Target& f, const GridPoint& p, int L) {
  std::vector<Interval> pt(p.size());
  for (std::size_t i = 0; i < p.size(); ++i) pt[i] = dyadic_interval(p[i], p[i], L);
  return f.box(pt);
}

// ---- C2 and its sign form, every grade, one search --------------------------

struct C2Cell {
  GridPoint q;
  int L;
  std::vector<char> pending;  // per grade: bit 0 C2, bit 1 the sign form
};

struct C2Outcome {  // one cell, per grade
  std::vector<char> left;  // bits still open after the cell test
  std::vector<char> weak_fail, sign_fail, g_nonzero, g_zero_cell;
  std::vector<std::string> evidence;
};

struct C2State {
  std::vector<std::size_t> cells;
  std::vector<int> deepest;
  std::vector<std::size_t> open;
  std::vector<std::optional<Witness>> weak_w, sign_w;
  std::vector<char> nonzero;
};

C2Outcome test_c2_cell(const Network& net, const Target& f, const C2Cell& c) {
  const std::size_t K = net.grades.size(), d = c.q.size();
  C2Outcome o;
  o.left.assign(K, 0);
  o.weak_fail.assign(K, 0);
  o.sign_fail.assign(K, 0);
  o.g_nonzero.assign(K, 0);
  o.g_zero_cell.assign(K, 0);
  o.evidence.assign(K, "");
  std::size_t upto = 0;
  for (std::size_t k = 0; k < K; ++k)
    if (c.pending[k]) upto = k + 1;
  const Box b = cell_box(c.q, c.L);
  const Forward fw = forward(net, b, upto);
  const TargetCell tc = target_on_cell(f, c.q, c.L, true);
  const TaylorCell T = taylor_cell(f, tc, c.q, c.L);
  // Exact values of every grade at the cell's centre, and f there.
  GridPoint centre(d);
  for (std::size_t i = 0; i < d; ++i) centre[i] = 2 * c.q[i] + 1;
  const std::vector<Rational> x = as_point(centre, c.L + 1);
  const std::vector<Rational> gx = grade_outputs<Rational>(net, std::span<const Rational>(x), upto);
  const Interval fx = tc.has_centred ? tc.centre : f_at(f, centre, c.L + 1);
  // Grades affine on each Kuhn simplex (not on the cell): exact corner values.
  const std::vector<char> pw = piecewise_grades(net, c.q, c.L, fw, upto);
  const bool any_pw = std::any_of(pw.begin(), pw.end(), [](char v) { return v != 0; });
  const auto pv = any_pw ? prefix_values(net, c.q, c.L, upto) : std::vector<std::vector<Rational>>{};
  auto at_points = [&](std::size_t k, const Rational& wg) {  // F_{k-1} + wg g_k at the corners and the centre
    std::vector<Rational> v;
    for (const auto& p : pv) {
      const Rational prev = k ? p[k - 1] : Rational(0);
      v.push_back(prev + wg * (p[k] - prev));
    }
    return v;
  };
  Form F = zero_form(d);
  Rational Fx = 0;
  for (std::size_t k = 0; k < upto; ++k) {
    const Form& g = fw.g[k];
    const Rational Fprev = Fx;
    Fx += gx[k];
    if (gx[k] != 0) o.g_nonzero[k] = 1;
    if (!c.pending[k]) {
      F = sum(F, g, Rational(1));
      continue;
    }
    Rational glo, ghi;
    range(g, b, glo, ghi);
    if (pw[k]) {  // g is affine on each simplex: its exact range is the hull of its corner values
      for (std::size_t j = 0; j + 1 < pv.size(); ++j) {
        const Rational gj = pv[j][k] - (k ? pv[j][k - 1] : Rational(0));
        if (j == 0 || gj < glo) glo = gj;
        if (j == 0 || gj > ghi) ghi = gj;
      }
    }
    char left = c.pending[k];
    const Form Fk = sum(F, g, Rational(1));
    if (glo == 0 && ghi == 0) {
      o.g_zero_cell[k] = 1;
      left = 0;  // g = 0 on the cell: r_k = r_{k-1}, both forms hold
    } else {
      const Interval rk = pw[k] ? residual_corners(tc, c.L, at_points(k, Rational(1))) : residual(tc, &T, c.q, c.L, b, Fk);
      // Self-check: r_k at the centre lies in the cell's enclosure of r_k.
      const Interval rk_x = fx - enclose(Fx);
      require_point_in_cell(rk_x, rk, "the residual");
      if (glo.sign() >= 0 || ghi.sign() <= 0) {
        const bool pos = glo.sign() >= 0;
        const Interval rw = pw[k] ? residual_corners(tc, c.L, at_points(k, Rational(1, 2)))
                                  : residual(tc, &T, c.q, c.L, b, sum(F, g, Rational(1, 2)));  // r_{k-1} - g/2
        const bool weak_ok = pos ? lo(rw) >= 0 : hi(rw) <= 0;
        const bool sign_ok = pos ? lo(rk) >= 0 : hi(rk) <= 0;
        if (weak_ok) left &= ~1;
        if (sign_ok) left &= ~2;
      }
      if (left) {
        // The centre may refute what the cell could not prove.
        const Rational& gv = gx[k];
        const Interval prev = fx - enclose(Fprev);
        if (gv != 0 && is_finite(prev)) {
          const Interval cur = prev - enclose(gv), twice = prev * 2 - enclose(gv);
          o.weak_fail[k] = gv > 0 ? hi(twice) < 0 : lo(twice) > 0;
          o.sign_fail[k] = gv > 0 ? hi(cur) < 0 : lo(cur) > 0;
          o.evidence[k] = "r_" + std::to_string(k) + "(x) in " + enc_text(prev) + ", g_" + std::to_string(k + 1) + "(x) ~ " +
                          to_decimal(nearest(gv), 10) + ", r_" + std::to_string(k + 1) + "(x) in " + enc_text(cur);
        }
      }
    }
    o.left[k] = left;
    F = Fk;
  }
  return o;
}

// only = 0: every grade; otherwise grade `only` alone (1-based; the rows of
// the other grades are left as they are).
void check_pointwise(const Network& net, const Target& f, const VerifyOptions& opt, std::vector<GradeRow>& rows, std::size_t& cells,
                     std::size_t only = 0) {
  const std::size_t K = net.grades.size(), d = static_cast<std::size_t>(net.dim);
  C2State st;
  st.cells.assign(K, 0);
  st.deepest.assign(K, 0);
  st.open.assign(K, 0);
  st.weak_w.resize(K);
  st.sign_w.resize(K);
  st.nonzero.assign(K, 0);
  std::vector<char> pending(K, only == 0 ? 3 : 0);
  if (only != 0) pending.at(only - 1) = 3;
  std::vector<C2Cell> round{C2Cell{GridPoint(d, 0), 0, pending}};
  while (!round.empty()) {
    // A grade refuted in both forms, or out of budget, is no longer searched.
    for (auto& c : round)
      for (std::size_t k = 0; k < K; ++k) {
        if (st.weak_w[k]) c.pending[k] &= ~1;
        if (st.sign_w[k]) c.pending[k] &= ~2;
      }
    std::vector<C2Cell> live;
    for (auto& c : round) {
      bool any = false;
      for (std::size_t k = 0; k < K; ++k) {
        if (!c.pending[k]) continue;
        if (st.cells[k] >= opt.budget) {
          ++st.open[k];
          c.pending[k] = 0;
          continue;
        }
        ++st.cells[k];
        st.deepest[k] = std::max(st.deepest[k], c.L);
        any = true;
      }
      if (any) live.push_back(std::move(c));
    }
    std::vector<C2Outcome> out(live.size());
    parallel_for(live.size(), opt.threads, [&](std::size_t i) { out[i] = test_c2_cell(net, f, live[i]); });
    cells += live.size();
    std::vector<C2Cell> next;
    for (std::size_t i = 0; i < live.size(); ++i) {
      const C2Cell& c = live[i];
      const C2Outcome& o = out[i];
      GridPoint centre(d);
      for (std::size_t j = 0; j < d; ++j) centre[j] = 2 * c.q[j] + 1;
      std::vector<char> left = o.left;
      for (std::size_t k = 0; k < K; ++k) {
        if (o.g_nonzero[k]) st.nonzero[k] = 1;
        if (o.sign_fail[k] && (c.pending[k] & 2) && !st.sign_w[k]) st.sign_w[k] = Witness{k + 1, as_point(centre, c.L + 1), o.evidence[k]};
        if (o.weak_fail[k] && (c.pending[k] & 1) && !st.weak_w[k]) st.weak_w[k] = Witness{k + 1, as_point(centre, c.L + 1), o.evidence[k]};
        if (st.weak_w[k] && !st.sign_w[k]) st.sign_w[k] = st.weak_w[k];  // C2 failing breaks the stronger form
        if (st.weak_w[k]) left[k] &= ~1;
        if (st.sign_w[k]) left[k] &= ~2;
      }
      bool any = std::any_of(left.begin(), left.end(), [](char v) { return v != 0; });
      if (!any) continue;
      if (c.L + 1 > opt.max_level) {
        for (std::size_t k = 0; k < K; ++k)
          if (left[k]) ++st.open[k];
        continue;
      }
      for (std::uint64_t mask = 0; mask < (std::uint64_t{1} << d); ++mask) {
        GridPoint ch(d);
        for (std::size_t j = 0; j < d; ++j) ch[j] = 2 * c.q[j] + static_cast<std::int64_t>((mask >> j) & 1);
        next.push_back(C2Cell{std::move(ch), c.L + 1, left});
      }
    }
    round = std::move(next);
  }
  for (std::size_t k = 0; k < K; ++k) {
    if (only != 0 && k + 1 != only) continue;
    GradeRow& r = rows[k + 1];
    r.c2_cells = st.cells[k];
    r.deepest = st.deepest[k];
    r.nonzero = st.nonzero[k];
    r.c2_w = st.weak_w[k];
    r.sign_w = st.sign_w[k];
    r.c2 = r.c2_w ? Verdict::Refuted : st.open[k] ? Verdict::Undecided : Verdict::Proved;
    r.sign = r.sign_w ? Verdict::Refuted : st.open[k] ? Verdict::Undecided : Verdict::Proved;
    if (r.c2_w && !r.sign_w) r.sign = Verdict::Refuted, r.sign_w = r.c2_w;  // C2 failing breaks the stronger form
  }
}

// ---- norms and decreases, every grade, one shared partition -----------------

struct NCell {
  GridPoint q;
  int L;
  std::vector<Interval> R;   // R[j] encloses r_j on the cell, j = 0..K
  std::vector<Interval> G;   // G[j] encloses g_j on the cell, j = 1..K (G[0] unused)
  std::vector<Interval> Rx;  // r_j at the centre
  std::vector<Interval> J1, J2;  // the integrals of |r_j| and r_j^2 over the cell
  std::vector<char> gx_nonzero;
};

NCell eval_norm_cell(const Network& net, const Target& f, const GridPoint& q, int L) {
  const std::size_t K = net.grades.size(), d = q.size();
  NCell c{q, L, {}, {}, {}, {}, {}, {}};
  const Box b = cell_box(q, L);
  const Forward fw = forward(net, b, K);
  const TargetCell tc = target_on_cell(f, q, L, true);
  GridPoint centre(d);
  for (std::size_t i = 0; i < d; ++i) centre[i] = 2 * q[i] + 1;
  const std::vector<Rational> x = as_point(centre, L + 1);
  const std::vector<Rational> gx = grade_outputs<Rational>(net, std::span<const Rational>(x), K);
  const Interval fx = tc.has_centred ? tc.centre : f_at(f, centre, L + 1);
  const TaylorCell T = taylor_cell(f, tc, q, L);
  const Real vol = ldexp(Real(1), -L * static_cast<int>(d));
  // The integrals of |r| and r^2 over the cell: from the bounds of |r|, and,
  // where F is exactly affine, from the Taylor model (|r| = +-r on a cell
  // where r keeps its sign).
  auto integrals = [&](const Form& H) {
    const Interval& R = c.R.back();
    const AbsBound ab = abs_bound(R);
    Interval J1 = make_interval(mul_down(ab.lo, vol), mul_up(ab.hi, vol));
    Interval J2 = make_interval(mul_down(mul_down(ab.lo, ab.lo), vol), mul_up(mul_up(ab.hi, ab.hi), vol));
    if (T.ok && H.exact()) {
      Rational Hc = H.c, tmp;
      const Integer den = Integer(1) << (L + 1);
      for (std::size_t i = 0; i < d; ++i) addmul(Hc, H.a[i], Rational(2 * q[i] + 1, den), tmp);
      Interval I1, I2;
      taylor_integrals(T, Hc, H.a, I1, I2);
      if (lo(R) >= 0) J1 = intersect_enclosures(J1, I1 * Interval(vol));
      else if (hi(R) <= 0) J1 = intersect_enclosures(J1, -I1 * Interval(vol));
      J2 = intersect_enclosures(J2, I2 * Interval(vol));
    }
    c.J1.push_back(J1);
    c.J2.push_back(J2);
  };
  const std::vector<char> pw = piecewise_grades(net, q, L, fw, K);
  const bool any_pw = std::any_of(pw.begin(), pw.end(), [](char v) { return v != 0; });
  const auto pv = any_pw ? prefix_values(net, q, L, K) : std::vector<std::vector<Rational>>{};
  Form F = zero_form(d);
  Rational Fx = 0;
  c.R.push_back(residual(tc, &T, q, L, b, F));
  c.G.push_back(Interval(0));
  c.Rx.push_back(fx);
  c.gx_nonzero.push_back(0);
  integrals(F);
  for (std::size_t k = 0; k < K; ++k) {
    F = sum(F, fw.g[k], Rational(1));
    Fx += gx[k];
    Rational glo, ghi;
    range(fw.g[k], b, glo, ghi);
    if (pw[k]) {  // affine on each Kuhn simplex: exact ranges from the corner values
      std::vector<Rational> vals;
      for (std::size_t j = 0; j < pv.size(); ++j) {
        vals.push_back(pv[j][k]);
        if (j + 1 == pv.size()) break;
        const Rational gj = pv[j][k] - (k ? pv[j][k - 1] : Rational(0));
        if (j == 0 || gj < glo) glo = gj;
        if (j == 0 || gj > ghi) ghi = gj;
      }
      c.G.push_back(outward(glo, ghi));
      c.R.push_back(residual_corners(tc, L, vals));
    } else {
      c.G.push_back(outward(glo, ghi));
      c.R.push_back(residual(tc, &T, q, L, b, F));
    }
    c.Rx.push_back(fx - enclose(Fx));
    c.gx_nonzero.push_back(gx[k] != 0);
    require_point_in_cell(c.Rx.back(), c.R.back(), "the residual");
    integrals(F);
  }
  return c;
}

// phi(t) = sign(t) |t|^(p-1), increasing for p >= 1: a lower (down) or upper
// bound of phi at t.
Real phi_bound(const Real& t, const Rational& p, bool down_dir) {
  if (p == 1) return Real(t > 0 ? 1 : (t < 0 ? -1 : 0));
  if (p == 2) return t;
  const bool neg = t < 0;
  const Real a = neg ? Real(-t) : t;
  // |t|^(p-1) rounded toward the bound we need: for phi rounded down with t >= 0
  // (or up with t < 0) the magnitude is rounded down.
  const bool mag_down = down_dir != neg;
  const Rational e = p - 1;
  Real r;
  if (a == 0) return Real(0);
  if (bmp::denominator(e) == 1) {
    Integer n = bmp::numerator(e);
    mpfr_pow_z(r.backend().data(), a.backend().data(), n.backend().data(), mag_down ? MPFR_RNDD : MPFR_RNDU);
  } else {
    // a^e is decreasing in e for a < 1 and increasing for a >= 1.
    const Real ee = (a >= 1) == mag_down ? down(e) : up(e);
    mpfr_pow(r.backend().data(), a.backend().data(), ee.backend().data(), mag_down ? MPFR_RNDD : MPFR_RNDU);
  }
  return neg ? Real(-r) : r;
}

// Enclosure of |a|^p - |b|^p for a in A, b in B with a - b = g in G.
Interval decrease_on_cell(const Interval& A, const Interval& B, const Interval& G, const Rational& p) {
  // Mean value: |a|^p - |b|^p = p phi(xi) (a - b), xi between a and b.
  const Real hl = lo(A) < lo(B) ? lo(A) : lo(B), hh = hi(A) > hi(B) ? hi(A) : hi(B);
  const Interval M = make_interval(phi_bound(hl, p, true), phi_bound(hh, p, false)) * enclose(p);
  Interval D = M * G;
  // Same signs: superadditivity of t^p gives |a|^p - |b|^p >= |g|^p when |a| >= |b|.
  Real extra_lo;
  bool have = false;
  if (lo(A) >= 0 && lo(B) >= 0 && lo(G) >= 0) have = true, extra_lo = lo(G);
  if (hi(A) <= 0 && hi(B) <= 0 && hi(G) <= 0) have = true, extra_lo = -hi(G);
  if (have) {
    Real m;
    if (bmp::denominator(p) == 1) {
      Integer n = bmp::numerator(p);
      mpfr_pow_z(m.backend().data(), extra_lo.backend().data(), n.backend().data(), MPFR_RNDD);
    } else {
      const Real e = extra_lo >= 1 ? down(p) : up(p);
      mpfr_pow(m.backend().data(), extra_lo.backend().data(), e.backend().data(), MPFR_RNDD);
    }
    // (intersect_enclosures ignores an unbounded operand, so [m, +inf) would be dropped)
    if (m > lo(D)) D = intersect_enclosures(D, make_interval(m, m > hi(D) ? m : hi(D)));
  }
  require_enclosure(D, "a decrease on a cell");
  return D;
}

// The decrease of |r|^p from grade j-1 to j, integrated over the cell: the
// mean-value enclosure times the volume, intersected (p = 1, 2) with the
// difference of the enclosed integrals.
Interval cell_decrease(const NCell& c, std::size_t j, const Rational& p, int d) {
  const Real vol = ldexp(Real(1), -c.L * d);
  Interval D = decrease_on_cell(c.R[j - 1], c.R[j], c.G[j], p) * Interval(vol);
  if (p == 1) D = intersect_enclosures(D, c.J1[j - 1] - c.J1[j]);
  if (p == 2) D = intersect_enclosures(D, c.J2[j - 1] - c.J2[j]);
  return D;
}

void enclose_norms(const Network& net, const Target& f, const VerifyOptions& opt, std::vector<GradeRow>& rows, std::size_t& cells) {
  const std::size_t K = net.grades.size();
  const int d = net.dim;
  const std::size_t P = opt.p.size();
  const int L0 = d == 1 ? 4 : d == 2 ? 3 : 2;
  std::vector<GridPoint> start;
  for_each_point(GridPoint(static_cast<std::size_t>(d), 0), GridPoint(static_cast<std::size_t>(d), (std::int64_t{1} << L0) - 1),
                 [&](const GridPoint& q) { start.push_back(q); });
  std::vector<NCell> cs(start.size());
  parallel_for(start.size(), opt.threads, [&](std::size_t i) { cs[i] = eval_norm_cell(net, f, start[i], L0); });
  std::size_t used = cs.size();
  const Real rel = nearest(opt.network_rel_width);
  std::vector<Real> best(K + 1, Real(0));
  std::vector<std::vector<Rational>> argmax(K + 1);
  auto take_points = [&](const std::vector<NCell>& v) {
    for (const auto& c : v)
      for (std::size_t j = 0; j <= K; ++j) {
        const Interval& rp = c.Rx[j];
        if (!is_finite(rp)) continue;
        const Real a = lo(rp) > 0 ? lo(rp) : (hi(rp) < 0 ? Real(-hi(rp)) : Real(0));
        if (a > best[j]) {
          best[j] = a;
          GridPoint centre(c.q.size());
          for (std::size_t i = 0; i < c.q.size(); ++i) centre[i] = 2 * c.q[i] + 1;
          argmax[j] = as_point(centre, c.L + 1);
        }
        if (c.gx_nonzero[j]) rows[j].nonzero = true;
      }
  };
  take_points(cs);
  const std::optional<Real> tol = opt.eps ? std::optional<Real>(down(*opt.eps)) : std::nullopt;
  struct Summary {
    Real inf_hi, target;
    NormBounds nb;
    std::vector<Real> dlo, dhi;
    bool trivial = true;
    bool inf_ok = false, l_ok = false;
    std::vector<char> d_ok;
  };
  auto summarise = [&](std::size_t j) {
    Summary s;
    s.inf_hi = Real(0);
    Real s1l(0), s1h(0), s2l(0), s2h(0);
    for (const auto& c : cs) {
      const AbsBound ab = abs_bound(c.R[j]);
      if (ab.hi > s.inf_hi) s.inf_hi = ab.hi;
      s1l = add_down(s1l, lo(c.J1[j]));
      s1h = add_up(s1h, hi(c.J1[j]));
      s2l = add_down(s2l, lo(c.J2[j]) > 0 ? lo(c.J2[j]) : Real(0));
      s2h = add_up(s2h, hi(c.J2[j]));
    }
    s.nb = NormBounds{s1l > 0 ? s1l : Real(0), s1h, sqrt_down(s2l), sqrt_up(s2h)};
    s.target = best[j] * (1 + rel);
    if (tol && j == K && best[j] <= *tol && *tol < s.target) s.target = *tol;
    s.inf_ok = s.inf_hi <= s.target;
    s.l_ok = s.nb.l1_hi - s.nb.l1_lo <= rel * s.nb.l1_lo && s.nb.l2_hi - s.nb.l2_lo <= rel * s.nb.l2_lo;
    s.dlo.assign(P, Real(0));
    s.dhi.assign(P, Real(0));
    s.d_ok.assign(P, 1);
    if (j == 0) return s;
    for (const auto& c : cs)
      if (!(lo(c.G[j]) == 0 && hi(c.G[j]) == 0)) s.trivial = false;
    if (s.trivial) return s;
    const bool clamp = rows[j].c2 == Verdict::Proved;  // |r_j| <= |r_{j-1}| everywhere: each cell's decrease is >= 0
    for (std::size_t pi = 0; pi < P; ++pi) {
      for (const auto& c : cs) {
        const Interval D = cell_decrease(c, j, opt.p[pi], d);
        Real l = lo(D);
        if (clamp && l < 0) l = 0;
        s.dlo[pi] = add_down(s.dlo[pi], l);
        s.dhi[pi] = add_up(s.dhi[pi], hi(D));
      }
      s.d_ok[pi] = s.dlo[pi] > 0 || s.dhi[pi] < 0;
    }
    return s;
  };
  std::vector<Summary> sums(K + 1);
  for (int round = 0;; ++round) {
    for (std::size_t j = 0; j <= K; ++j) sums[j] = summarise(j);
    // Cells to split: for each grade with a goal not met, the cells that hold it back.
    std::vector<char> split(cs.size(), 0);
    bool any = false;
    for (std::size_t j = 0; j <= K; ++j) {
      const Summary& s = sums[j];
      const bool d_open = std::any_of(s.d_ok.begin(), s.d_ok.end(), [](char v) { return !v; });
      if (s.inf_ok && s.l_ok && !d_open) continue;
      // Relative widths of each cell's contributions (L^1, L^2 squared, decreases).
      Real w1(0), wd(0);
      std::vector<Real> cw(cs.size()), cdw(cs.size(), Real(0));
      const Real n1 = s.nb.l1_hi > 0 ? s.nb.l1_hi : Real(1), n2 = s.nb.l2_hi > 0 ? Real(s.nb.l2_hi * s.nb.l2_hi) : Real(1);
      for (std::size_t i = 0; i < cs.size(); ++i) {
        cw[i] = (hi(cs[i].J1[j]) - lo(cs[i].J1[j])) / n1 + (hi(cs[i].J2[j]) - lo(cs[i].J2[j])) / n2;
        w1 += cw[i];
        if (d_open && j > 0)
          for (std::size_t pi = 0; pi < P; ++pi)
            if (!s.d_ok[pi]) {
              const Interval D = cell_decrease(cs[i], j, opt.p[pi], d);
              cdw[i] += hi(D) - lo(D);
            }
        wd += cdw[i];
      }
      const Real m1 = w1 / cs.size(), md = wd / cs.size();
      for (std::size_t i = 0; i < cs.size(); ++i) {
        if (cs[i].L >= opt.max_level) continue;
        bool s_it = (!s.inf_ok && abs_bound(cs[i].R[j]).hi > s.target) || (!s.l_ok && cw[i] >= m1 && cw[i] > 0) ||
                    (d_open && cdw[i] >= md && cdw[i] > 0);
        if (s_it) split[i] = 1, any = true;
      }
    }
    std::size_t nsplit = static_cast<std::size_t>(std::count(split.begin(), split.end(), 1));
    if (std::getenv("MGDL_DEBUG_NORMS")) {
      std::fprintf(stderr, "round %d: %zu cells, %zu to split;", round, cs.size(), nsplit);
      for (std::size_t j = 0; j <= K; ++j) {
        const bool d_open = std::any_of(sums[j].d_ok.begin(), sums[j].d_ok.end(), [](char v) { return !v; });
        if (!sums[j].inf_ok || !sums[j].l_ok || d_open) std::fprintf(stderr, " %zu:%s%s%s", j, sums[j].inf_ok ? "" : "i", sums[j].l_ok ? "" : "l", d_open ? "d" : "");
      }
      std::fprintf(stderr, "\n");
    }
    if (!any || used + nsplit * (std::size_t{1} << d) > opt.budget) break;
    std::vector<GridPoint> kids;
    std::vector<int> kid_level;
    std::vector<NCell> keep;
    for (std::size_t i = 0; i < cs.size(); ++i) {
      if (!split[i]) {
        keep.push_back(std::move(cs[i]));
        continue;
      }
      for (std::uint64_t mask = 0; mask < (std::uint64_t{1} << d); ++mask) {
        GridPoint ch(static_cast<std::size_t>(d));
        for (int k = 0; k < d; ++k) ch[static_cast<std::size_t>(k)] = 2 * cs[i].q[static_cast<std::size_t>(k)] + static_cast<std::int64_t>((mask >> k) & 1);
        kids.push_back(std::move(ch));
        kid_level.push_back(cs[i].L + 1);
      }
    }
    std::vector<NCell> fresh(kids.size());
    parallel_for(kids.size(), opt.threads, [&](std::size_t i) { fresh[i] = eval_norm_cell(net, f, kids[i], kid_level[i]); });
    used += fresh.size();
    take_points(fresh);
    for (auto& c : fresh) keep.push_back(std::move(c));
    // A canonical order (by level, then position), so that results do not depend on the split history.
    std::sort(keep.begin(), keep.end(), [](const NCell& a, const NCell& b) { return a.L != b.L ? a.L < b.L : a.q < b.q; });
    cs = std::move(keep);
  }
  cells += used;
  for (std::size_t j = 0; j <= K; ++j) {
    const Summary& s = sums[j];
    NormEnclosure& n = rows[j].norm;
    n.grade = j;
    n.level = -1;
    n.inf_lo = best[j];
    n.inf_hi = s.inf_hi;
    n.l1_lo = s.nb.l1_lo;
    n.l1_hi = s.nb.l1_hi;
    n.l2_lo = s.nb.l2_lo;
    n.l2_hi = s.nb.l2_hi;
    n.argmax = argmax[j];
    n.cells = used;
    require_consistent_norms(n.inf_lo, n.inf_hi, n.l1_lo, n.l1_hi, n.l2_lo, n.l2_hi, "r_" + std::to_string(j));
    if (j == 0) continue;
    rows[j].trivial = s.trivial;
    for (std::size_t pi = 0; pi < P; ++pi) {
      GradeRow::Decrease dcr;
      dcr.p = opt.p[pi];
      dcr.lo = s.dlo[pi];
      dcr.hi = s.dhi[pi];
      dcr.verdict = s.trivial || dcr.lo > 0 ? Verdict::Proved : dcr.hi < 0 ? Verdict::Refuted : Verdict::Undecided;
      rows[j].decrease.push_back(dcr);
    }
  }
}

}  // namespace

std::vector<GradeRange> grade_ranges_on_cell(const Network& net, std::span<const std::int64_t> q, int L) {
  const Box b = cell_box(GridPoint(q.begin(), q.end()), L);
  const Forward fw = forward(net, b, net.grades.size());
  std::vector<GradeRange> out;
  for (std::size_t k = 0; k < fw.g.size(); ++k) {
    GradeRange r;
    range(fw.g[k], b, r.range.lo, r.range.hi);
    r.stable = fw.stable[k];
    out.push_back(std::move(r));
  }
  return out;
}

QInterval prefix_range_on_cell(const Network& net, std::span<const std::int64_t> q, int L, std::size_t upto) {
  const Box b = cell_box(GridPoint(q.begin(), q.end()), L);
  const Forward fw = forward(net, b, upto);
  Form F = zero_form(b.lo.size());
  for (const Form& g : fw.g) F = sum(F, g, Rational(1));
  QInterval r;
  range(F, b, r.lo, r.hi);
  return r;
}

GradeRow check_last_grade(const Network& net, const Target& f, const VerifyOptions& opt, std::size_t& cells) {
  if (auto e = structure_check(net)) throw InputError(e->what);
  if (net.dim < 1 || net.dim > 3) throw InputError("the general-network analysis supports d = 1..3, got d = " + std::to_string(net.dim));
  if (net.grades.empty()) throw InputError("check_last_grade: the network has no grade");
  std::vector<GradeRow> rows(net.grades.size() + 1);
  for (std::size_t k = 0; k < rows.size(); ++k) rows[k].grade = k;
  check_pointwise(net, f, opt, rows, cells, net.grades.size());
  return rows.back();
}

std::vector<GradeRow> analyse_network(const Network& net, const Target& f, const VerifyOptions& opt, std::size_t& cells) {
  if (auto e = structure_check(net)) throw InputError(e->what);
  if (net.dim < 1 || net.dim > 3) throw InputError("the general-network analysis supports d = 1..3, got d = " + std::to_string(net.dim));
  std::vector<GradeRow> rows(net.grades.size() + 1);
  for (std::size_t k = 0; k < rows.size(); ++k) rows[k].grade = k;
  rows[0].c2 = rows[0].sign = Verdict::Proved;
  check_pointwise(net, f, opt, rows, cells);
  enclose_norms(net, f, opt, rows, cells);
  return rows;
}

}  // namespace mgdl
