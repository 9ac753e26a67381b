// A minimal work-sharing loop: fn(i) for i = 0..n-1 on `threads` threads
// (0: all cores). Indices are handed out in increasing order, so when fn(c)
// starts every index below c has started. The first exception (by index) is
// rethrown after all threads have joined. Results must not depend on which
// thread ran an index: callers store them per index and merge in order. When
// the system refuses a thread (a memory or process limit), the loop runs on
// the threads it got, the calling thread included: same results, less speed.
#pragma once

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <system_error>
#include <thread>
#include <vector>

namespace mgdl {

inline unsigned resolve_threads(unsigned threads) {
  return threads == 0 ? std::max(1u, std::thread::hardware_concurrency()) : threads;
}

template <class Fn>
void parallel_for(std::size_t n, unsigned threads, Fn fn) {
  threads = static_cast<unsigned>(std::min<std::size_t>(resolve_threads(threads), std::max<std::size_t>(n, 1)));
  std::vector<std::exception_ptr> errors(n);
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < n;) {
      try {
        fn(i);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  };
  if (threads <= 1) {
    work();
  } else {
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t) {
      try {
        pool.emplace_back(work);
      } catch (const std::system_error&) {
        break;  // no more threads to be had
      }
    }
    work();
    for (auto& t : pool) t.join();
  }
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

// Hands the heap's free pages back to the system (glibc keeps them
// otherwise, and a long run's peak resident memory then counts every page a
// past working set once used). A no-op elsewhere; it changes no value.
inline void release_free_memory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

}  // namespace mgdl
