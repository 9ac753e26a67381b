// The MGDL structure check and the forward pass of a network.
#include "kernel/network.hpp"

#include <algorithm>

namespace mgdl {

void StructureChecker::add(const Grade& g) {
  const std::size_t k = k_++;
  if (error_) return;
  const std::string name = "grade " + std::to_string(k + 1);
  if (g.layers.empty()) {
    error_ = StructureError{k + 1, 0, name + " has no hidden layer"};
    return;
  }
  for (std::size_t i = 0; i < g.layers.size(); ++i) {
    const Layer& L = g.layers[i];
    const std::string at = name + " layer " + std::to_string(i + 1);
    if (L.out != width_) {
      error_ = StructureError{k + 1, i + 1, at + " has " + std::to_string(L.out) + " neurons, but the width is " + std::to_string(width_)};
      return;
    }
    if (L.in != prev_) {
      error_ = StructureError{k + 1, i + 1, at + " reads " + std::to_string(L.in) + " inputs, but " +
                              (i == 0 ? (k == 0 ? std::string("x has ") : "grade " + std::to_string(k) + "'s last layer has ")
                                      : std::string("the layer before it has ")) + std::to_string(prev_)};
      return;
    }
    prev_ = L.out;
  }
}

std::optional<StructureError> structure_check(const Network& net) {
  StructureChecker c(net.dim, net.width);
  for (const Grade& g : net.grades) {
    c.add(g);
    if (c.error()) break;
  }
  return c.error();
}

std::string structure_error(const Network& net) {
  auto e = structure_check(net);
  return e ? e->what : std::string();
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
