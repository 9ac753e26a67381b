// Exact realisation proofs for grades (see realise.hpp).
#include "kernel/realise.hpp"

#include "kernel/grid.hpp"
#include "kernel/small_dyadic.hpp"

#include <algorithm>
#include <numeric>

namespace mgdl {

Carriers input_carriers(int d) {
  Carriers c(static_cast<std::size_t>(d));
  std::iota(c.begin(), c.end(), 0);
  return c;
}

namespace {
// Rows of a layer as lists of (col, weight), and biases by row.
struct Rows {
  std::vector<std::vector<std::pair<int, const Rational*>>> w;
  std::vector<const Rational*> b;
  explicit Rows(const Layer& L) : w(static_cast<std::size_t>(L.out)), b(static_cast<std::size_t>(L.out), nullptr) {
    for (const auto& e : L.W) w[static_cast<std::size_t>(e.row)].emplace_back(e.col, &e.v);
    for (const auto& [r, v] : L.b) b[static_cast<std::size_t>(r)] = &v;
  }
};
}  // namespace

Carriers output_carriers(const Grade& g, const Carriers& in) {
  Carriers cur = in;
  for (const Layer& L : g.layers) {
    Rows R(L);
    Carriers next(static_cast<std::size_t>(L.out), -1);
    for (std::size_t r = 0; r < next.size(); ++r) {
      if (R.b[r] || R.w[r].size() != 1) continue;
      auto [col, v] = R.w[r][0];
      if (*v == 1 && col < static_cast<int>(cur.size())) next[r] = cur[static_cast<std::size_t>(col)];
    }
    cur = std::move(next);
  }
  return cur;
}

bool reads_only_x(const Grade& g, const Carriers& in) {
  if (g.layers.empty()) return false;
  for (const auto& e : g.layers[0].W)
    if (e.col >= static_cast<int>(in.size()) || in[static_cast<std::size_t>(e.col)] < 0) return false;
  return true;
}

namespace {
using detail::Inexact;
using detail::SmallDyadic;

// The two number types of prove_hat: conversions of weights and of j 2^-m.
template <class Num>
Num number_from(const Rational& q);
template <>
Rational number_from<Rational>(const Rational& q) { return q; }
template <>
SmallDyadic number_from<SmallDyadic>(const Rational& q) {
  const Integer& den = denominator(q);
  const Integer& num = numerator(q);
  // A power of two below 2^62, and a numerator below 2^62 in magnitude.
  if (den <= 0 || (den & (den - 1)) != 0 || msb(den) > 61 || (num != 0 && msb(bmp::abs(num)) > 61)) throw Inexact{};
  return SmallDyadic(static_cast<__int128>(num.convert_to<long long>()), -static_cast<long>(msb(den)));
}
template <class Num>
Num scaled(std::int64_t j, int m);  // j 2^-m
template <>
Rational scaled<Rational>(std::int64_t j, int m) { return Rational(Integer(j), Integer(1) << m); }
template <>
SmallDyadic scaled<SmallDyadic>(std::int64_t j, int m) { return SmallDyadic(static_cast<__int128>(j), -static_cast<long>(m)); }
Rational to_rational(const Rational& q) { return q; }
Rational to_rational(const SmallDyadic& q) {
  Integer mant = Integer(static_cast<long long>(q.m >> 64)) * (Integer(1) << 64) +
                 Integer(static_cast<unsigned long long>(static_cast<unsigned __int128>(q.m) & ~0ull));
  return q.e >= 0 ? Rational(mant * (Integer(1) << q.e)) : Rational(mant, Integer(1) << static_cast<unsigned>(-q.e));
}

// An affine function c . x + b of x.
template <class Num>
struct Affine {
  std::vector<Num> c;
  Num b;
};

template <class Num>
Num value_at(const Affine<Num>& A, std::span<const Num> x) {
  Num v = A.b;
  for (std::size_t i = 0; i < A.c.size(); ++i)
    if (A.c[i] != Num(0)) v += A.c[i] * x[i];
  return v;
}
template <class Num>
Num slope(const Affine<Num>& A, const std::vector<Num>& w) {
  Num v = 0;
  for (std::size_t i = 0; i < A.c.size(); ++i)
    if (A.c[i] != Num(0) && w[i] != Num(0)) v += A.c[i] * w[i];
  return v;
}
// Sign of A on (cone with apex z and rays w) intersected with [0,1]^d:
// +1 if provably >= 0, -1 if provably <= 0, 0 if undetermined. With
// use_cube, a sign that holds on the whole cube counts too (x_i >= 0 there);
// the last layer is judged on the cone alone, so that its kinked neuron is
// compared with the hat on the whole cone.
template <class Num>
int sign_on(const Affine<Num>& A, std::span<const Num> z, const std::vector<std::vector<Num>>& rays, bool use_cube) {
  Num at = value_at(A, z);
  bool all_ge = at >= 0, all_le = at <= 0;
  for (const auto& w : rays) {
    Num s = slope(A, w);
    all_ge = all_ge && s >= 0;
    all_le = all_le && s <= 0;
  }
  if (all_ge) return 1;
  if (all_le) return -1;
  if (!use_cube) return 0;
  // On the cube: min and max of an affine function over [0,1]^d.
  Num mn = A.b, mx = A.b;
  for (const auto& ci : A.c) (ci > 0 ? mx : mn) += ci;
  if (mn >= 0) return 1;
  if (mx <= 0) return -1;
  return 0;
}

// Generating rays (in y = (x - z)/h coordinates) of the cone where the values
// (0, y_1, ..., y_d) are ordered by the permutation sigma of {0..d}.
template <class Num>
std::vector<std::vector<Num>> cone_rays(const std::vector<int>& sigma) {
  const std::size_t d = sigma.size() - 1;
  std::size_t p = 0;
  while (sigma[p] != 0) ++p;
  std::vector<std::vector<Num>> rays;
  for (std::size_t j = 0; j < d; ++j) {
    std::vector<Num> w(d, Num(0));
    for (std::size_t k = 0; k <= d; ++k) {
      if (sigma[k] == 0) continue;
      int v = (k <= j && j < p) ? 1 : ((p <= j && j < k) ? -1 : 0);
      w[static_cast<std::size_t>(sigma[k] - 1)] = Num(v);
    }
    rays.push_back(std::move(w));
  }
  return rays;
}
template <class Num>
Num gauge(const std::vector<Num>& y) {
  Num mx = 0, mn = 0;
  for (const auto& v : y) {
    if (v > mx) mx = v;
    if (v < mn) mn = v;
  }
  return mx + -mn;
}

// Rows of a layer with weights converted to Num (a missing bias is 0).
template <class Num>
struct NumRows {
  std::vector<std::vector<std::pair<int, Num>>> w;
  std::vector<Num> b;
  explicit NumRows(const Layer& L) : w(static_cast<std::size_t>(L.out)), b(static_cast<std::size_t>(L.out), Num(0)) {
    for (const auto& e : L.W) w[static_cast<std::size_t>(e.row)].emplace_back(e.col, number_from<Num>(e.v));
    for (const auto& [r, v] : L.b) b[static_cast<std::size_t>(r)] = number_from<Num>(v);
  }
};

// prove_hat in the arithmetic Num (exact in both: SmallDyadic throws Inexact
// rather than round).
template <class Num>
HatProof prove_hat_in(const Grade& g, const Carriers& in, int d, int m, std::span<const std::int64_t> node) {
  HatProof out;
  const Num h = scaled<Num>(1, m);
  std::vector<Num> z;
  for (auto j : node) z.push_back(scaled<Num>(j, m));
  std::vector<int> sigma(static_cast<std::size_t>(d) + 1);
  std::iota(sigma.begin(), sigma.end(), 0);
  std::vector<NumRows<Num>> rows;
  for (const Layer& L : g.layers) rows.emplace_back(L);
  bool have_a = false;
  const std::int64_t top = std::int64_t{1} << m;
  const std::span<const Num> zs(z);
  do {
    // Only cones whose interior meets the open cube matter (the rest of the
    // cube is in their closure, and both sides are continuous); on those, an
    // affine identity on cone & cube is one on the whole cone.
    std::size_t zero_at = 0;
    while (sigma[zero_at] != 0) ++zero_at;
    bool relevant = true;
    for (std::size_t k = 0; k < sigma.size(); ++k) {
      if (sigma[k] == 0) continue;
      std::int64_t zi = node[static_cast<std::size_t>(sigma[k] - 1)];
      if ((zi == 0 && k > zero_at) || (zi == top && k < zero_at)) relevant = false;
    }
    if (!relevant) continue;
    std::vector<std::vector<Num>> rays = cone_rays<Num>(sigma);  // y-directions; x-directions are h * w
    std::vector<std::vector<Num>> xrays = rays;
    for (auto& w : xrays)
      for (auto& v : w) v *= h;
    // Layer inputs as affine functions of x; carriers are x_i, other inputs unused.
    std::vector<Affine<Num>> cur(in.size());
    for (std::size_t c = 0; c < in.size(); ++c) {
      cur[c].c.assign(static_cast<std::size_t>(d), Num(0));
      cur[c].b = Num(0);
      if (in[c] >= 0) cur[c].c[static_cast<std::size_t>(in[c])] = Num(1);
    }
    // Straddling neurons are allowed in the last layer only: out = s(pre).
    std::vector<int> straddle;
    for (std::size_t li = 0; li < rows.size(); ++li) {
      const bool last = li + 1 == rows.size();
      std::vector<Affine<Num>> next(rows[li].w.size());
      if (!last) straddle.clear();
      for (std::size_t r = 0; r < next.size(); ++r) {
        Affine<Num> A;
        A.c.assign(static_cast<std::size_t>(d), Num(0));
        A.b = rows[li].b[r];
        for (const auto& [col, v] : rows[li].w[r]) {
          const Affine<Num>& src = cur[static_cast<std::size_t>(col)];
          for (std::size_t i = 0; i < A.c.size(); ++i)
            if (src.c[i] != Num(0)) A.c[i] += v * src.c[i];
          if (src.b != Num(0)) A.b += v * src.b;
        }
        int s = sign_on(A, zs, xrays, !last);
        if (s == 0 && !last) {
          out.why_not = "a ReLU of layer " + std::to_string(li + 1) + " changes sign inside a cone of the hat";
          return out;
        }
        if (s < 0) A = Affine<Num>{std::vector<Num>(static_cast<std::size_t>(d), Num(0)), Num(0)};
        if (s == 0) straddle.push_back(static_cast<int>(r));
        next[r] = std::move(A);
      }
      cur = std::move(next);
    }
    // The readout's coefficients are the amplitudes, which need not fit
    // small dyadics: the output's affine part is summed in Rational (from the
    // last layer's affine functions and the cone, converted exactly), and
    // only when some neuron read is not kinked or the readout has a constant.
    std::vector<std::pair<Rational, const Affine<Num>*>> kinked;
    std::vector<std::pair<Rational, const Affine<Num>*>> affine_part;
    for (const auto& [col, v] : g.readout.c) {
      const Affine<Num>& A = cur[static_cast<std::size_t>(col)];
      const bool kink = std::find(straddle.begin(), straddle.end(), col) != straddle.end();
      (kink ? kinked : affine_part).emplace_back(v, &A);
    }
    if (g.readout.c0 != 0 || !affine_part.empty()) {
      auto qvec = [](const std::vector<Num>& v) {
        std::vector<Rational> r;
        r.reserve(v.size());
        for (const auto& x : v) r.push_back(to_rational(x));
        return r;
      };
      Affine<Rational> lin{std::vector<Rational>(static_cast<std::size_t>(d), Rational(0)), g.readout.c0};
      for (const auto& [v, A] : affine_part) {
        for (std::size_t i = 0; i < lin.c.size(); ++i) lin.c[i] += v * to_rational(A->c[i]);
        lin.b += v * to_rational(A->b);
      }
      const std::vector<Rational> zq = qvec(z);
      bool zero = value_at(lin, std::span<const Rational>(zq)) == 0;
      for (std::size_t k = 0; k < xrays.size() && zero; ++k) zero = slope(lin, qvec(xrays[k])) == 0;
      if (!zero) {
        out.why_not = "the output has an affine part that is not zero";
        return out;
      }
    }
    if (kinked.size() != 1) {
      out.why_not = kinked.empty() ? "no ReLU of the last layer vanishes on the hat's boundary"
                                   : "more than one kinked neuron feeds the readout";
      return out;
    }
    // c s(A) = a s(1 - gauge) on the cone iff A = lambda (1 - gauge), lambda > 0, a = c lambda.
    const auto& [cr, A] = kinked[0];
    const Num lambda_n = value_at(*A, zs);
    if (lambda_n <= 0) {
      out.why_not = "the kinked neuron is not positive at the node";
      return out;
    }
    for (std::size_t k = 0; k < rays.size(); ++k)
      if (slope(*A, xrays[k]) != -(lambda_n * gauge(rays[k]))) {
        out.why_not = "the kinked neuron is not a multiple of the hat on a cone";
        return out;
      }
    const Rational lambda = to_rational(lambda_n);
    Rational a = cr * lambda;
    if (have_a && a != out.a) {
      out.why_not = "different amplitudes on different cones";
      return out;
    }
    out.a = a;
    have_a = true;
  } while (std::next_permutation(sigma.begin(), sigma.end()));
  out.ok = true;
  return out;
}
}  // namespace

HatProof prove_hat_rational(const Grade& g, const Carriers& in, int d, int m, std::span<const std::int64_t> node) {
  if (!valid_node(m, node, d)) {  // off the grid, or a level whose keys and shifts would overflow
    HatProof out;
    out.why_not = "no (m, node) candidate on the grid";
    return out;
  }
  return prove_hat_in<Rational>(g, in, d, m, node);
}

// The same proof in small exact dyadics when every number fits (the weights
// of hat blocks do), in Rational otherwise; a failure is re-derived in
// Rational, so that both paths give the same message.
HatProof prove_hat(const Grade& g, const Carriers& in, int d, int m, std::span<const std::int64_t> node) {
  if (!valid_node(m, node, d)) return prove_hat_rational(g, in, d, m, node);
  try {
    HatProof fast = prove_hat_in<SmallDyadic>(g, in, d, m, node);
    if (fast.ok) return fast;
  } catch (const Inexact&) {
  }
  return prove_hat_in<Rational>(g, in, d, m, node);
}

namespace {
QInterval relu(QInterval v) {
  if (v.lo < 0) v.lo = 0;
  if (v.hi < 0) v.hi = 0;
  return v;
}
}  // namespace

QInterval grade_range(const Grade& g, const Carriers& in, std::span<const QInterval> box) {
  std::vector<QInterval> cur(in.size(), QInterval{Rational(0), Rational(0)});
  for (std::size_t c = 0; c < in.size(); ++c)
    if (in[c] >= 0) cur[c] = box[static_cast<std::size_t>(in[c])];
  for (const Layer& L : g.layers) {
    std::vector<QInterval> next(static_cast<std::size_t>(L.out), QInterval{Rational(0), Rational(0)});
    for (const auto& [r, v] : L.b) next[static_cast<std::size_t>(r)].lo += v, next[static_cast<std::size_t>(r)].hi += v;
    for (const auto& e : L.W) {
      const QInterval& s = cur[static_cast<std::size_t>(e.col)];
      QInterval& t = next[static_cast<std::size_t>(e.row)];
      if (e.v > 0) t.lo += e.v * s.lo, t.hi += e.v * s.hi;
      else t.lo += e.v * s.hi, t.hi += e.v * s.lo;
    }
    for (auto& v : next) v = relu(v);
    cur = std::move(next);
  }
  QInterval out{g.readout.c0, g.readout.c0};
  for (const auto& [col, v] : g.readout.c) {
    const QInterval& s = cur[static_cast<std::size_t>(col)];
    if (v > 0) out.lo += v * s.lo, out.hi += v * s.hi;
    else out.lo += v * s.hi, out.hi += v * s.lo;
  }
  return out;
}

Rational grade_value(const Grade& g, const Carriers& in, std::span<const Rational> x) {
  std::vector<QInterval> box;
  for (const auto& v : x) box.push_back({v, v});
  return grade_range(g, in, box).lo;
}

}  // namespace mgdl
