// Writing scheme files (format mgdl-scheme/1, kernel/scheme.hpp), and the
// state of an interrupted construction read back from one. Writing is atomic
// (temporary file, then rename).
#pragma once

#include "constructive/schedule.hpp"
#include "kernel/scheme.hpp"

#include <nlohmann/json.hpp>
#include <cstdint>
#include <string>

namespace mgdl {

// The scheme of a construction (network, parameters, level history).
Scheme to_scheme(const Construction& c);

// Writes atomically; on failure nothing is left at `path`. Throws InputError.
void write_scheme(const std::string& path, const Scheme& s);
// The state of an interrupted `mgdl construct` (a scheme it wrote), to resume
// from: options from params, grades from the hat blocks (checked to be exactly
// the constructor's blocks), levels from the history. Throws InputError.
Construction resume_state(const Scheme& s, const Target& f);

// Writes `text` to `path` atomically (temporary file in the same folder, rename).
void write_file_atomic(const std::string& path, const std::string& text);

}  // namespace mgdl
