// The hat block of docs/theory.md section 4: one grade whose output is a * phi_{m,z}
// (kernel/hat_block.hpp).
#include "kernel/hat_block.hpp"

#include <algorithm>

namespace mgdl {

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

}  // namespace mgdl
