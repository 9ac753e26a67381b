// MPI for the mgdl binary: detected at start, never required. A process that
// mpirun (OpenMPI, or any launcher setting PMI/PMIx variables) did not start
// never calls MPI_Init and runs as one rank.
#pragma once

#include "numbers/comm.hpp"

#include <memory>

namespace mgdl {

// Initialises MPI when this process was started by a launcher; returns the
// world communicator then, and null otherwise.
std::unique_ptr<Comm> start_cluster(int* argc, char*** argv);
// MPI_Finalize, when start_cluster initialised MPI.
void finish_cluster();
// Ends every rank of the run with this exit code (MPI_Abort), when MPI is up;
// returns otherwise.
void abort_cluster(int code);

}  // namespace mgdl
