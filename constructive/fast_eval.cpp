// Integer forward pass (see fast_eval.hpp for the overflow bound).
#include "constructive/fast_eval.hpp"

#include <stdexcept>

namespace mgdl {

namespace {
using i128 = __int128;

bool small_integer(const Rational& q, std::int64_t& out) {
  if (bmp::denominator(q) != 1) return false;
  const Integer& n = bmp::numerator(q);
  if (bmp::abs(n) >= (Integer(1) << 62)) return false;
  out = n.convert_to<std::int64_t>();
  return true;
}
i128 checked_mul(i128 a, i128 b) {
  i128 r;
  if (__builtin_mul_overflow(a, b, &r)) throw std::overflow_error("integer forward pass: a neuron exceeds 127 bits");
  return r;
}
i128 checked_add(i128 a, i128 b) {
  i128 r;
  if (__builtin_add_overflow(a, b, &r)) throw std::overflow_error("integer forward pass: a neuron exceeds 127 bits");
  return r;
}
Integer to_integer(i128 v) {
  bool neg = v < 0;
  unsigned __int128 u = neg ? static_cast<unsigned __int128>(-(v + 1)) + 1 : static_cast<unsigned __int128>(v);
  Integer hi = static_cast<unsigned long long>(u >> 64), lo = static_cast<unsigned long long>(u);
  Integer r = (hi << 64) + lo;
  return neg ? Integer(-r) : r;
}
}  // namespace

std::optional<FastNetwork> FastNetwork::compile(const Network& net, std::string* why_not) {
  auto fail = [&](const std::string& w) -> std::optional<FastNetwork> {
    if (why_not) *why_not = w;
    return std::nullopt;
  };
  if (!structure_error(net).empty()) return fail("not an MGDL network: " + structure_error(net));
  FastNetwork f;
  f.dim_ = net.dim;
  f.width_ = net.width;
  for (std::size_t k = 0; k < net.grades.size(); ++k) {
    const Grade& g = net.grades[k];
    FGrade fg;
    for (const Layer& L : g.layers) {
      FLayer fl{L.out, {}, {}};
      for (const auto& e : L.W) {
        std::int64_t w;
        if (!small_integer(e.v, w)) return fail("grade " + std::to_string(k + 1) + ": a weight is not a 62-bit integer");
        fl.W.push_back({e.row, e.col, w});
      }
      for (const auto& [r, v] : L.b) {
        std::int64_t w;
        if (!small_integer(v, w)) return fail("grade " + std::to_string(k + 1) + ": a bias is not a 62-bit integer");
        fl.b.emplace_back(r, w);
      }
      fg.layers.push_back(std::move(fl));
    }
    try {
      for (const auto& [col, v] : g.readout.c) fg.c.emplace_back(col, Dyadic::from_rational(v));
      fg.c0 = Dyadic::from_rational(g.readout.c0);
    } catch (const InputError&) {
      return fail("grade " + std::to_string(k + 1) + ": a readout weight is not dyadic");
    }
    f.grades_.push_back(std::move(fg));
  }
  return f;
}

Dyadic FastNetwork::eval(std::span<const std::int64_t> p, int L, std::size_t upto) const {
  if (L < 0 || L > 62) throw std::invalid_argument("FastNetwork::eval: level must be in [0, 62]");
  if (static_cast<int>(p.size()) != dim_) throw std::invalid_argument("FastNetwork::eval: wrong dimension");
  const i128 one = static_cast<i128>(1) << L;  // biases are scaled by 2^L
  std::vector<i128> h(p.begin(), p.end()), next;
  Dyadic sum;
  upto = std::min(upto, grades_.size());
  for (std::size_t k = 0; k < upto; ++k) {
    const FGrade& g = grades_[k];
    for (const FLayer& layer : g.layers) {
      next.assign(static_cast<std::size_t>(layer.out), 0);
      for (const auto& [r, b] : layer.b) next[static_cast<std::size_t>(r)] = checked_mul(b, one);
      for (const auto& e : layer.W)
        next[static_cast<std::size_t>(e.row)] =
            checked_add(next[static_cast<std::size_t>(e.row)], checked_mul(e.w, h[static_cast<std::size_t>(e.col)]));
      for (auto& v : next)
        if (v < 0) v = 0;
      h.swap(next);
    }
    if (!g.c0.is_zero()) sum += g.c0;
    for (const auto& [col, c] : g.c) {
      i128 v = h[static_cast<std::size_t>(col)];
      if (v != 0) sum += c * Dyadic(to_integer(v), -L);
    }
  }
  return sum;
}

}  // namespace mgdl
