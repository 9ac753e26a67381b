// Importing trained networks (see import.hpp).
#include "constructive/import.hpp"

#include "targets/target.hpp"

#include <nlohmann/json.hpp>
#include <zlib.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>

namespace mgdl {

namespace {

std::string shape_text(const std::vector<std::size_t>& s) {
  std::string t = "[";
  for (std::size_t i = 0; i < s.size(); ++i) t += (i ? ", " : "") + std::to_string(s[i]);
  return t + "]";
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot read " + path);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

// Little-endian fields with bounds checks.
struct Bytes {
  const std::string& s;
  const std::string& file;
  std::uint64_t u(std::size_t at, int n) const {
    if (at + static_cast<std::size_t>(n) > s.size() || at + static_cast<std::size_t>(n) < at) throw InputError(file + ": truncated zip archive");
    std::uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[at + static_cast<std::size_t>(i)]);
    return v;
  }
};

std::string inflate_raw(const std::string& data, std::uint64_t out_size, const std::string& where) {
  if (out_size > (std::uint64_t{1} << 34)) throw InputError(where + ": member larger than 16 GiB");
  std::string out(static_cast<std::size_t>(out_size), '\0');
  z_stream zs{};
  if (inflateInit2(&zs, -15) != Z_OK) throw InputError(where + ": cannot start zlib");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&zs, Z_FINISH);
  const std::size_t got = zs.total_out;
  inflateEnd(&zs);
  if (rc != Z_STREAM_END || got != out.size()) throw InputError(where + ": corrupt deflate data");
  return out;
}

// One .npy member: header dict, then the raw little-endian values.
Array parse_npy(const std::string& b, const std::string& where) {
  if (b.size() < 10 || b.compare(0, 6, "\x93NUMPY") != 0) throw InputError(where + ": not a .npy array");
  const int major = static_cast<unsigned char>(b[6]);
  std::size_t hlen, hstart;
  if (major == 1) {
    hlen = static_cast<unsigned char>(b[8]) | (static_cast<std::size_t>(static_cast<unsigned char>(b[9])) << 8);
    hstart = 10;
  } else if (major == 2 || major == 3) {
    if (b.size() < 12) throw InputError(where + ": truncated .npy header");
    hlen = 0;
    for (int i = 3; i >= 0; --i) hlen = (hlen << 8) | static_cast<unsigned char>(b[8 + static_cast<std::size_t>(i)]);
    hstart = 12;
  } else {
    throw InputError(where + ": unsupported .npy version " + std::to_string(major));
  }
  if (hstart + hlen > b.size()) throw InputError(where + ": truncated .npy header");
  const std::string h = b.substr(hstart, hlen);
  auto field = [&](const std::string& key) {
    const auto p = h.find("'" + key + "'");
    if (p == std::string::npos) throw InputError(where + ": .npy header without '" + key + "'");
    auto c = h.find(':', p);
    if (c == std::string::npos) throw InputError(where + ": malformed .npy header");
    return c + 1;
  };
  std::size_t p = field("descr");
  const auto q1 = h.find('\'', p), q2 = q1 == std::string::npos ? q1 : h.find('\'', q1 + 1);
  if (q2 == std::string::npos) throw InputError(where + ": malformed .npy descr");
  const std::string descr = h.substr(q1 + 1, q2 - q1 - 1);
  int width;
  if (descr == "<f8" || descr == "=f8") width = 8;
  else if (descr == "<f4" || descr == "=f4") width = 4;
  else throw InputError(where + ": dtype " + descr + " is not float64 or float32 (little-endian)");
  p = field("fortran_order");
  const bool fortran = h.compare(h.find_first_not_of(' ', p), 4, "True") == 0;
  p = field("shape");
  const auto o = h.find('(', p), c = h.find(')', p);
  if (o == std::string::npos || c == std::string::npos || c < o) throw InputError(where + ": malformed .npy shape");
  Array a;
  std::string dims = h.substr(o + 1, c - o - 1);
  std::stringstream ss(dims);
  std::string tok;
  std::size_t count = 1;
  while (std::getline(ss, tok, ',')) {
    const auto f = tok.find_first_not_of(' ');
    if (f == std::string::npos) continue;
    std::size_t v = 0;
    for (char ch : tok.substr(f)) {
      if (ch == ' ' || ch == 'L') continue;
      if (ch < '0' || ch > '9') throw InputError(where + ": malformed .npy shape (" + dims + ")");
      v = v * 10 + static_cast<std::size_t>(ch - '0');
      if (v > (std::size_t{1} << 32)) throw InputError(where + ": .npy dimension too large");
    }
    a.shape.push_back(v);
    count *= v;
    if (count > (std::size_t{1} << 32)) throw InputError(where + ": .npy array too large");
  }
  const std::size_t data = hstart + hlen;
  if (b.size() - data != count * static_cast<std::size_t>(width))
    throw InputError(where + ": shape " + shape_text(a.shape) + " needs " + std::to_string(count * static_cast<std::size_t>(width)) +
                     " bytes of data, the member has " + std::to_string(b.size() - data));
  a.values.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    double v;
    if (width == 8) {
      std::uint64_t bits = 0;
      for (int k = 7; k >= 0; --k) bits = (bits << 8) | static_cast<unsigned char>(b[data + 8 * i + static_cast<std::size_t>(k)]);
      std::memcpy(&v, &bits, 8);
    } else {
      std::uint32_t bits = 0;
      for (int k = 3; k >= 0; --k) bits = (bits << 8) | static_cast<unsigned char>(b[data + 4 * i + static_cast<std::size_t>(k)]);
      float fv;
      std::memcpy(&fv, &bits, 4);
      v = fv;  // exact: every binary32 is a binary64
    }
    // Fortran order: element i is at the transposed position (2-D arrays only matter here).
    std::size_t at = i;
    if (fortran && a.shape.size() == 2) at = (i % a.shape[0]) * a.shape[1] + i / a.shape[0];
    a.values[at] = exact_double(v, where + " element " + std::to_string(i));
  }
  return a;
}

}  // namespace

Rational exact_double(double v, const std::string& where) {
  if (!std::isfinite(v)) throw InputError(where + " is not finite (" + std::string(std::isnan(v) ? "nan" : "inf") + ")");
  if (v == 0) return Rational(0);
  int e = 0;
  const double m = std::frexp(v, &e);  // v = m 2^e, 0.5 <= |m| < 1
  const auto mant = static_cast<long long>(std::ldexp(m, 53));  // exact: 53 bits
  e -= 53;
  Rational r{Integer(mant)};
  if (e >= 0) r *= Rational(Integer(1) << e);
  else r /= Rational(Integer(1) << (-e));
  return r;
}

Arrays read_npz(const std::string& path) {
  const std::string s = read_all(path);
  const Bytes B{s, path};
  // End of central directory: the last PK\5\6 within the final 64 KiB + 22 bytes.
  if (s.size() < 22) throw InputError(path + ": not a zip archive (.npz)");
  std::size_t eocd = std::string::npos;
  for (std::size_t i = s.size() - 22 + 1; i-- > 0 && s.size() - i <= 65557;)
    if (B.u(i, 4) == 0x06054b50) {
      eocd = i;
      break;
    }
  if (eocd == std::string::npos) throw InputError(path + ": not a zip archive (.npz)");
  std::uint64_t entries = B.u(eocd + 10, 2), cd = B.u(eocd + 16, 4);
  if ((entries == 0xFFFF || cd == 0xFFFFFFFF) && eocd >= 20 && B.u(eocd - 20, 4) == 0x07064b50) {
    const std::uint64_t z = B.u(eocd - 20 + 8, 8);  // the zip64 end record
    if (B.u(z, 4) != 0x06064b50) throw InputError(path + ": corrupt zip64 directory");
    entries = B.u(z + 32, 8);
    cd = B.u(z + 48, 8);
  }
  if (entries > 100000) throw InputError(path + ": more than 100000 arrays");
  Arrays out;
  std::size_t at = static_cast<std::size_t>(cd);
  for (std::uint64_t n = 0; n < entries; ++n) {
    if (B.u(at, 4) != 0x02014b50) throw InputError(path + ": corrupt zip central directory");
    const auto method = B.u(at + 10, 2);
    std::uint64_t csize = B.u(at + 20, 4), usize = B.u(at + 24, 4), local = B.u(at + 42, 4);
    const auto nlen = B.u(at + 28, 2), xlen = B.u(at + 30, 2), clen = B.u(at + 32, 2);
    if (at + 46 + nlen > s.size()) throw InputError(path + ": truncated zip archive");
    std::string name = s.substr(at + 46, static_cast<std::size_t>(nlen));
    // zip64 extra field: the 0xFFFFFFFF sizes and offset, in this order.
    for (std::size_t x = at + 46 + nlen; x + 4 <= at + 46 + nlen + xlen;) {
      const auto id = B.u(x, 2), len = B.u(x + 2, 2);
      if (id == 1) {
        std::size_t y = x + 4;
        if (usize == 0xFFFFFFFF) usize = B.u(y, 8), y += 8;
        if (csize == 0xFFFFFFFF) csize = B.u(y, 8), y += 8;
        if (local == 0xFFFFFFFF) local = B.u(y, 8);
      }
      x += 4 + static_cast<std::size_t>(len);
    }
    at += 46 + static_cast<std::size_t>(nlen + xlen + clen);
    if (B.u(local, 4) != 0x04034b50) throw InputError(path + ": corrupt zip member " + name);
    const std::size_t data = static_cast<std::size_t>(local + 30 + B.u(local + 26, 2) + B.u(local + 28, 2));
    if (data > s.size() || csize > s.size() - data) throw InputError(path + ": truncated zip member " + name);
    std::string raw = s.substr(data, static_cast<std::size_t>(csize));
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".npy") == 0) name.resize(name.size() - 4);
    const std::string where = path + ": array " + name;
    if (method == 8) raw = inflate_raw(raw, usize, where);
    else if (method != 0) throw InputError(where + ": zip compression method " + std::to_string(method) + " (only stored and deflate)");
    out[name] = parse_npy(raw, where);
  }
  return out;
}

Arrays read_weights_json(const std::string& path, std::string& target) {
  using J = nlohmann::json;
  J j;
  try {
    j = J::parse(read_all(path));
  } catch (const J::exception& e) {
    throw InputError(path + ": not JSON (" + std::string(e.what()).substr(0, 120) + ")");
  }
  if (!j.is_object() || j.value("format", "") != "mgdl-weights/1") throw InputError(path + ": not an mgdl-weights/1 file (\"format\")");
  target = j.contains("target") && j["target"].is_string() ? j["target"].get<std::string>() : "";
  if (!j.contains("grades") || !j["grades"].is_array()) throw InputError(path + ": no \"grades\" array");
  Arrays out;
  auto number = [&](const J& v, const std::string& where) -> Rational {
    if (v.is_number()) return exact_double(v.get<double>(), where);
    if (v.is_string()) {
      try {
        return parse_rational(v.get<std::string>());
      } catch (const InputError&) {
        throw InputError(where + " is not a number or an exact rational \"n/d\": " + v.dump());
      }
    }
    throw InputError(where + " is not a number: " + v.dump().substr(0, 40));
  };
  auto vec = [&](const J& v, const std::string& name) {
    Array a;
    if (!v.is_array()) throw InputError(path + ": " + name + " is not an array");
    a.shape = {v.size()};
    for (std::size_t i = 0; i < v.size(); ++i) a.values.push_back(number(v[i], path + ": " + name + "[" + std::to_string(i) + "]"));
    return a;
  };
  for (std::size_t k = 0; k < j["grades"].size(); ++k) {
    const J& g = j["grades"][k];
    const std::string gk = "g" + std::to_string(k + 1);
    if (!g.is_object() || !g.contains("layers") || !g["layers"].is_array()) throw InputError(path + ": grade " + std::to_string(k + 1) + " has no \"layers\" array");
    for (std::size_t l = 0; l < g["layers"].size(); ++l) {
      const J& L = g["layers"][l];
      const std::string ln = std::to_string(l + 1);
      if (!L.is_object() || !L.contains("W") || !L.contains("b")) throw InputError(path + ": " + gk + " layer " + ln + " needs \"W\" and \"b\"");
      Array W;
      const J& w = L["W"];
      if (!w.is_array()) throw InputError(path + ": " + gk + "_W" + ln + " is not an array of rows");
      std::size_t cols = 0;
      for (std::size_t r = 0; r < w.size(); ++r) {
        if (!w[r].is_array()) throw InputError(path + ": " + gk + "_W" + ln + " row " + std::to_string(r) + " is not an array");
        if (r == 0) cols = w[r].size();
        if (w[r].size() != cols)
          throw InputError(path + ": " + gk + "_W" + ln + " row " + std::to_string(r) + " has " + std::to_string(w[r].size()) + " entries, row 0 has " + std::to_string(cols));
        for (std::size_t c = 0; c < cols; ++c)
          W.values.push_back(number(w[r][c], path + ": " + gk + "_W" + ln + "[" + std::to_string(r) + "][" + std::to_string(c) + "]"));
      }
      W.shape = {w.size(), cols};
      out[gk + "_W" + ln] = std::move(W);
      out[gk + "_b" + ln] = vec(L["b"], gk + "_b" + ln);
    }
    if (!g.contains("readout") || !g["readout"].is_object() || !g["readout"].contains("c"))
      throw InputError(path + ": grade " + std::to_string(k + 1) + " has no \"readout\" with \"c\"");
    out[gk + "_c"] = vec(g["readout"]["c"], gk + "_c");
    Array c0;
    c0.shape = {};
    c0.values.push_back(g["readout"].contains("c0") ? number(g["readout"]["c0"], path + ": " + gk + "_c0") : Rational(0));
    out[gk + "_c0"] = std::move(c0);
  }
  if (j.contains("dim")) {
    Array d;
    d.values.push_back(Rational(j["dim"].is_number_integer() ? j["dim"].get<long long>() : -1));
    out["dim"] = d;
  }
  return out;
}

Network network_from_arrays(const Arrays& a, const std::string& file) {
  Network net;
  auto get = [&](const std::string& name) -> const Array& {
    auto it = a.find(name);
    if (it == a.end()) throw InputError(file + ": no array " + name);
    return it->second;
  };
  std::size_t K = 0;
  while (a.count("g" + std::to_string(K + 1) + "_W1")) ++K;
  if (K == 0) throw InputError(file + ": no array g1_W1 (arrays are named g{k}_W{l}, g{k}_b{l}, g{k}_c, g{k}_c0)");
  for (const auto& [name, arr] : a) {
    // Every array must belong to a grade that is read: a typo would otherwise be ignored.
    std::size_t k = 0, pos = 1;
    if (name == "dim") continue;
    if (name.size() < 2 || name[0] != 'g') throw InputError(file + ": unexpected array " + name);
    while (pos < name.size() && name[pos] >= '0' && name[pos] <= '9') k = k * 10 + static_cast<std::size_t>(name[pos++] - '0');
    if (k == 0 || k > K) throw InputError(file + ": array " + name + " belongs to no grade 1.." + std::to_string(K) + " (grades must be numbered without gaps)");
  }
  const Array& first = get("g1_W1");
  if (first.shape.size() != 2) throw InputError(file + ": g1_W1 has shape " + shape_text(first.shape) + ", expected [width, d]");
  net.dim = static_cast<int>(first.shape[1]);
  net.width = static_cast<int>(first.shape[0]);
  if (a.count("dim") && a.at("dim").values.size() == 1 && a.at("dim").values[0] != net.dim)
    throw InputError(file + ": \"dim\" is " + to_string(a.at("dim").values[0]) + " but g1_W1 has shape " + shape_text(first.shape) + " (d inputs)");
  if (net.dim < 1 || net.dim > 16) throw InputError(file + ": g1_W1 has shape " + shape_text(first.shape) + ": d must be 1..16");
  if (net.width < 1) throw InputError(file + ": g1_W1 has shape " + shape_text(first.shape) + ": no neurons");
  std::size_t in = static_cast<std::size_t>(net.dim);
  for (std::size_t k = 1; k <= K; ++k) {
    const std::string gk = "g" + std::to_string(k);
    Grade g;
    std::size_t layers = 0;
    while (a.count(gk + "_W" + std::to_string(layers + 1))) ++layers;
    if (layers == 0) throw InputError(file + ": no array " + gk + "_W1");
    for (std::size_t l = 1; l <= layers; ++l) {
      const std::string wn = gk + "_W" + std::to_string(l), bn = gk + "_b" + std::to_string(l);
      const Array& W = get(wn);
      const Array& b = get(bn);
      const std::string reads = l > 1 ? "the layer before it has " : k == 1 ? "x has " : "grade " + std::to_string(k - 1) + "'s last layer has ";
      if (W.shape.size() != 2 || W.shape[0] != static_cast<std::size_t>(net.width) || W.shape[1] != in)
        throw InputError(file + ": " + wn + " has shape " + shape_text(W.shape) + ", expected [" + std::to_string(net.width) + ", " +
                         std::to_string(in) + "] (width " + std::to_string(net.width) + "; " + reads + std::to_string(in) + ")");
      if (b.shape != std::vector<std::size_t>{static_cast<std::size_t>(net.width)})
        throw InputError(file + ": " + bn + " has shape " + shape_text(b.shape) + ", expected [" + std::to_string(net.width) + "]");
      Layer L;
      L.out = net.width;
      L.in = static_cast<int>(in);
      for (std::size_t r = 0; r < W.shape[0]; ++r)
        for (std::size_t c = 0; c < in; ++c)
          if (W.values[r * in + c] != 0) L.W.push_back({static_cast<int>(r), static_cast<int>(c), W.values[r * in + c]});
      for (std::size_t r = 0; r < b.values.size(); ++r)
        if (b.values[r] != 0) L.b.push_back({static_cast<int>(r), b.values[r]});
      g.layers.push_back(std::move(L));
      in = static_cast<std::size_t>(net.width);
    }
    const Array& c = get(gk + "_c");
    if (c.values.size() != static_cast<std::size_t>(net.width) || c.shape.size() > 2 || (c.shape.size() == 2 && c.shape[0] != 1))
      throw InputError(file + ": " + gk + "_c has shape " + shape_text(c.shape) + ", expected [" + std::to_string(net.width) + "]");
    for (std::size_t i = 0; i < c.values.size(); ++i)
      if (c.values[i] != 0) g.readout.c.push_back({static_cast<int>(i), c.values[i]});
    if (a.count(gk + "_c0")) {
      const Array& c0 = a.at(gk + "_c0");
      if (c0.values.size() != 1) throw InputError(file + ": " + gk + "_c0 has shape " + shape_text(c0.shape) + ", expected [] or [1]");
      g.readout.c0 = c0.values[0];
    }
    net.grades.push_back(std::move(g));
  }
  if (auto e = structure_check(net)) throw InputError(file + ": " + e->what);
  return net;
}

Scheme import_scheme(const std::string& path, const std::string& target_expr, int dim) {
  const std::string head = read_all(path).substr(0, 4);
  std::string file_target, format;
  Arrays arrays;
  if (head.size() >= 2 && head[0] == 'P' && head[1] == 'K') {
    arrays = read_npz(path);
    format = "npz";
  } else {
    arrays = read_weights_json(path, file_target);
    format = "json";
  }
  Scheme s;
  s.net = network_from_arrays(arrays, path);
  if (dim != 0 && dim != s.net.dim) throw InputError(path + ": --dim " + std::to_string(dim) + " but the network reads " + std::to_string(s.net.dim) + " inputs");
  const std::string expr = target_expr.empty() ? file_target : target_expr;
  if (expr.empty()) throw InputError(path + ": no target: give --target EXPR (or \"target\" in the JSON file)");
  const Target f = resolve_target(expr, s.net.dim);
  if (f.dim != s.net.dim)
    throw InputError("the target " + expr + " has dimension " + std::to_string(f.dim) + " but the network reads " + std::to_string(s.net.dim) + " inputs");
  s.target_name = f.name;
  s.target_expr = f.expr;
  std::string base = path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
  s.params = {{"source", "import"}, {"file", base}, {"format", format}};
  s.result = {{"grades", s.net.grades.size()}};
  s.levels = nlohmann::ordered_json::array();
  return s;
}

}  // namespace mgdl
