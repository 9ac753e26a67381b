// Sparse evaluation of a sum of hats (see approximant.hpp).
#include "constructive/approximant.hpp"

namespace mgdl {

void Approximant::add(int m, std::span<const std::int64_t> node, const Dyadic& a) {
  if (a.is_zero()) return;
  if (static_cast<int>(by_level_.size()) <= m) by_level_.resize(static_cast<std::size_t>(m) + 1);
  auto& slot = by_level_[static_cast<std::size_t>(m)][node_key(m, node)];
  slot += a;
}

Dyadic Approximant::coefficient(int m, std::span<const std::int64_t> node) const {
  if (m < 0 || m >= static_cast<int>(by_level_.size())) return Dyadic();
  const auto& map = by_level_[static_cast<std::size_t>(m)];
  auto it = map.find(node_key(m, node));
  return it == map.end() ? Dyadic() : it->second;
}

Dyadic Approximant::at(std::span<const std::int64_t> p, int L) const {
  GridPoint scaled;
  if (L < finest_level()) {  // express p on a grid at least as fine as every level
    scaled.assign(p.begin(), p.end());
    for (auto& v : scaled) v <<= (finest_level() - L);
    p = scaled;
    L = finest_level();
  }
  Dyadic sum;
  for (int m = 0; m < static_cast<int>(by_level_.size()); ++m) {
    const auto& map = by_level_[static_cast<std::size_t>(m)];
    if (map.empty()) continue;
    SimplexWeights sw = simplex_weights(m, p, L);
    for (std::size_t k = 0; k < sw.vertex.size(); ++k) {
      if (sw.weight[k] == 0) continue;
      auto it = map.find(node_key(m, sw.vertex[k]));
      if (it == map.end()) continue;
      sum += it->second * Dyadic(Integer(sw.weight[k]), -sw.shift);
    }
  }
  return sum;
}

Rational Approximant::at(std::span<const Rational> x) const {
  Rational sum = 0;
  for (int m = 0; m < static_cast<int>(by_level_.size()); ++m) {
    for (const auto& [key, c] : by_level_[static_cast<std::size_t>(m)]) {
      GridPoint z = node_from_key(m, dim_, key);
      Rational v = hat_formula<Rational>(m, z, x);
      if (v != 0) sum += c.to_rational() * v;
    }
  }
  return sum;
}

NodalValues::NodalValues(const Approximant& F, int m) : m_(m) {
  if (F.finest_level() > m) throw std::logic_error("NodalValues: level below the approximant's finest level");
  const std::uint64_t n = node_count(m, F.dim());
  v_.resize(n);
  for (std::uint64_t key = 0; key < n; ++key) v_[key] = F.at(node_from_key(m, F.dim(), key), m);
}

Dyadic NodalValues::at(std::span<const std::int64_t> p, int L) const {
  SimplexWeights sw = simplex_weights(m_, p, L);
  Dyadic sum;
  for (std::size_t k = 0; k < sw.vertex.size(); ++k) {
    if (sw.weight[k] == 0) continue;
    const Dyadic& v = v_[node_key(m_, sw.vertex[k])];
    if (!v.is_zero()) sum += v * Dyadic(Integer(sw.weight[k]), -sw.shift);
  }
  return sum;
}

}  // namespace mgdl
