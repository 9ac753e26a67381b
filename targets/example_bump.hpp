// The worked example of README "Add a target": a target written as one
// functor, templated on the scalar so the same code runs for points (Real)
// and boxes (Interval, a sound enclosure by interval arithmetic). Register it
// with one line in targets/catalogue.cpp:
//   v.push_back(functor("bump", "smooth bump", "exp(-50*(x-1/2)^2)", 1, ExampleBump{}));
#pragma once

#include "numbers/numbers.hpp"

#include <span>

namespace mgdl {

struct ExampleBump {
  template <class S>
  S operator()(std::span<const S> x) const {
    S t = abs(x[0] - S(1) / 2);  // |t| * |t|: for a box straddling 1/2 this keeps t^2 >= 0
    return exp(S(-50) * t * t);
  }
};

}  // namespace mgdl
