# The mutants scripts/mutate makes: one textual change each to the trusted
# kernel (kernel/, numbers/numbers.cpp) or to the checker's decisions
# (verify/checker.cpp), or to the general-network analysis (verify/network.cpp). Kinds: constants, comparison operators, rounding
# directions, off-by-ones, dropped conditions. Each `old` must occur exactly
# once in its file. A mutant that no test kills must carry a reason why it is
# equivalent (`equivalent`), or it is a gap in the tests.
#
# (id, file, old, new, equivalent-or-None)

R = "kernel/rounding.cpp"
G = "kernel/grid.cpp"
N = "kernel/network.cpp"
Z = "kernel/realise.cpp"
E = "kernel/enclose.cpp"
EH = "kernel/enclose.hpp"
S = "kernel/scheme.cpp"
Q = "numbers/numbers.cpp"
C = "verify/checker.cpp"
V = "verify/network.cpp"
X = "targets/expr.cpp"
SD = "kernel/small_dyadic.hpp"

MUTANTS = [
    # Rounding directions.
    ("R01", R, "add_up(const Real& a, const Real& b) { return apply(mpfr_add, a, b, MPFR_RNDU); }",
     "add_up(const Real& a, const Real& b) { return apply(mpfr_add, a, b, MPFR_RNDD); }", None),
    ("R02", R, "add_down(const Real& a, const Real& b) { return apply(mpfr_add, a, b, MPFR_RNDD); }",
     "add_down(const Real& a, const Real& b) { return apply(mpfr_add, a, b, MPFR_RNDU); }", None),
    ("R03", R, "sub_up(const Real& a, const Real& b) { return apply(mpfr_sub, a, b, MPFR_RNDU); }",
     "sub_up(const Real& a, const Real& b) { return apply(mpfr_sub, a, b, MPFR_RNDN); }", None),
    ("R04", R, "sub_down(const Real& a, const Real& b) { return apply(mpfr_sub, a, b, MPFR_RNDD); }",
     "sub_down(const Real& a, const Real& b) { return apply(mpfr_sub, a, b, MPFR_RNDN); }", None),
    ("R05", R, "mul_up(const Real& a, const Real& b) { return apply(mpfr_mul, a, b, MPFR_RNDU); }",
     "mul_up(const Real& a, const Real& b) { return apply(mpfr_mul, a, b, MPFR_RNDZ); }", None),
    ("R06", R, "mul_down(const Real& a, const Real& b) { return apply(mpfr_mul, a, b, MPFR_RNDD); }",
     "mul_down(const Real& a, const Real& b) { return apply(mpfr_mul, a, b, MPFR_RNDN); }", None),
    ("R07", R, "div_up(const Real& a, const Real& b) { return apply(mpfr_div, a, b, MPFR_RNDU); }",
     "div_up(const Real& a, const Real& b) { return apply(mpfr_div, a, b, MPFR_RNDD); }", None),
    ("R08", R, "div_down(const Real& a, const Real& b) { return apply(mpfr_div, a, b, MPFR_RNDD); }",
     "div_down(const Real& a, const Real& b) { return apply(mpfr_div, a, b, MPFR_RNDU); }", None),
    ("R09", R, "sqrt_up(const Real& a) { return root(a, MPFR_RNDU); }", "sqrt_up(const Real& a) { return root(a, MPFR_RNDD); }", None),
    ("R10", R, "sqrt_down(const Real& a) { return root(a, MPFR_RNDD); }", "sqrt_down(const Real& a) { return root(a, MPFR_RNDN); }", None),
    ("R11", R, "Real down(const Rational& q) { return from_q(q, MPFR_RNDD); }", "Real down(const Rational& q) { return from_q(q, MPFR_RNDN); }", None),
    ("R12", R, "Real up(const Rational& q) { return from_q(q, MPFR_RNDU); }", "Real up(const Rational& q) { return from_q(q, MPFR_RNDN); }", None),
    ("R13", R, "  return mpfr_cmp_q(x.backend().data(), q.backend().data());",
     "  return mpfr_cmp(x.backend().data(), up(q).backend().data());", None),
    ("R14", R, "const Real base = down(bmp::abs(a));", "const Real base = up(bmp::abs(a));", None),
    ("R15", R, "const Real e = base >= 1 ? down(p) : up(p);", "const Real e = base >= 1 ? up(p) : down(p);", None),
    ("R16", R, "mpfr_pow_z(r.backend().data(), base.backend().data(), n.backend().data(), MPFR_RNDD);",
     "mpfr_pow_z(r.backend().data(), base.backend().data(), n.backend().data(), MPFR_RNDU);", None),
    ("R17", R, "std::string decimal_down(const Real& x, int digits) { return decimal(x, digits, MPFR_RNDD); }",
     "std::string decimal_down(const Real& x, int digits) { return decimal(x, digits, MPFR_RNDN); }", None),
    ("R18", R, "std::string decimal_up(const Real& x, int digits) { return decimal(x, digits, MPFR_RNDU); }",
     "std::string decimal_up(const Real& x, int digits) { return decimal(x, digits, MPFR_RNDZ); }", None),

    # Grid: ranges, keys, hats, simplices.
    ("G01", G, "return z >= 0 && z <= top; });", "return z >= 0 && z <= top + 1; });", None),
    ("G02", G, "m > max_level_for_dim(d) ||", "m > max_level_for_dim(d) + 1 ||", None),
    ("G03", G, "int max_level_for_dim(int d) { return std::min(40, 62 / d - 1); }",
     "int max_level_for_dim(int d) { return std::min(41, 62 / d); }", None),
    ("G04", G, "key = key * side + static_cast<std::uint64_t>(j);", "key = key * (side - 1) + static_cast<std::uint64_t>(j);", None),
    ("G05", G, "return {std::max<std::int64_t>(0, one - ymax + ymin), sh};", "return {std::max<std::int64_t>(0, one - ymax - ymin), sh};", None),
    ("G06", G, "return {std::max<std::int64_t>(0, one - ymax + ymin), sh};", "return {one - ymax + ymin, sh};", None),
    ("G07", G, "return frac[a] > frac[b]; });", "return frac[a] < frac[b]; });", None),
    ("G08", G, "    if (c[i] == top) {", "    if (c[i] == top + 1) {", None),
    ("G09", G, "neg = std::max(neg, -(ylo + 1));", "neg = std::max(neg, -ylo);", None),
    ("G10", G, "    c.centre[i] = 2 * q[i] + 1;", "    c.centre[i] = 2 * q[i];", None),

    # Network structure.
    ("N01", N, "    if (L.out != width_) {", "    if (L.out > width_) {", None),
    ("N02", N, "    if (L.in != prev_) {", "    if (false) {", None),

    # Realisation: carriers, hat proofs, interval propagation.
    ("Z01", Z, "if (R.b[r] || R.w[r].size() != 1) continue;", "if (R.w[r].size() != 1) continue;", None),
    ("Z02", Z, "if (*v == 1 && col < static_cast<int>(cur.size()))", "if (*v > 0 && col < static_cast<int>(cur.size()))", None),
    ("Z03", Z, "|| in[static_cast<std::size_t>(e.col)] < 0) return false;", "|| in[static_cast<std::size_t>(e.col)] < -1) return false;", None),
    ("Z04", Z, "for (const auto& ci : A.c) (ci > 0 ? mx : mn) += ci;", "for (const auto& ci : A.c) (ci > 0 ? mn : mx) += ci;", None),
    ("Z05", Z, "  if (all_ge) return 1;", "  if (all_ge || all_le) return 1;", None),
    ("Z06", Z, "if ((zi == 0 && k > zero_at) || (zi == top && k < zero_at)) relevant = false;",
     "if ((zi == 0 && k >= zero_at) || (zi == top && k < zero_at)) relevant = false;",
     "k = zero_at is skipped two lines above (sigma[k] = 0 there), so k >= zero_at and k > zero_at agree on every k that reaches the test"),
    ("Z07", Z, "    if (lambda_n <= 0) {", "    if (lambda_n < 0) {",
     "lambda = 0 with every slope equal to -0 * gauge = 0 makes the kinked neuron identically 0 on the cone, so the grade is 0 = 0 * phi there: the proof stays true"),
    ("Z08", Z, "if (slope(*A, xrays[k]) != -(lambda_n * gauge(rays[k]))) {", "if (slope(*A, xrays[k]) != lambda_n * gauge(rays[k])) {", None),
    ("Z09", Z, "    if (have_a && a != out.a) {", "    if (false) {",
     "every cone has the node z as apex, where phi = 1, and the grade is one continuous function: a cone proved to carry a * phi has g(z) = a, so two proved cones cannot carry different amplitudes"),
    ("Z10", Z, "bool zero = value_at(lin, std::span<const Rational>(zq)) == 0;", "bool zero = true;", None),
    ("Z11", Z, "if (e.v > 0) t.lo += e.v * s.lo, t.hi += e.v * s.hi;", "if (e.v > 0) t.lo += e.v * s.hi, t.hi += e.v * s.lo;", None),
    ("Z12", Z, "  if (v.hi < 0) v.hi = 0;", "", None),
    # prove_hat's small exact dyadics (fast path): every inexact step must throw.
    ("Z13", Z, "    if (g.readout.c0 != 0 || !affine_part.empty()) {", "    if (!affine_part.empty()) {", None),
    ("Z14", SD, "    if (m >= lim || m <= -lim) throw Inexact{};", "", None),
    ("Z15", SD, "    if (__builtin_mul_overflow(a.m, b.m, &r) || r >= (static_cast<__int128>(1) << 125)",
     "    if (r = a.m * b.m; r >= (static_cast<__int128>(1) << 125)", None),
    ("Z16", Z, "if (den <= 0 || (den & (den - 1)) != 0 || msb(den) > 61", "if (den <= 0 || msb(den) > 61", None),
    ("Z17", SD, "    m >>= tz;  // exact: the low tz bits are zero", "", None),
    ("Z18", Z, "  if (!valid_node(m, node, d)) return prove_hat_rational(g, in, d, m, node);", "", None),

    # Enclosure lemmas.
    ("E01", E, "    if (compare(v, mn) < 0) mn = v;", "    if (compare(v, mn) > 0) mn = v;", None),
    ("E02", E, "make_interval(lo(mn.times_pow2(L).to_interval()), hi(mx.times_pow2(L).to_interval()));",
     "make_interval(lo(mn.times_pow2(L - 1).to_interval()), hi(mx.times_pow2(L - 1).to_interval()));", None),
    ("E03", E, "const Interval half = dyadic_interval(-1, 1, L + 1);", "const Interval half = dyadic_interval(-1, 1, L + 2);", None),
    ("E04", E, "-2 * m - 3, MPFR_RNDU);", "-2 * m - 7, MPFR_RNDU);", None),
    ("E05", E, "-2 * m - 3, MPFR_RNDU);", "-2 * m - 4, MPFR_RNDU);", None),
    ("E06", E, "Real up = add_up(hi(H[i * n + i]), off),", "Real up = hi(H[i * n + i]),", None),
    ("E07", E, "dn = add_up(Real(-lo(H[i * n + i])), off);", "dn = add_up(Real(-hi(H[i * n + i])), off);", None),
    ("E08", E, "return make_interval(sub_down(l, below), add_up(h, above));", "return make_interval(add_down(l, below), add_up(h, above));", None),
    ("E09", E, "return make_interval(sub_down(l, below), add_up(h, above));", "return make_interval(sub_down(l, below), h);", None),
    ("E10", E, "mpfr_nan_p(l.backend().data()) || mpfr_nan_p(h.backend().data()) || l > h)", "l > h)", None),
    ("E11", E, "  Real l = lo(a) > lo(b) ? lo(a) : lo(b);", "  Real l = lo(a) < lo(b) ? lo(a) : lo(b);", None),
    ("E12", E, "  if (l > h) throw InternalError(\"self-check failed: two enclosures of one quantity are disjoint\");", "", None),
    ("E13", E, "  if (is_finite(v)) return;", "  return;", None),
    ("E14", E, "Interval r = t.box - g - corner_hull(corners);  // Fact N", "Interval r = t.box + g - corner_hull(corners);  // Fact N", None),
    ("E15", E, "e[k] = t.corner[k] - corners[k].to_interval();", "e[k] = t.corner[k] + corners[k].to_interval();", None),
    ("E16", E, "centred_enclosure(t.centre - centre.to_interval(),", "centred_enclosure(t.centre + centre.to_interval(),", None),
    ("E17", E, "return AbsBound{l > 0 ? l : (h < 0 ? Real(-h) : Real(0)), h > -l ? h : Real(-l)};",
     "return AbsBound{l > 0 ? l : (h < 0 ? Real(-h) : Real(0)), h};", None),
    ("E18", E, "return AbsBound{l > 0 ? l : (h < 0 ? Real(-h) : Real(0)), h > -l ? h : Real(-l)};",
     "return AbsBound{l > 0 ? l : Real(-h), h > -l ? h : Real(-l)};", None),
    ("E19", E, "  for (int i = 1; i <= d; ++i) r /= (p + i);", "  for (int i = 1; i < d; ++i) r /= (p + i);", None),
    ("E20", E, "  for (int i = 1; i <= d; ++i) r /= (p + i);", "  for (int i = 1; i <= d; ++i) r /= (p + i + 1);", None),
    ("E21", E, "    for (int i = 2; i <= k; ++i) term *= i;", "    for (int i = 2; i < k; ++i) term *= i;", None),
    ("E22", EH, "    s.s1_hi = add_up(s.s1_hi, mul_up(b.hi, vol));", "    s.s1_hi = add_up(s.s1_hi, mul_down(b.hi, vol));",
     "vol is a power of two, so b.hi * vol is exact (MPFR's exponent range is nowhere near underflow here) and mul_down equals mul_up"),
    ("E25", EH, "    s.s1_hi = add_up(s.s1_hi, mul_up(b.hi, vol));", "    s.s1_hi = add_down(s.s1_hi, mul_up(b.hi, vol));", None),
    ("E23", EH, "  return NormBounds{s.s1_lo, s.s1_hi, sqrt_down(s.s2_lo), sqrt_up(s.s2_hi)};", "  return NormBounds{s.s1_lo, s.s1_hi, sqrt_up(s.s2_lo), sqrt_up(s.s2_hi)};", None),
    ("E24", EH, "    s.s2_lo = add_down(s.s2_lo, mul_down(mul_down(b.lo, b.lo), vol));", "    s.s2_lo = add_down(s.s2_lo, mul_down(mul_down(b.hi, b.lo), vol));", None),
    ("E26", E, "        t.corner.push_back(corner_value(corner, L));", "        t.corner.push_back(corner_value(corner, L + 1));", None),

    # Numbers the kernel rests on.
    ("Q01", Q, "  if (rest != 1) throw InputError(\"not a dyadic rational: \" + to_string(q));", "", None),
    ("Q02", Q, "mpfi_mul_2si(r.backend().data(), r.backend().data(), exp_);", "mpfi_mul_2si(r.backend().data(), r.backend().data(), exp_ + 1);", None),
    ("Q03", Q, "  mpfi_set_si(ib.backend().data(), b);", "  mpfi_set_si(ib.backend().data(), a);", None),
    # Messages between ranks: varints and zigzag integers.
    ("Q04", Q, "    if (shift == 63 && b > 1) throw std::runtime_error(\"a malformed message between ranks\");", "", None),
    ("Q05", Q, "  return static_cast<std::int64_t>((u >> 1) ^ (~(u & 1) + 1));", "  return static_cast<std::int64_t>((u >> 1) ^ (u & 1));", None),

    # The scheme reader.
    ("S01", S, "declared.get<std::uint64_t>() != grades.size())", "declared.get<std::uint64_t>() < grades.size())", None),
    ("S02", S, "  if (json_depth(text) > limits.max_depth)", "  if (json_depth(text) > limits.max_depth + 1)", None),

    # The checker's decisions.
    ("C01", E, "if (hi(point) < lo(cell) || hi(cell) < lo(point))", "if (false)", None),
    ("C02", C, "    if (out.cells >= budget) {", "    if (out.cells > budget) {", None),
    ("C03", C, "    if (c.L + 1 > opt.max_level) {", "    if (c.L > opt.max_level) {", None),
    ("C04", C, "  if (out.open_cells) out.nonzero = true;", "", None),
    ("C05", C, "  if (out.weak_w && !out.sign_w) out.sign = Verdict::Refuted, out.sign_w = out.weak_w;", "",
     "for g > 0 a certain C2 failure at the point, hi(2 r_{k-1} - g) < 0, gives hi(r_{k-1} - g) < -g/2 < 0, a certain failure of the sign form at the same point (symmetric for g < 0): the point tests set sign_w whenever they set weak_w"),
    ("C06", C, "    lo[i] = std::max<std::int64_t>(0, z[i] - 1);", "    lo[i] = std::max<std::int64_t>(0, z[i]);", None),
    ("C07", C, "  const Dyadic half_a = a.times_pow2(-1);", "  const Dyadic half_a = a;", None),
    ("C08", C, "bool sign_ok = sg > 0 ? lo(rk) >= 0 : hi(rk) <= 0;", "bool sign_ok = sg > 0 ? lo(rk) >= 0 : lo(rk) >= 0;", None),
    ("C09", C, "    t.weak_fail = sg > 0 ? hi(twice) < 0 : lo(twice) > 0;", "    t.weak_fail = sg > 0 ? lo(twice) < 0 : lo(twice) > 0;", None),
    ("C10", C, "return patch_gauge_lower(m, z, c.q, c.L - m) < (std::int64_t{1} << (c.L - m)); };",
     "return patch_gauge_lower(m, z, c.q, c.L - m) < (std::int64_t{1} << (c.L - m)) / 2; };", None),
    ("C11", C, "    if (gq.lo == 0 && gq.hi == 0) return CellTest{true, true, true, unknown()};",
     "    if (gq.lo == 0) return CellTest{true, true, true, unknown()};", None),
    ("C12", C, "      t.weak_ok = lo(prev) * 2 >= ghi;", "      t.weak_ok = lo(prev) * 2 >= glo;", None),
    ("C13", C, "    t.sign_fail = g > 0 ? hi(cur) < 0 : lo(cur) > 0;", "    t.sign_fail = g > 0 ? lo(cur) < 0 : lo(cur) > 0;", None),
    ("C14", E, "l1_lo > l2_hi || l2_lo > inf_hi ||", "l2_lo > inf_hi ||", None),
    ("C28", E, "  if (sum > room)", "  if (sum > room + 1)", None),
    ("C29", E, "sub_up(mul_up(before_hi, before_hi), mul_down(after_lo, after_lo))", "sub_up(mul_up(before_hi, before_hi), after_lo)", None),
    ("C15", C, "    if (c.a.hi > top) top = c.a.hi;", "    if (c.a.lo > top) top = c.a.lo;", None),
    ("C16", C, "  out.inf_lo = best;", "  out.inf_lo = best * 2;", None),
    ("C17", C, "if (!valid_node(G.hint.m, G.hint.node, dim) || G.hint.m >= opt.max_level) return;",
     "if (G.hint.m >= opt.max_level) return;",
     "prove_hat checks valid_node itself (kernel/realise.cpp) and fails on a node off the grid, so the grade stays general either way"),
    ("C18", C, "  if (v == Verdict::Undecided) ++c.open;", "", None),
    ("C19", C, "  if (norms.empty() || M.unsupported_from) {", "  if (norms.empty()) {",
     "the fast path returns before judging when a grade reads earlier grades' features (judge_network runs instead), so judge_c3 never sees unsupported_from != 0; kept as a guard"),
    ("C20", C, "  if (!opt.eps) return c;\n  if (le(c.upper, *opt.eps)) {", "  if (!opt.eps) return c;\n  if (c.upper <= nearest(*opt.eps)) {", None),
    ("C21", C, "    c.verdict = Verdict::Proved;\n  } else if (gt(c.lower, *opt.eps)) {", "    c.verdict = Verdict::Proved;\n  } else if (cmp(c.lower, *opt.eps) >= 0) {", None),
    ("C22", C, "        if (gc.nonzero) ++c.open;  // not certified (only the sign form of a proved hat certifies it)", "", None),
    ("C23", C, "    if (!(b > 0)) {  // |a|^p underflowed: no positive bound", "    if (b < 0) {", None),
    ("C24", C, "    const bool certified = G.hat && gc.sign == Verdict::Proved;", "    const bool certified = G.hat;", None),
    # The partition carried from norm grade to norm grade (docs/theory.md 7, C3).
    ("C30", C, "    if (coarse_.count(coarse_key(q, L))) return true;", "", None),
    ("C31", C, "        if (inside && set.count(node_key(m, z))) return true;", "", None),
    ("C32", C, "if (changed->dirty(cells_[i].q, cells_[i].L) && !resolve(cells_[i].q, cells_[i].L, leaves, start)) ok = false;",
     "if (changed->dirty(cells_[i].q, cells_[i].L)) leaves.emplace_back(cells_[i].q, cells_[i].L);", None),
    ("C33", C, "        if (general_at[j] != SIZE_MAX) changed.reset();  // a general grade in between",
     "        if (false) changed.reset();", None),
    # Norm enclosures: C3 is decided before any tightening, with the whole budget.
    ("C35", C, "  while (tol && best <= *tol)\n", "  while (false && tol && best <= *tol)\n", None),
    ("C36", C, "    if (!refine([&](const NC& c) { return c.a.hi > *tol; }, base + opt.budget, true)) break;",
     "    if (!refine([&](const NC& c) { return c.a.hi > *tol; }, base + 1, true)) break;", None),
    ("C37", C, "    bool weak_ok = sign_ok;\n", "    bool weak_ok = true;\n", None),
    ("C38", C, "    for (std::size_t i = 0; i < q.size(); ++i) corner[i] = q[i] + static_cast<std::int64_t>((mask >> i) & 1);",
     "    for (std::size_t i = 0; i < q.size(); ++i) corner[i] = q[i] + static_cast<std::int64_t>((mask >> i) & 1) * (i == 0 ? 2 : 1);", None),
    ("C39", C, "    if (!box_F[idx]) box_F[idx] = R.hat_part(p, L);", "    if (!box_F[idx]) box_F[idx] = R.hat_part(p, L + 1);", None),
    ("C40", C, "        if (cells_[i].a.hi < fresh[j].a.hi) fresh[j].a.hi = cells_[i].a.hi;", "",
     "width only, not soundness: without the parent's upper bound a child keeps its own, which is still a valid bound of |r| on it; "
     "it can only make an enclosure wider (and a C3 verdict UNDECIDED, never wrong). No test found a scheme where the child's own "
     "bound is the larger one under the current splitting order (sinsin 1e-3 was one under the previous order): a gap in width tests"),
    ("C41", C, "        if (cells_[i].a.hi < fresh[j].a.hi) fresh[j].a.hi = cells_[i].a.hi;", "        fresh[j].a.hi = cells_[i].a.hi / 2;", None),
    ("C42", C, "    return values_[static_cast<std::size_t>(it - keys_.begin())];", "    return values_[static_cast<std::size_t>(it - keys_.begin()) / 2 * 2];", None),
    ("C34", C, "        hi[i] = std::min<std::int64_t>(top, ceil_div(z[i] + 1, s) - 1);", "        hi[i] = std::min<std::int64_t>(top, ceil_div(z[i], s) - 1);", None),
    # Slabs (docs/theory.md 7.2): which cells a part covers, which hats a
    # rank keeps, how parts merge, and the slab-ordered sums.
    ("L01", C, "    return (q[0] << (B - L)) <= s && s < ((q[0] + 1) << (B - L));", "    return (q[0] << (B - L)) == s;", None),
    ("L03", C, "    if (m < B) return true;  // coarse hats are kept by every rank", "    if (m < B) return false;", None),
    ("L04", C, "    return a < last && b > first;", "    return a < last && b > first + 1;", None),
    ("L05", C, "    return budget / N + (I < budget % N ? 1 : 0);", "    return budget;", None),
    ("L06", C, "    open_w = open_w || c.weak == Verdict::Undecided;", "", None),
    ("L09", C, "        s1l = add_down(s1l, rd.real());", "        s1l = add_up(s1l, rd.real());", None),
    ("L11", C, "        else if (M.rec[j].a && !M.rec[j].zero) changed->add(M.rec[j].m, M.rec[j].node);",
     "        else if (M.rec[j].a && M.rec[j].zero) changed->add(M.rec[j].m, M.rec[j].node);", None),
    ("L12", C, "          if (p.slab == sl.of_point(G.node[0], G.m))", "          if (p.slab == sl.of_point(G.node[0], G.m) + 1)", None),
    # Ranks: shared hat proofs, exchange windows, the merge of the ranks' parts.
    ("L13", C, "          if (in.u64() != 0) batch[i].a = in.dyadic();", "          if (in.u64() != 0) in.dyadic();", None),
    ("L14", C, "        if (!group.empty() && group.front().k != p->k) fold();", "        if (!group.empty()) fold();", None),
    ("L15", C, "if (cur_[i] && (best == in_.size() || std::pair(cur_[i]->k, cur_[i]->slab) < std::pair(cur_[best]->k, cur_[best]->slab))) best = i;",
     "if (cur_[i] && (best == in_.size() || std::pair(cur_[i]->k, cur_[i]->slab) > std::pair(cur_[best]->k, cur_[best]->slab))) best = i;", None),
    # The norm partition: the integrals' splits undone, cells evaluated in chunks.
    ("L17", C, "      back.push_back(std::move(saved[r++].second));", "      ++r;", None),
    ("L18", C, "        if (!origin.empty()) next_origin.push_back(origin[i] & ~std::uint64_t{1});",
     "        if (!origin.empty()) next_origin.push_back(origin[i]);", None),
    ("L19", C, "      parallel_for(b - a, opt.threads, [&](std::size_t i) { res[a + i] = eval(todo[a + i].first, todo[a + i].second, points); });",
     "      parallel_for(b - a, opt.threads, [&](std::size_t i) { res[i] = eval(todo[a + i].first, todo[a + i].second, points); });", None),
    ("L16", C, "      if (last < to && (last - from + 1) % window != 0) continue;", "      if (last < to) continue;",
     "equivalent: when the window is exchanged only changes how many grades wait in one all-gather; every window is merged in (grade, "
     "slab) order and folded grade by grade, so the report is the same for any window (the in-process [ranks] tests compare every field)"),
    # The exchange rounds of a window (issue 17): a round missed, or a round
    # sending the bytes of earlier rounds again.
    ("L20", C, "      for (std::size_t b = 0, at = 0; b < ends.size(); b += per_round) {",
     "      for (std::size_t b = 0, at = 0; b + per_round < ends.size(); b += per_round) {", None),
    ("L21", C, "        at = end;", "        (void)at;", None),
    # A nonzero grade checked on no slab (the last of each batch): the judges'
    # self-check (passed_over) must stop it, whatever the grade's verdict.
    ("L22", C, "        if (G.hat && (G.zero || !h)) continue;  // g = 0, or a hat whose support misses this rank's slabs",
     "        if (G.hat && (G.zero || !h || k == last)) continue;  // g = 0, or a hat whose support misses this rank's slabs", None),
    # A grade checked on one slab fewer than its support meets: the judges'
    # coverage check (one part per slab of the search) must stop it.
    ("L23", C, "        for (std::int64_t s = std::max(a, sl.first); s < std::min(b, sl.last); ++s)",
     "        for (std::int64_t s = std::max(a, sl.first); s + 1 < std::min(b, sl.last); ++s)", None),
    # Fact Z: zero faces and the anchored form (kernel/enclose.cpp), and the
    # exact zeros of sin(pi u) it rests on (targets/expr.cpp).
    ("F01", E, "      if (lo(v) == 0 && hi(v) == 0) out |= 1u", "      if (lo(v) >= -1e-3 && hi(v) <= 1e-3) out |= 1u", None),
    ("F02", E, "    if (corners[k].is_zero()) continue;", "    continue;", None),
    ("F03", E, "face % 2 == 0 ? dyadic_interval(0, 1, L) : dyadic_interval(-1, 0, L)",
     "face % 2 == 1 ? dyadic_interval(0, 1, L) : dyadic_interval(-1, 0, L)", None),
    ("F04", E, "out &= ~(1u << (2 * i + static_cast<int>((k >> i) & 1)));", "out &= ~(1u << (2 * i + 1 - static_cast<int>((k >> i) & 1)));", None),
    ("F05", E, "      const std::int64_t c = q[i] + side;", "      const std::int64_t c = q[i] + 1 - side;", None),
    ("F06", E, "anchored_enclosure(grad_f[static_cast<std::size_t>(j / 2)], grad_H[static_cast<std::size_t>(j / 2)], L, j)",
     "anchored_enclosure(grad_f[static_cast<std::size_t>(j / 2)], Interval(0), L, j)", None),
    ("F07", E, "  for (int j = 0; j < 32 && (faces >> j); ++j)", "  for (int j = 1; j < 32 && (faces >> j); ++j)", None),
    ("X01", X, "if (op == Expr::Op::SinPi) mpfr_sinpi(l, &d->left, MPFR_RNDD), mpfr_sinpi(h, &d->left, MPFR_RNDU);",
     "if (op == Expr::Op::SinPi) mpfr_sinpi(l, &d->left, MPFR_RNDN), mpfr_sinpi(h, &d->left, MPFR_RNDN);", None),
    ("X02", X, "    if (op == Expr::Op::ScalePi) return scale_pi(d);", "    if (op == Expr::Op::ScalePi) return;", None),
    ("X03", X, "    const bool strip_r = rs && (op == Expr::Op::Mul || ls);", "    const bool strip_r = rs && (op != Expr::Op::Sub || ls);", None),
    ("C25", C, "    require_point_in_cell(rp, r, \"the residual\");", "", None),
    ("C26", C, "        if (G.hat && (G.zero || !G.a)) continue;  // g = 0, or a hat whose support misses this rank's slabs",
     "        if (G.hat && (G.zero || !G.a)) break;  // g = 0, or a hat whose support misses this rank's slabs", None),
    ("C27", C, "    t.weak_fail = g > 0 ? hi(twice) < 0 : lo(twice) > 0;", "    t.weak_fail = g > 0 ? hi(twice) < 0 : hi(twice) > 0;", None),
    # The general-network analysis (verify/network.cpp).
    ("V01", V, "  if (l.sign() >= 0) return;", "  if (u.sign() >= 0) return;", None),
    ("V02", V, "  const Rational mu = up1 > up2 ? up1 : up2;", "  const Rational mu = up1 < up2 ? up1 : up2;", None),
    ("V03", V, "  else addmul(acc.elo, w, f.ehi, tmp), addmul(acc.ehi, w, f.elo, tmp);",
     "  else addmul(acc.elo, w, f.elo, tmp), addmul(acc.ehi, w, f.ehi, tmp);", None),
    ("V04", V, "    if (s > 0) addmul(lo, f.a[i], b.lo[i], tmp), addmul(hi, f.a[i], b.hi[i], tmp);",
     "    if (s > 0) addmul(lo, f.a[i], b.hi[i], tmp), addmul(hi, f.a[i], b.lo[i], tmp);", None),
    ("V05", V, "        const bool weak_ok = pos ? lo(rw) >= 0 : hi(rw) <= 0;", "        const bool weak_ok = pos ? hi(rw) >= 0 : hi(rw) <= 0;", None),
    ("V06", V, "        const bool sign_ok = pos ? lo(rk) >= 0 : hi(rk) <= 0;", "        const bool sign_ok = pos ? lo(rk) >= 0 : lo(rk) <= 0;", None),
    ("V07", V, "    const bool clamp = rows[j].c2 == Verdict::Proved;", "    const bool clamp = true;", None),
    ("V08", V, "      dcr.verdict = s.trivial || dcr.lo > 0 ?", "      dcr.verdict = s.trivial || dcr.hi > 0 ?", None),
    ("V09", V, "  T.rho = mul_up(rho, q4) / 2;", "  T.rho = Real(0);", None),
    ("V10", V, "  I1 = alpha + SM * T.h2_24 + rho;", "  I1 = alpha + rho;", None),
    ("V11", V, "  for (std::size_t k = 0; k < upto; ++k) pw[k] = all[k] && !fw.stable[k];",
     "  for (std::size_t k = 0; k < upto; ++k) pw[k] = !fw.stable[k];", None),
    ("V12", V, "    if (glo == 0 && ghi == 0) {\n      o.g_zero_cell[k] = 1;", "    if (glo == 0 || ghi == 0) {\n      o.g_zero_cell[k] = 1;", None),
    ("V13", V, "          o.sign_fail[k] = gv > 0 ? hi(cur) < 0 : lo(cur) > 0;", "          o.sign_fail[k] = gv > 0 ? lo(cur) < 0 : lo(cur) > 0;", None),
    ("V14", V, "          if (left[k]) ++st.open[k];", "          ;", None),
    ("V15", V, "  if (lo(A) >= 0 && lo(B) >= 0 && lo(G) >= 0) have = true, extra_lo = lo(G);",
     "  if (lo(A) >= 0 && lo(B) >= 0) have = true, extra_lo = lo(G);", None),
    # The Kuhn hint judged on relaxed forms: hats side by side in 2-D stay UNDECIDED at their support vertices.
    ("V16", V, "  if (kuhn && f.elo == 0 && f.ehi == 0) {", "  if (kuhn) {", None),
]
