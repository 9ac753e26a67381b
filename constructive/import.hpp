// Importing networks trained elsewhere (README, "Check your own trained
// network"). Two interchange formats hold per-grade weight arrays:
//  - NumPy .npz (np.savez or np.savez_compressed): arrays named
//      g{k}_W{l}  shape [out, in]   (PyTorch's Linear.weight layout)
//      g{k}_b{l}  shape [out]
//      g{k}_c     shape [width]     (the readout of grade k)
//      g{k}_c0    shape [] or [1]
//    for grades k = 1..K and hidden layers l = 1..L_k, float64 or float32;
//  - JSON: {"format": "mgdl-weights/1", "dim": d, "target": "expr" (optional),
//    "grades": [{"layers": [{"W": [[...]], "b": [...]}, ...],
//                "readout": {"c": [...], "c0": x}}, ...]}
//    with numbers as JSON numbers (read as binary64, as Python's json.dumps
//    writes them: the shortest text that reads back to the same double) or
//    strings holding exact rationals "n/d".
// Every binary64 (or binary32) value becomes the exact dyadic rational it
// denotes: no rounding anywhere. Bad files get one-line errors naming the
// array and its shape.
#pragma once

#include "kernel/scheme.hpp"

#include <map>
#include <string>
#include <vector>

namespace mgdl {

struct Array {
  std::vector<std::size_t> shape;
  std::vector<Rational> values;  // row-major
};
using Arrays = std::map<std::string, Array>;

// The exact rational value of a finite binary64; throws InputError naming
// `where` for NaN or an infinity.
Rational exact_double(double v, const std::string& where);

// The arrays of an .npz file (stored or deflated members, zip64 included).
Arrays read_npz(const std::string& path);
// The arrays of an mgdl-weights/1 JSON file under the .npz names; `target`
// receives the file's target expression ("" when absent).
Arrays read_weights_json(const std::string& path, std::string& target);

// The network the arrays describe. Throws InputError naming the array and
// its shape when an array is missing, has the wrong shape, or breaks the MGDL
// structure (every hidden layer the same width, grade k reading grade k-1's
// last layer, grade 1 reading d inputs).
Network network_from_arrays(const Arrays& a, const std::string& file);

// Reads .npz or JSON (by content) into a scheme with the target given (or the
// JSON's), params {"source": "import", "file": ..., "format": ...}.
Scheme import_scheme(const std::string& path, const std::string& target_expr, int dim);

}  // namespace mgdl
