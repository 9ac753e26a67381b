#include "cluster/mpi_comm.hpp"

#include <mpi.h>

#include <cstdio>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string>

namespace mgdl {

namespace {

bool g_started = false;

// A launcher's variables: OpenMPI's mpirun, PMIx (OpenMPI 4+, srun), PMI (MPICH, Slurm).
bool launched() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(v)) return true;
  return false;
}

void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) throw std::runtime_error(std::string("MPI failed in ") + what);
}

class MpiComm final : public Comm {
 public:
  MpiComm() {
    check(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
    check(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
  }
  // MGDL_COMM_STATS=1: each rank reports on standard error what it exchanged.
  ~MpiComm() override {
    if (const char* v = std::getenv("MGDL_COMM_STATS"); v && std::string(v) == "1")
      std::fprintf(stderr, "mgdl: rank %d of %d: %llu all-gathers, %llu bytes sent, %llu bytes received, %.2f s in all-gathers\n", rank_, size_,
                   calls_, sent_, received_, seconds_);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::vector<std::string> allgather(const std::string& mine) const override {
    // Lengths first (as 64-bit counts), then the bytes in chunks that fit an int.
    const double t0 = MPI_Wtime();
    const auto n = static_cast<unsigned long long>(mine.size());
    std::vector<unsigned long long> lens(static_cast<std::size_t>(size_));
    check(MPI_Allgather(&n, 1, MPI_UNSIGNED_LONG_LONG, lens.data(), 1, MPI_UNSIGNED_LONG_LONG, MPI_COMM_WORLD), "MPI_Allgather");
    std::vector<std::string> out(static_cast<std::size_t>(size_));
    for (std::size_t r = 0; r < out.size(); ++r) out[r].resize(lens[r]);
    ++calls_;
    sent_ += n;
    for (auto l : lens) received_ += l;
    // At most 4 MiB from each rank per round: the receive buffer stays small
    // next to the strings it fills (and every count fits an int).
    const unsigned long long chunk = std::min<unsigned long long>(std::numeric_limits<int>::max() / 2 / static_cast<unsigned long long>(size_), 1ull << 22);
    unsigned long long longest = 0;
    for (auto l : lens) longest = std::max(longest, l);
    std::vector<int> counts(out.size()), displs(out.size());
    for (unsigned long long off = 0; off < longest || off == 0; off += chunk) {
      std::string buf;
      int total = 0;
      for (std::size_t r = 0; r < out.size(); ++r) {
        const unsigned long long have = lens[r] > off ? std::min(chunk, lens[r] - off) : 0;
        counts[r] = static_cast<int>(have);
        displs[r] = total;
        total += counts[r];
      }
      buf.resize(static_cast<std::size_t>(total));
      const int mine_count = counts[static_cast<std::size_t>(rank_)];
      check(MPI_Allgatherv(mine.data() + std::min<unsigned long long>(off, mine.size()), mine_count, MPI_CHAR, buf.data(), counts.data(),
                           displs.data(), MPI_CHAR, MPI_COMM_WORLD),
            "MPI_Allgatherv");
      for (std::size_t r = 0; r < out.size(); ++r)
        if (counts[r]) out[r].replace(static_cast<std::size_t>(off), static_cast<std::size_t>(counts[r]), buf, static_cast<std::size_t>(displs[r]),
                                      static_cast<std::size_t>(counts[r]));
      if (longest == 0) break;
    }
    seconds_ += MPI_Wtime() - t0;  // mostly waiting for the slowest rank
    return out;
  }

 private:
  int rank_ = 0, size_ = 1;
  mutable unsigned long long calls_ = 0, sent_ = 0, received_ = 0;
  mutable double seconds_ = 0;
};

}  // namespace

std::unique_ptr<Comm> start_cluster(int* argc, char*** argv) {
  if (!launched()) return nullptr;
  int provided = 0;
  if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) throw std::runtime_error("MPI_Init failed");
  g_started = true;
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  return std::make_unique<MpiComm>();
}

void finish_cluster() {
  if (g_started) MPI_Finalize();
  g_started = false;
}

void abort_cluster(int code) {
  if (g_started) MPI_Abort(MPI_COMM_WORLD, code);
}

}  // namespace mgdl
