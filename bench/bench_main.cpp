// Benchmarks (Google Benchmark): construction, verification and a forward
// pass through a whole network. Figures go to the issue notes, never to tests.
#include "constructive/fast_eval.hpp"
#include "constructive/schedule.hpp"
#include "constructive/scheme_file.hpp"
#include "targets/catalogue.hpp"
#include "train/train.hpp"
#include "verify/checker.hpp"

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <map>

using namespace mgdl;

namespace {
const Construction& built(const std::string& target, const std::string& eps) {
  static std::map<std::string, Construction> cache;
  auto key = target + "@" + eps;
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  set_precision_bits(128);
  ScheduleOptions o;
  o.eps = parse_decimal(eps);
  return cache.emplace(key, construct(resolve_target(target), o)).first->second;
}

void construct_bench(benchmark::State& st, const char* target, const char* eps) {
  set_precision_bits(128);
  ScheduleOptions o;
  o.eps = parse_decimal(eps);
  o.threads = static_cast<unsigned>(st.range(0));
  Target f = resolve_target(target);
  std::size_t grades = 0, cells = 0;
  for (auto _ : st) {
    Construction c = construct(f, o);
    grades = c.grades.size();
    cells = c.cells;
  }
  st.counters["grades"] = static_cast<double>(grades);
  st.counters["cells"] = static_cast<double>(cells);
  st.counters["s_per_grade"] = benchmark::Counter(static_cast<double>(grades), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// The cell engine: second-order rule, local schedule (docs/rules.md).
void construct_so_bench(benchmark::State& st, const char* target, const char* eps) {
  set_precision_bits(128);
  ScheduleOptions o;
  o.eps = parse_decimal(eps);
  Target f = resolve_target(target);
  use_default_engine(o, f);
  o.threads = static_cast<unsigned>(st.range(0));
  std::size_t grades = 0;
  for (auto _ : st) grades = construct(f, o).grades.size();
  st.counters["grades"] = static_cast<double>(grades);
  st.counters["s_per_grade"] = benchmark::Counter(static_cast<double>(grades), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void verify_bench(benchmark::State& st, const char* target, const char* eps) {
  const Construction& c = built(target, eps);
  Network net = to_network(c);
  VerifyOptions o;
  o.eps = parse_decimal(eps);
  o.threads = static_cast<unsigned>(st.range(0));
  VerifyReport r;
  for (auto _ : st) r = verify_scheme(net, c.target, o);
  if (r.overall() != Verdict::Proved) st.SkipWithError("not every claim was PROVED");
  st.counters["grades"] = static_cast<double>(r.grades);
  st.counters["cells"] = static_cast<double>(r.cells);
  st.counters["s_per_grade"] = benchmark::Counter(static_cast<double>(r.grades), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// Issue 15's ratio: one construction (the default engine) and one check of
// the scheme it wrote, as `mgdl construct` and `mgdl verify` run them: the
// file in mgdl-scheme/2, read back grade by grade (verify_stream). Counters:
// seconds of each step and verify / construct, per repetition; report medians.
void construct_then_verify(benchmark::State& st, const char* target, const char* eps) {
  set_precision_bits(128);
  ScheduleOptions o;
  o.eps = parse_decimal(eps);
  const Target f = resolve_target(target);
  use_default_engine(o, f);  // the default engine of mgdl construct, as in docs/rules.md
  o.threads = static_cast<unsigned>(st.range(0));
  const std::string path = "/tmp/mgdl_bench_" + std::string(target) + "_" + eps + ".mgdl";
  double tc = 0, tv = 0;
  std::size_t grades = 0;
  for (auto _ : st) {
    auto t0 = std::chrono::steady_clock::now();
    Construction c = construct(f, o);
    write_construction(path, c, 2);
    auto t1 = std::chrono::steady_clock::now();
    VerifyOptions vo;
    vo.eps = o.eps;
    vo.threads = o.threads;
    SchemeReader reader(path, SchemeLimits{}, false);
    auto r = verify_stream(reader.head().net.dim, reader.head().net.width, [&](const std::function<void(const Grade&)>& emit) {
      Grade g;
      while (reader.next(g)) emit(g);
    }, f, vo);
    auto t2 = std::chrono::steady_clock::now();
    if (!r || r->overall() != Verdict::Proved) st.SkipWithError("not every claim was PROVED");
    tc = std::chrono::duration<double>(t1 - t0).count();
    tv = std::chrono::duration<double>(t2 - t1).count();
    grades = c.grades.size();
  }
  std::remove(path.c_str());
  st.counters["grades"] = static_cast<double>(grades);
  st.counters["construct_s"] = tc;
  st.counters["verify_s"] = tv;
  st.counters["verify_over_construct"] = tv / tc;
}

void forward_exact(benchmark::State& st) {
  const Construction& c = built("sin2pi", "1e-3");
  Network net = to_network(c);
  std::vector<Rational> x{Rational(1, 3)};
  for (auto _ : st) benchmark::DoNotOptimize(grade_outputs<Rational>(net, x));
  st.counters["grades"] = static_cast<double>(net.grades.size());
  st.counters["s_per_grade"] = benchmark::Counter(static_cast<double>(net.grades.size()), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void forward_fast(benchmark::State& st) {
  const Construction& c = built("sin2pi", "1e-3");
  Network net = to_network(c);
  auto fast = FastNetwork::compile(net);
  GridPoint p{(std::int64_t{1} << 40) / 3};
  for (auto _ : st) benchmark::DoNotOptimize(fast->eval(p, 40));
  st.counters["s_per_grade"] = benchmark::Counter(static_cast<double>(net.grades.size()), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// The MPFR operations a forward pass performs, without the network around them:
// per grade, the same number of multiply-adds and max operations at 128 bits.
void mpfr_raw_ops(benchmark::State& st) {
  const Construction& c = built("sin2pi", "1e-3");
  Network net = to_network(c);
  std::size_t madds = 0, relus = 0;
  for (const auto& g : net.grades)
    for (const auto& L : g.layers) madds += L.W.size() + L.b.size(), relus += static_cast<std::size_t>(L.out);
  set_precision_bits(128);
  Real a(1.0 / 3), b(0.7), acc(0);
  for (auto _ : st) {
    for (std::size_t i = 0; i < madds; ++i) mpfr_fma(acc.backend().data(), a.backend().data(), b.backend().data(), acc.backend().data(), MPFR_RNDN);
    for (std::size_t i = 0; i < relus; ++i) mpfr_max(acc.backend().data(), acc.backend().data(), b.backend().data(), MPFR_RNDN);
    benchmark::DoNotOptimize(acc);
  }
  st.counters["s_per_grade"] = benchmark::Counter(static_cast<double>(net.grades.size()), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void forward_mpfr(benchmark::State& st) {
  const Construction& c = built("sin2pi", "1e-3");
  Network net = to_network(c);
  std::vector<Real> x{Real(1) / 3};
  for (auto _ : st) benchmark::DoNotOptimize(grade_outputs<Real>(net, x));
  st.counters["s_per_grade"] = benchmark::Counter(static_cast<double>(net.grades.size()), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
}  // namespace

// Argument: threads (1 and 2 in one run give the speed-up on this machine).
BENCHMARK_CAPTURE(construct_so_bench, sin2pi_1e_6, "sin2pi", "1e-6")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->Iterations(1)->Repetitions(3)->UseRealTime();
BENCHMARK_CAPTURE(construct_so_bench, sinsin_1e_2, "sinsin", "1e-2")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->Iterations(1)->Repetitions(3)->UseRealTime();
BENCHMARK_CAPTURE(construct_bench, sin2pi_1e_2, "sin2pi", "1e-2")->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(construct_bench, sin2pi_1e_3, "sin2pi", "1e-3")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->Iterations(1)->Repetitions(3)->UseRealTime();
BENCHMARK_CAPTURE(construct_bench, sinsin_5e_2, "sinsin", "5e-2")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->Iterations(1)->Repetitions(3)->UseRealTime();
BENCHMARK_CAPTURE(verify_bench, sin2pi_1e_3, "sin2pi", "1e-3")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->Iterations(1)->Repetitions(3)->UseRealTime();
BENCHMARK_CAPTURE(verify_bench, sinsin_5e_2, "sinsin", "5e-2")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->Iterations(1)->Repetitions(3)->UseRealTime();
#define MGDL_RATIO(name, target, eps) \
  BENCHMARK_CAPTURE(construct_then_verify, name, target, eps)->Arg(2)->Unit(benchmark::kMillisecond)->Iterations(1)->Repetitions(3)->UseRealTime()
MGDL_RATIO(sin2pi_1e_3, "sin2pi", "1e-3");
MGDL_RATIO(sin2pi_1e_4, "sin2pi", "1e-4");
MGDL_RATIO(sin2pi_1e_6, "sin2pi", "1e-6");
MGDL_RATIO(sin2pi_1e_8, "sin2pi", "1e-8");
MGDL_RATIO(runge_1e_3, "runge", "1e-3");
MGDL_RATIO(runge_1e_4, "runge", "1e-4");
MGDL_RATIO(runge_1e_6, "runge", "1e-6");
MGDL_RATIO(runge_1e_8, "runge", "1e-8");
MGDL_RATIO(kink_1e_6, "kink", "1e-6");
MGDL_RATIO(sinsin_1e_2, "sinsin", "1e-2");
MGDL_RATIO(sinsin_1e_3, "sinsin", "1e-3");
MGDL_RATIO(absdiff_1e_2, "absdiff", "1e-2");
MGDL_RATIO(sum3_1e_2, "sum3", "1e-2");
BENCHMARK(forward_exact)->Unit(benchmark::kMillisecond);
BENCHMARK(forward_mpfr)->Unit(benchmark::kMillisecond);
BENCHMARK(forward_fast)->Unit(benchmark::kMillisecond);
BENCHMARK(mpfr_raw_ops)->Unit(benchmark::kMillisecond);
// One trained grade (`mgdl train`): width 32, 10^4 samples, 200 Adam steps,
// then the least-squares readout; counters split the time between the two.
void train_grade(benchmark::State& st, const char* target) {
  set_precision_bits(128);
  const Target f = resolve_target(target);
  TrainOptions o;
  o.grades = static_cast<std::size_t>(st.range(0));
  o.width = 32;
  o.epochs = 200;
  o.samples = 10000;
  double adam = 0, ls = 0;
  for (auto _ : st) {
    const Training t = train(f, o);
    adam = ls = 0;
    for (const auto& g : t.log) adam += g.seconds_adam, ls += g.seconds_ls;
  }
  st.counters["adam_s_per_grade"] = adam / static_cast<double>(o.grades);
  st.counters["ls_s_per_grade"] = ls / static_cast<double>(o.grades);
  st.counters["ls_share"] = ls / (adam + ls);
}
BENCHMARK_CAPTURE(train_grade, sin100, "sin100")->Arg(1)->Arg(4)->Unit(benchmark::kMillisecond)->Iterations(1)->Repetitions(3)->UseRealTime();

BENCHMARK_MAIN();
