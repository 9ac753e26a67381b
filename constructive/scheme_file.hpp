// Scheme files (format mgdl-scheme/1, JSON): the network with every weight an
// exact rational string, its target, parameters and residual history.
// Writing is atomic (temporary file, then rename).
#pragma once

#include "constructive/schedule.hpp"

#include <nlohmann/json.hpp>
#include <string>

namespace mgdl {

inline constexpr const char* kSchemeFormat = "mgdl-scheme/1";

struct Scheme {
  Network net;
  std::string target_name, target_expr;
  nlohmann::ordered_json params, result, levels;  // as written; hints only
};

// The scheme of a construction (network, parameters, level history).
Scheme to_scheme(const Construction& c);

// Writes atomically; on failure nothing is left at `path`. Throws InputError.
void write_scheme(const std::string& path, const Scheme& s);
// Reads and validates structure and numbers. Throws InputError naming the
// offending field.
Scheme read_scheme(const std::string& path);

// The state of an interrupted `mgdl construct` (a scheme it wrote), to resume
// from: options from params, grades from the hat blocks (checked to be exactly
// the constructor's blocks), levels from the history. Throws InputError.
Construction resume_state(const Scheme& s, const Target& f);

// Writes `text` to `path` atomically (temporary file in the same folder, rename).
void write_file_atomic(const std::string& path, const std::string& text);

}  // namespace mgdl
