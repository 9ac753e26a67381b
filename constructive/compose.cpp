// The composition construction (see compose.hpp).
#include "constructive/compose.hpp"

namespace mgdl {

int compose_grades_for(const Rational& eps) {
  if (eps <= 0) throw InputError("--eps must be positive");
  int K = 1;
  while (Rational(1, Integer(1) << (2 * K + 2)) > eps) {
    ++K;
    if (K > 4096) throw InputError("--eps " + to_string(eps) + " needs more than 4096 composed grades");
  }
  return K;
}

Scheme compose_scheme(int K, int d, const Rational& eps) {
  if (K < 1 || K > 100000) throw InputError("composition: the number of grades must be in 1..100000, got " + std::to_string(K));
  if (d < 1 || d > 16) throw InputError("composition: the dimension must be in 1..16, got " + std::to_string(d));
  Scheme s;
  s.net.dim = d;
  s.net.width = 2;
  const Rational half(1, 2);
  for (int k = 1; k <= K; ++k) {
    Grade g;
    Layer L;
    L.out = 2;
    if (k == 1) {
      L.in = d;  // T_0 = l(x): x, or (1 + x1 - x2)/2
      for (int r = 0; r < 2; ++r) {
        if (d == 1) {
          L.W.push_back({r, 0, Rational(1)});
        } else {
          L.W.push_back({r, 0, half});
          L.W.push_back({r, 1, -half});
        }
      }
      if (d > 1) L.b.push_back({0, half});  // ReLU(l) and ReLU(l - 1/2) = ReLU((x1 - x2)/2)
    } else {
      L.in = 2;  // T_{k-1} = 2 h_1 - 4 h_2 of grade k-1's layer
      for (int r = 0; r < 2; ++r) L.W.push_back({r, 0, Rational(2)}), L.W.push_back({r, 1, Rational(-4)});
    }
    if (k > 1 || d == 1) L.b.push_back({1, -half});
    g.layers.push_back(std::move(L));
    const Rational scale(1, Integer(1) << (2 * k));  // T_k / 4^k = (2 h_1 - 4 h_2) / 4^k
    g.readout.c = {{0, 2 * scale}, {1, -4 * scale}};
    s.net.grades.push_back(std::move(g));
  }
  s.target_name = d == 1 ? "x(1-x)" : "l(1-l)";
  s.target_expr = d == 1 ? "x*(1-x)" : "(1+x1-x2)*(1-x1+x2)/4";
  s.params = {{"construction", "composition"}, {"eps", to_string(eps)}, {"grades", K}};
  s.result = {{"stop", "tolerance"}, {"grades", K}, {"bound", to_string(Rational(1, Integer(1) << (2 * K + 2)))}};
  s.levels = nlohmann::ordered_json::array();
  return s;
}

}  // namespace mgdl
