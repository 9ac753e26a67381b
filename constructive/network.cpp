// Hat blocks and the forward pass of an MGDL network.
#include "constructive/network.hpp"

#include <algorithm>

namespace mgdl {

std::string structure_error(const Network& net) {
  int prev = net.dim;  // size of H_0 = x
  for (std::size_t k = 0; k < net.grades.size(); ++k) {
    const Grade& g = net.grades[k];
    const std::string name = "grade " + std::to_string(k + 1);
    if (g.layers.empty()) return name + " has no hidden layer";
    for (std::size_t i = 0; i < g.layers.size(); ++i) {
      const Layer& L = g.layers[i];
      const std::string at = name + " layer " + std::to_string(i + 1);
      if (L.out != net.width)
        return at + " has " + std::to_string(L.out) + " neurons, but the width is " + std::to_string(net.width);
      if (L.in != prev)
        return at + " reads " + std::to_string(L.in) + " inputs, but " +
               (i == 0 ? (k == 0 ? std::string("x has ") : "grade " + std::to_string(k) + "'s last layer has ")
                       : std::string("the layer before it has ")) + std::to_string(prev);
      prev = L.out;
    }
  }
  return "";
}

int hat_block_width(int d) { return d == 1 ? 3 : d + 4; }
int hat_block_depth(int d) { return d + 1; }

// Layer i (1-based) of the block, as in docs/theory.md:
//   layer 1:       [x, a+_1 = s(y_1), a-_1 = s(-y_1)]
//   layer i<=d:    [x, a+_{i-1}, a-_{i-1}, u_i = s(y_i - a+_{i-1}), v_i = s(-y_i - a-_{i-1})]
//   layer d+1:     [x, phi = s(1 - a+_d - a-_d)]
// with y_i = 2^m x_i - j_i and a+_i = a+_{i-1} + u_i, a-_i = a-_{i-1} + v_i.
Grade hat_block(int d, int m, std::span<const std::int64_t> node, const Dyadic& a, bool first) {
  const int W = hat_block_width(d);
  const Rational scale = Dyadic(1).times_pow2(m).to_rational();
  Grade g;
  g.hint.m = m;
  g.hint.node.assign(node.begin(), node.end());
  auto x_rows = [&](Layer& L) {
    for (int i = 0; i < d; ++i) L.W.push_back({i, i, Rational(1)});
  };
  // Columns of the previous layer holding a+_{i-1} + u_{i-1} etc.
  for (int i = 1; i <= d + 1; ++i) {
    Layer L;
    L.out = W;
    L.in = (i == 1 && first) ? d : W;
    x_rows(L);
    const int ap = d, am = d + 1, u = d + 2, v = d + 3;  // column positions
    if (i == 1) {
      L.W.push_back({ap, 0, scale});
      L.b.push_back({ap, Rational(-node[0])});
      L.W.push_back({am, 0, Rational(-scale)});
      L.b.push_back({am, Rational(node[0])});
    } else {
      // previous layer's a+_{i-1} is a+ column (plus u column when i > 2)
      auto add_prev = [&](int row, int col_a, int col_u, Rational sgn) {
        L.W.push_back({row, col_a, sgn});
        if (i > 2) L.W.push_back({row, col_u, sgn});
      };
      if (i <= d) {
        const auto xi = static_cast<std::size_t>(i - 1);
        add_prev(ap, ap, u, Rational(1));
        add_prev(am, am, v, Rational(1));
        L.W.push_back({u, i - 1, scale});
        add_prev(u, ap, u, Rational(-1));
        L.b.push_back({u, Rational(-node[xi])});
        L.W.push_back({v, i - 1, Rational(-scale)});
        add_prev(v, am, v, Rational(-1));
        L.b.push_back({v, Rational(node[xi])});
      } else {
        add_prev(d, ap, u, Rational(-1));
        add_prev(d, am, v, Rational(-1));
        L.b.push_back({d, Rational(1)});
      }
    }
    std::stable_sort(L.W.begin(), L.W.end(), [](const Layer::Entry& p, const Layer::Entry& q) {
      return p.row != q.row ? p.row < q.row : p.col < q.col;
    });
    std::stable_sort(L.b.begin(), L.b.end(), [](const auto& p, const auto& q) { return p.first < q.first; });
    g.layers.push_back(std::move(L));
  }
  g.readout.c.push_back({d, a.to_rational()});
  return g;
}

namespace {
template <class S>
S from_q(const Rational& q);
template <>
Rational from_q<Rational>(const Rational& q) { return q; }
template <>
Real from_q<Real>(const Rational& q) { return nearest(q); }
template <>
Interval from_q<Interval>(const Rational& q) { return enclose(q); }

Rational relu(const Rational& v) { return v.sign() > 0 ? v : Rational(0); }
Real relu(const Real& v) { return v > 0 ? v : Real(0); }
Interval relu(const Interval& v) {
  Real l = lo(v), h = hi(v);
  if (l >= 0) return v;
  if (h <= 0) return Interval(0);
  return make_interval(Real(0), h);
}

template <class S>
std::vector<S> apply_layer(const Layer& L, const std::vector<S>& in) {
  std::vector<S> out(static_cast<std::size_t>(L.out), S(0));
  for (const auto& [row, v] : L.b) out[static_cast<std::size_t>(row)] += from_q<S>(v);
  for (const auto& e : L.W) out[static_cast<std::size_t>(e.row)] += from_q<S>(e.v) * in[static_cast<std::size_t>(e.col)];
  for (auto& v : out) v = relu(v);
  return out;
}
}  // namespace

template <class S>
std::vector<S> grade_outputs(const Network& net, std::span<const S> x, std::size_t upto) {
  std::vector<S> h(x.begin(), x.end()), out;
  upto = std::min(upto, net.grades.size());
  out.reserve(upto);
  for (std::size_t k = 0; k < upto; ++k) {
    const Grade& g = net.grades[k];
    for (const Layer& L : g.layers) h = apply_layer(L, h);
    S y = from_q<S>(g.readout.c0);
    for (const auto& [col, v] : g.readout.c) y += from_q<S>(v) * h[static_cast<std::size_t>(col)];
    out.push_back(std::move(y));
  }
  return out;
}
template std::vector<Rational> grade_outputs<Rational>(const Network&, std::span<const Rational>, std::size_t);
template std::vector<Real> grade_outputs<Real>(const Network&, std::span<const Real>, std::size_t);
template std::vector<Interval> grade_outputs<Interval>(const Network&, std::span<const Interval>, std::size_t);

std::vector<Rational> features(const Network& net, std::span<const Rational> x, std::size_t grades) {
  std::vector<Rational> h(x.begin(), x.end());
  for (std::size_t k = 0; k < grades && k < net.grades.size(); ++k)
    for (const Layer& L : net.grades[k].layers) h = apply_layer(L, h);
  return h;
}

}  // namespace mgdl
