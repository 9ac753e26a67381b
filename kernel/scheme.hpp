// Scheme files (format mgdl-scheme/1, JSON), the reading side: the network
// with every weight an exact rational, its target, and the constructor's
// parameters and history (hints only: nothing the checker proves rests on
// them). Writing is the constructor's (constructive/scheme_file.hpp).
#pragma once

#include "kernel/network.hpp"

#include <nlohmann/json.hpp>
#include <cstdint>
#include <string>

namespace mgdl {

inline constexpr const char* kSchemeFormat = "mgdl-scheme/1";

struct Scheme {
  Network net;
  std::string target_name, target_expr;
  nlohmann::ordered_json params, result, levels;  // as written; hints only
  nlohmann::ordered_json cell_bounds;             // cell engine only: [[level, q_1..q_d, "bound"], ...] for --resume
};

// What a reader accepts. A file outside these limits is rejected with a
// one-line error before it can take unbounded time or memory; each limit is an
// option of the commands that read schemes (README, "Scheme files").
struct SchemeLimits {
  std::uint64_t max_bytes = std::uint64_t{2} << 30;  // file size (2 GiB)
  std::size_t max_depth = 32;        // JSON nesting (a scheme needs 6)
  std::size_t max_width = 4096;      // neurons per layer, inputs per neuron
  std::size_t max_layers = 1024;     // layers per grade
  std::size_t max_grades = 10000000; // grades per file
  std::size_t max_digits = 100000;   // digits of a numerator or denominator
};

// Reads and validates structure and numbers. Throws InputError naming the
// offending field (or the limit that was exceeded).
Scheme read_scheme(const std::string& path, const SchemeLimits& limits = {});
// The same from text in memory; `name` is used in messages.
Scheme parse_scheme(const std::string& text, const std::string& name, const SchemeLimits& limits = {});

// Bytes of memory that reading a scheme file of `file_bytes` bytes may take
// at its peak (the JSON tree and the network); an estimate, measured in the
// notes of issue 8 (bench/README.md).
std::uint64_t scheme_read_memory_estimate(std::uint64_t file_bytes);
// MemAvailable from /proc/meminfo in bytes, or 0 when unknown.
std::uint64_t available_memory_bytes();

}  // namespace mgdl
