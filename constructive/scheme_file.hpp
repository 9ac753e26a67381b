// Writing scheme files (formats mgdl-scheme/1 and /2, kernel/scheme.hpp), and
// the state of an interrupted construction read back from one. Writing is
// atomic (temporary file, then rename).
#pragma once

#include "constructive/schedule.hpp"
#include "kernel/scheme.hpp"

#include <nlohmann/json.hpp>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

namespace mgdl {

// The scheme of a construction (network, parameters, level history).
Scheme to_scheme(const Construction& c);
// The same without the grades (head().net has dim and width only), and
// without the bound map unless `cell_bounds` (write_construction writes it
// straight from c, as the map can hold millions of cells).
Scheme scheme_head(const Construction& c, bool cell_bounds = true);

// Writes atomically in format s.format; on failure nothing is left at `path`.
// Format 2 writes a grade equal to hat_block(d, m, node, a) of its hint as a
// hat record and any other grade spelled out. Throws InputError.
void write_scheme(const std::string& path, const Scheme& s);
// A construction's scheme, written from its records without building the
// network (format 2: memory does not grow with the grades).
void write_construction(const std::string& path, const Construction& c, int format);
// The state of an interrupted `mgdl construct` (a scheme it wrote), to resume
// from: options from params, grades from the hat blocks (checked to be exactly
// the constructor's blocks), levels from the history. Throws InputError.
Construction resume_state(const Scheme& s, const Target& f);
// The same, grade by grade from a reader (its head holds the rest).
Construction resume_state(SchemeReader& r, const Target& f);
// The same with the grades from `next_grade` (false after the last).
Construction resume_state(const Scheme& head, const Target& f, const std::function<bool(Grade&)>& next_grade);

// Writes `text` to `path` atomically (temporary file in the same folder, rename).
void write_file_atomic(const std::string& path, const std::string& text);
// The same for text produced by `write` (an exception from it leaves nothing).
void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& write);

}  // namespace mgdl
