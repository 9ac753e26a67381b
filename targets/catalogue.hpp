// The built-in catalogue of targets (the extension point: add an entry in
// targets/catalogue.cpp, either an expression or a templated functor).
#pragma once

#include "targets/target.hpp"

#include <optional>
#include <vector>

namespace mgdl {

struct CatalogueEntry {
  Target target;
  bool is_default;   // constructed by `scripts/run`
  std::string eps;   // default tolerance for the main job
};

const std::vector<CatalogueEntry>& catalogue();
std::optional<Target> find_target(std::string_view name);

}  // namespace mgdl
