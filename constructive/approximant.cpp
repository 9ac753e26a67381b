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
    for_each_hat_at(m, p, L, [&](const GridPoint& z, const Dyadic& phi) {
      auto it = map.find(node_key(m, z));
      if (it != map.end()) sum += it->second * phi;
    });
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

NodalValues::NodalValues(const Approximant& F, int m)
    : NodalValues(m, F.dim(), [&F](std::span<const std::int64_t> p, int L) { return F.at(p, L); }) {
  if (F.finest_level() > m) throw std::logic_error("NodalValues: level below the approximant's finest level");
}

Dyadic NodalValues::at(std::span<const std::int64_t> p, int L) const {
  Dyadic sum;
  for_each_hat_at(m_, p, L, [&](const GridPoint& z, const Dyadic& phi) {
    const Dyadic& v = v_[node_key(m_, z)];
    if (!v.is_zero()) sum += v * phi;
  });
  return sum;
}

}  // namespace mgdl
