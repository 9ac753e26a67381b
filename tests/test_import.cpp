// Importing trained networks (constructive/import.hpp): every float becomes
// the exact rational it denotes; real NumPy files (np.savez, savez_compressed,
// float32 in Fortran order) and JSON give the same network; bad files get
// one-line errors naming the array and its shape.
#include <catch2/catch.hpp>

#include "constructive/import.hpp"

#include <cfloat>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace mgdl;

namespace {
const std::string kData = MGDL_TEST_DATA;

std::string temp_file(const std::string& name, const std::string& text) {
  const auto dir = std::filesystem::temp_directory_path() / ("mgdl_test_import_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / name).string();
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

Rational weight(const Network& net, std::size_t grade, int row, int col) {
  for (const auto& e : net.grades[grade - 1].layers[0].W)
    if (e.row == row && e.col == col) return e.v;
  return Rational(0);
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("binary64 values become the exact rationals they denote", "[import]") {
  CHECK(exact_double(0.1, "x") == Rational(Integer(3602879701896397), Integer(1) << 55));
  CHECK(exact_double(-2.5, "x") == Rational(-5, 2));
  CHECK(exact_double(-0.0, "x") == 0);
  CHECK(exact_double(std::ldexp(1.0, -1074), "x") == Rational(Integer(1), Integer(1) << 1074));  // the smallest subnormal
  CHECK(exact_double(DBL_MAX, "x") == Rational((Integer(1) << 1024) - (Integer(1) << 971)));
  // Exactness, not rounding: the rational converts back to the same double, and differs from 1/10.
  for (double v : {0.1, 1.0 / 3, -1e-300, 6.02214076e23}) {
    const Rational q = exact_double(v, "x");
    CHECK(q.convert_to<double>() == v);
  }
  CHECK(exact_double(0.1, "x") != Rational(1, 10));
  CHECK(error_of([] { exact_double(std::nan(""), "g1_W1 element 3"); }) == "g1_W1 element 3 is not finite (nan)");
  CHECK(error_of([] { exact_double(HUGE_VAL, "g1_c element 0"); }) == "g1_c element 0 is not finite (inf)");
}

TEST_CASE("NumPy .npz files (stored, deflated, float32 Fortran order) import exactly", "[import]") {
  for (const char* name : {"tiny.npz", "tiny_compressed.npz"}) {
    INFO(name);
    const Scheme s = import_scheme(kData + "/" + name, "x*(1-x)", 1);
    const Network& net = s.net;
    REQUIRE(net.dim == 1);
    REQUIRE(net.width == 3);
    REQUIRE(net.grades.size() == 2);
    CHECK(weight(net, 1, 1, 0) == exact_double(0.1, ""));
    CHECK(weight(net, 1, 2, 0) == Rational(-5, 2));
    CHECK(weight(net, 2, 2, 2) == exact_double(1.0 / 3, ""));
    CHECK(net.grades[0].readout.c0 == Rational(1, 4));
    bool tiny = false;
    for (const auto& [col, v] : net.grades[0].readout.c) tiny = tiny || (col == 1 && v == exact_double(1e-300, ""));
    CHECK(tiny);
    bool pow2 = false;
    for (const auto& [col, v] : net.grades[1].readout.c) pow2 = pow2 || (col == 1 && v == Rational(Integer(1), Integer(1) << 60));
    CHECK(pow2);
    CHECK(s.params["format"] == "npz");
  }
  // float32 in Fortran order: g2_W1 = [[1, 2, 0], [0, 1, 0], [0, 0, (float)1/3]].
  const Network f32 = import_scheme(kData + "/tiny_f32_fortran.npz", "x", 1).net;
  CHECK(weight(f32, 2, 0, 1) == 2);
  CHECK(weight(f32, 2, 1, 0) == 0);
  CHECK(weight(f32, 2, 2, 2) == exact_double(static_cast<double>(1.0f / 3.0f), ""));
}

TEST_CASE("mgdl-weights/1 JSON imports exactly and gives the same network as the .npz", "[import]") {
  const std::string json = R"J({"format": "mgdl-weights/1", "dim": 1, "target": "x*(1-x)", "grades": [
    {"layers": [{"W": [[1.0], [0.1], [-2.5]], "b": [0.0, -0.05, 1.0]}], "readout": {"c": [0.5, 1e-300, -0.125], "c0": 0.25}},
    {"layers": [{"W": [[1.0, 0, 0], [0, 1.0, 0], [0, 0, 0.3333333333333333]], "b": [0, 0, 0]}], "readout": {"c": [0, 8.673617379884035e-19, 3.0], "c0": "0"}}]})J";
  const Scheme a = import_scheme(temp_file("w.json", json), "", 0), b = import_scheme(kData + "/tiny.npz", "x*(1-x)", 1);
  CHECK(a.target_expr == "x*(1-x)");
  REQUIRE(a.net.grades.size() == b.net.grades.size());
  for (std::size_t k = 0; k < a.net.grades.size(); ++k) {
    const auto &ga = a.net.grades[k], &gb = b.net.grades[k];
    REQUIRE(ga.layers[0].W.size() == gb.layers[0].W.size());
    for (std::size_t i = 0; i < ga.layers[0].W.size(); ++i) CHECK(ga.layers[0].W[i].v == gb.layers[0].W[i].v);
    REQUIRE(ga.layers[0].b.size() == gb.layers[0].b.size());
    for (std::size_t i = 0; i < ga.layers[0].b.size(); ++i) CHECK(ga.layers[0].b[i].second == gb.layers[0].b[i].second);
    REQUIRE(ga.readout.c.size() == gb.readout.c.size());
    for (std::size_t i = 0; i < ga.readout.c.size(); ++i) CHECK(ga.readout.c[i].second == gb.readout.c[i].second);
    CHECK(ga.readout.c0 == gb.readout.c0);
  }
  // Exact rationals as strings.
  const std::string exact = R"J({"format": "mgdl-weights/1", "grades": [{"layers": [{"W": [["1/3"]], "b": ["-1/7"]}], "readout": {"c": [2]}}]})J";
  const Network e = import_scheme(temp_file("e.json", exact), "x", 0).net;
  CHECK(weight(e, 1, 0, 0) == Rational(1, 3));
  CHECK(e.grades[0].layers[0].b[0].second == Rational(-1, 7));
}

TEST_CASE("bad weight files: one line naming the array and its shape", "[import]") {
  auto err = [](const std::string& name, const std::string& text, const std::string& target = "x") {
    return error_of([&] { import_scheme(temp_file(name, text), target, 0); });
  };
  const std::string head = R"J({"format": "mgdl-weights/1", "grades": [)J";
  CHECK_THAT(err("shape.json", head + R"J({"layers": [{"W": [[1], [2]], "b": [0, 0]}], "readout": {"c": [1, 1]}},
      {"layers": [{"W": [[1, 2, 3], [1, 2, 3]], "b": [0, 0]}], "readout": {"c": [1, 1]}}]})J"),
             Catch::Contains("g2_W1 has shape [2, 3], expected [2, 2]") && Catch::Contains("grade 1's last layer has 2"));
  CHECK_THAT(err("bias.json", head + R"J({"layers": [{"W": [[1], [2]], "b": [0]}], "readout": {"c": [1, 1]}}]})J"),
             Catch::Contains("g1_b1 has shape [1], expected [2]"));
  CHECK_THAT(err("ragged.json", head + R"J({"layers": [{"W": [[1], [2, 3]], "b": [0, 0]}], "readout": {"c": [1, 1]}}]})J"),
             Catch::Contains("g1_W1 row 1 has 2 entries, row 0 has 1"));
  CHECK_THAT(err("readout.json", head + R"J({"layers": [{"W": [[1], [2]], "b": [0, 0]}], "readout": {"c": [1, 1, 1]}}]})J"),
             Catch::Contains("g1_c has shape [3], expected [2]"));
  CHECK_THAT(err("text.json", head + R"J({"layers": [{"W": [["abc"], [2]], "b": [0, 0]}], "readout": {"c": [1, 1]}}]})J"),
             Catch::Contains("g1_W1[0][0] is not a number"));
  CHECK_THAT(err("format.json", R"J({"grades": []})J"), Catch::Contains("not an mgdl-weights/1 file"));
  CHECK_THAT(err("notjson.json", "{"), Catch::Contains("not JSON"));
  CHECK_THAT(err("notarget.json", head + R"J({"layers": [{"W": [[1], [2]], "b": [0, 0]}], "readout": {"c": [1, 1]}}]})J", ""),
             Catch::Contains("no target"));
  CHECK_THAT(err("dimtarget.json", head + R"J({"layers": [{"W": [[1], [2]], "b": [0, 0]}], "readout": {"c": [1, 1]}}]})J", "x1*x2"),
             Catch::Contains("uses x2 but the dimension is 1"));
  // .npz damage: truncated, a member renamed into a gap, a non-float dtype.
  std::ifstream in(kData + "/tiny.npz", std::ios::binary);
  std::string npz((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK_THAT(err("cut.npz", npz.substr(0, npz.size() / 2)), Catch::Contains("not a zip archive") || Catch::Contains("truncated"));
  std::string gap = npz;
  for (std::size_t p = 0; (p = gap.find("g2_", p)) != std::string::npos;) gap[p + 1] = '3';
  CHECK_THAT(err("gap.npz", gap), Catch::Contains("belongs to no grade 1..1"));
  std::string ints = npz;
  for (std::size_t p = 0; (p = ints.find("'<f8'", p)) != std::string::npos;) ints.replace(p, 5, "'<i8'");
  CHECK_THAT(err("ints.npz", ints), Catch::Contains("dtype <i8 is not float64 or float32"));
}
