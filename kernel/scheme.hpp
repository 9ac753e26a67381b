// Scheme files, the reading side: the network with every weight an exact
// rational, its target, and the constructor's parameters and history (hints
// only: nothing the checker proves rests on them). Writing is the
// constructor's (constructive/scheme_file.hpp). Two formats:
//   mgdl-scheme/1  one JSON document, every weight of every grade spelled out;
//   mgdl-scheme/2  a first line "mgdl-scheme/2", a JSON head on the second
//                  line, then one line per grade: "h LEVEL M Z_1..Z_d A" is
//                  the hat block hat_block(d, M, Z, A) (kernel/hat_block.hpp:
//                  every weight is determined by the record), "g {JSON}" is
//                  a grade spelled out as in format 1; "b L Q_1..Q_d BOUND"
//                  lines before the grades hold the cell engine's bound map;
//                  the last line "end K" counts the grades. Read line by line.
// README.md ("Scheme files") states both formats.
#pragma once

#include "kernel/network.hpp"

#include <nlohmann/json.hpp>
#include <cstdint>
#include <memory>
#include <string>

namespace mgdl {

inline constexpr const char* kSchemeFormat = "mgdl-scheme/1";
inline constexpr const char* kSchemeFormat2 = "mgdl-scheme/2";

struct Scheme {
  int format = 1;  // the format it was read from, or is to be written in (1 or 2)
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

// Reads and validates structure and numbers (either format). Throws
// InputError naming the offending field or line (or the limit exceeded).
Scheme read_scheme(const std::string& path, const SchemeLimits& limits = {});
// The same from text in memory; `name` is used in messages.
Scheme parse_scheme(const std::string& text, const std::string& name, const SchemeLimits& limits = {});

// Reads a scheme grade by grade. For mgdl-scheme/2 it holds one line at a
// time (memory does not grow with the grades); for mgdl-scheme/1 it parses the
// document first and then hands out its grades. Errors as read_scheme; a
// file cut short is an error when next() reaches its end.
class SchemeReader {
 public:
  // keep_cell_bounds = false checks the bound map's lines but does not keep them.
  explicit SchemeReader(const std::string& path, const SchemeLimits& limits = {}, bool keep_cell_bounds = true);
  SchemeReader(const std::string& text, const std::string& name, const SchemeLimits& limits, bool keep_cell_bounds);
  ~SchemeReader();
  SchemeReader(const SchemeReader&) = delete;
  SchemeReader& operator=(const SchemeReader&) = delete;
  // Everything but the grades (head().net has dim and width, no grades).
  const Scheme& head() const;
  // The next grade (a hat record expanded to its weights, with its level, m
  // and node as hints); false after the last one, once the count is checked.
  bool next(Grade& g);
  std::size_t grades_read() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Bytes of memory that reading a scheme file of `file_bytes` bytes may take
// at its peak (the JSON tree and the network); an estimate, measured in the
// notes of issue 8 (bench/README.md).
std::uint64_t scheme_read_memory_estimate(std::uint64_t file_bytes);
// MemAvailable from /proc/meminfo in bytes, or 0 when unknown.
std::uint64_t available_memory_bytes();

}  // namespace mgdl
