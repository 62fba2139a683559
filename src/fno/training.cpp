// SPDX-License-Identifier: BSD-3-Clause
// Data-parallel operator training: batches, the loss and its gradient, Adam, the NaN guard, progress.
#include "npde/fno/training.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include <fftw3.h>

#include <array>
#include <map>

#include "npde/core/error.hpp"
#include "npde/core/log.hpp"
#include "npde/core/rng.hpp"
#include "npde/fno/losses.hpp"
#include "npde/optim/adam.hpp"

namespace npde::fno {

namespace {

constexpr std::uint64_t kStreamShuffle = 0xF0D0;
constexpr int kMaxNanRecoveries = 8;

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

/// The order of epoch e: a Fisher-Yates shuffle driven by the counter-based generator (seed, e).
std::vector<int> epoch_order(int n, std::uint64_t seed, long epoch) {
  std::vector<int> order(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) order[std::size_t(i)] = i;
  const std::uint64_t s = seed ^ (0x9E3779B97F4A7C15ULL * std::uint64_t(epoch + 1));
  for (int i = n - 1; i > 0; --i) {
    const int j = std::min(i, int(rng::uniform(s, kStreamShuffle, std::uint64_t(i)) * (i + 1)));
    std::swap(order[std::size_t(i)], order[std::size_t(j)]);
  }
  return order;
}

std::string duration_string(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  if (s < 90) return log::format(long(std::lround(s)), "s");
  if (s < 5400) return log::format(long(std::lround(s / 60)), "m");
  return log::format(long(s / 3600), "h", long(std::lround(std::fmod(s, 3600) / 60)), "m");
}

/// Copies samples `ids` of `src` (values per sample `stride`) into dst, the rest of dst's `capacity`
/// samples zeroed.
template <class T>
void gather(const View1<T>& src, long stride, const std::vector<int>& ids, const View1<T>& dst, int capacity) {
  for (std::size_t k = 0; k < ids.size(); ++k)
    Kokkos::deep_copy(Kokkos::subview(dst, std::make_pair(long(k) * stride, long(k + 1) * stride)),
                      Kokkos::subview(src, std::make_pair(long(ids[k]) * stride, long(ids[k] + 1) * stride)));
  if (int(ids.size()) < capacity)
    Kokkos::deep_copy(Kokkos::subview(dst, std::make_pair(long(ids.size()) * stride, long(capacity) * stride)), T(0));
}

/// Decodes the model's outputs in place: v = (z std_c + mean_c) m_p, per channel, m the mollifier
/// (when not null).
template <class T>
void decode(T* v, int batch, int channels, long P, const View1<double>& mean, const View1<double>& stddev,
            const T* mollifier) {
  const double *m = mean.data(), *s = stddev.data();
  Kokkos::parallel_for("npde::fno::decode", Kokkos::RangePolicy<ExecSpace>(0, long(batch) * channels),
                       KOKKOS_LAMBDA(const long row) {  // one channel of one sample
                         const int c = int(row % channels);
                         T* vr = v + row * P;
                         for (long p = 0; p < P; ++p)
                           vr[p] = T((double(vr[p]) * s[c] + m[c]) * (mollifier ? double(mollifier[p]) : 1.0));
                       });
}

/// The loss's gradient with respect to the model's (normalised) outputs: ybar m_p std_c.
template <class T>
void encode_adjoint(T* ybar, int batch, int channels, long P, const View1<double>& stddev, const T* mollifier) {
  const double* s = stddev.data();
  Kokkos::parallel_for("npde::fno::decode_adjoint", Kokkos::RangePolicy<ExecSpace>(0, long(batch) * channels),
                       KOKKOS_LAMBDA(const long row) {  // one channel of one sample
                         const double sc = s[row % channels];
                         T* yr = ybar + row * P;
                         for (long p = 0; p < P; ++p) yr[p] = T(double(yr[p]) * sc * (mollifier ? double(mollifier[p]) : 1.0));
                       });
}

template <class T>
const T* data_or_null(const View1<T>& v) {
  return v.extent(0) > 0 ? v.data() : nullptr;
}

View1<double> device_copy(const std::vector<double>& v, const char* label) {
  View1<double> d(std::string(label), v.size());
  auto h = Kokkos::create_mirror_view(d);
  for (std::size_t i = 0; i < v.size(); ++i) h(i) = v[i];
  Kokkos::deep_copy(d, h);
  return d;
}

template <class T>
std::vector<double> to_host(const View1<T>& v) {
  const auto h = Kokkos::create_mirror_view_and_copy(HostSpace(), v);
  return std::vector<double>(h.data(), h.data() + h.extent(0));
}

template <class T>
void from_host(const std::vector<double>& src, const View1<T>& v) {
  auto h = Kokkos::create_mirror_view(v);
  for (std::size_t i = 0; i < src.size(); ++i) h(i) = T(src[i]);
  Kokkos::deep_copy(v, h);
}

}  // namespace

ChannelNormalizer ChannelNormalizer::fit(const std::vector<double>& v, int n, int channels, long points) {
  NPDE_REQUIRE(n >= 1 && v.size() == std::size_t(n) * channels * points, "normaliser of " << v.size() << " values");
  ChannelNormalizer z;
  for (int c = 0; c < channels; ++c) {
    double s = 0, s2 = 0;
    for (int b = 0; b < n; ++b) {
      const double* p = v.data() + (std::size_t(b) * channels + c) * points;
      for (long i = 0; i < points; ++i) s += p[i];
    }
    const double count = double(n) * points, mean = s / count;
    for (int b = 0; b < n; ++b) {
      const double* p = v.data() + (std::size_t(b) * channels + c) * points;
      for (long i = 0; i < points; ++i) s2 += (p[i] - mean) * (p[i] - mean);
    }
    const double sd = std::sqrt(s2 / count);
    z.mean.push_back(mean);
    z.stddev.push_back(sd > 1e-12 * std::max(1.0, std::abs(mean)) ? sd : 1.0);
  }
  return z;
}

ChannelNormalizer ChannelNormalizer::identity(int channels) {
  ChannelNormalizer z;
  z.mean.assign(std::size_t(channels), 0.0);
  z.stddev.assign(std::size_t(channels), 1.0);
  return z;
}

void ChannelNormalizer::encode(std::vector<double>& v, long points) const {
  const std::size_t channels = mean.size(), row = channels * std::size_t(points);
  NPDE_REQUIRE(channels > 0 && v.size() % row == 0, "normalising " << v.size() << " values of " << channels << " channels");
  for (std::size_t k = 0; k < v.size(); ++k) {
    const std::size_t c = (k / std::size_t(points)) % channels;
    v[k] = (v[k] - mean[c]) / stddev[c];
  }
}

namespace {

/// z = L^-1 r for `count` fields on the interior of an n1 x n2 grid (r and z hold whole grids, zero
/// on the boundary), L the 5-point -Laplacian with zero Dirichlet values: a sine transform (FFTW's
/// RODFT00) along both axes, a division by L's eigenvalues, the transform back. Plans per shape, kept.
void inverse_laplacian(const double* r, double* z, int count, int n1, int n2, double h1, double h2) {
  const int m1 = n1 - 2, m2 = n2 - 2;
  static std::vector<double> buf;
  static std::map<std::array<int, 3>, fftw_plan> plans;
  buf.resize(std::size_t(count) * m1 * m2);
  const std::array<int, 3> key{count, m1, m2};
  auto it = plans.find(key);
  if (it == plans.end()) {
    const int n[2] = {m1, m2};
    const fftw_r2r_kind kinds[2] = {FFTW_RODFT00, FFTW_RODFT00};
    fftw_plan p = fftw_plan_many_r2r(2, n, count, buf.data(), nullptr, 1, m1 * m2, buf.data(), nullptr, 1, m1 * m2, kinds,
                                     FFTW_ESTIMATE | FFTW_UNALIGNED);
    NPDE_REQUIRE(p, "FFTW could not plan sine transforms of " << m1 << " x " << m2);
    it = plans.emplace(key, p).first;
  }
  const long P = long(n1) * n2, M = long(m1) * m2;
  for (int b = 0; b < count; ++b)
    for (int i = 0; i < m1; ++i)
      for (int j = 0; j < m2; ++j) buf[std::size_t(b * M + long(i) * m2 + j)] = r[b * P + long(i + 1) * n2 + j + 1];
  fftw_execute_r2r(it->second, buf.data(), buf.data());
  // eigenvalues of L, and RODFT00's normalisation 2 (m + 1) per axis of the round trip
  const double norm = 4.0 * (m1 + 1) * (m2 + 1);
  for (int b = 0; b < count; ++b)
    for (int k = 0; k < m1; ++k) {
      const double l1 = (2 - 2 * std::cos(M_PI * (k + 1) / (m1 + 1))) / (h1 * h1);
      for (int l = 0; l < m2; ++l) {
        const double l2 = (2 - 2 * std::cos(M_PI * (l + 1) / (m2 + 1))) / (h2 * h2);
        buf[std::size_t(b * M + long(k) * m2 + l)] /= (l1 + l2) * norm;
      }
    }
  fftw_execute_r2r(it->second, buf.data(), buf.data());
  for (int b = 0; b < count; ++b)
    for (int i = 0; i < n1; ++i)
      for (int j = 0; j < n2; ++j) {
        const bool inside = i > 0 && j > 0 && i + 1 < n1 && j + 1 < n2;
        z[b * P + long(i) * n2 + j] = inside ? buf[std::size_t(b * M + long(i - 1) * m2 + j - 1)] : 0.0;
      }
}

}  // namespace

template <class T>
double darcy_residual_sum(const T* u, const T* a, const T* f, int batch, int n1, int n2, double h1, double h2,
                          double scale, T* ubar, double* per_sample, bool preconditioned) {
  NPDE_REQUIRE(n1 >= 3 && n2 >= 3, "Darcy residual on a " << n1 << " x " << n2 << " grid");
  const long P = long(n1) * n2;
  const double w1 = 1.0 / (h1 * h1), w2 = 1.0 / (h2 * h2);
  // face coefficient between two nodes: the harmonic mean, as the reference solver assembles it
  auto face = [](double x, double y) { return 2 * x * y / (x + y); };
  const auto r = loss_workspace(2, std::size_t(batch) * P);
  const auto sums = loss_workspace(3, 2 * std::size_t(batch));
  double* rr = r.data();
  double* s = sums.data();
  Kokkos::parallel_for("npde::fno::darcy_residual", Kokkos::RangePolicy<ExecSpace>(0, batch), KOKKOS_LAMBDA(const int b) {
    const T *ub = u + b * P, *ab = a + b * P;
    double r2 = 0, f2 = 0;
    for (int i = 0; i < n1; ++i)
      for (int j = 0; j < n2; ++j) {
        const long c = long(i) * n2 + j;
        double res = 0;
        if (i > 0 && j > 0 && i + 1 < n1 && j + 1 < n2) {
          const double ac = ab[c], uc = ub[c];
          res = w1 * (face(ac, ab[c - n2]) * (uc - ub[c - n2]) + face(ac, ab[c + n2]) * (uc - ub[c + n2])) +
                w2 * (face(ac, ab[c - 1]) * (uc - ub[c - 1]) + face(ac, ab[c + 1]) * (uc - ub[c + 1])) - double(f[c]);
          r2 += res * res, f2 += double(f[c]) * double(f[c]);
        }
        rr[b * P + c] = res;
      }
    s[2 * b] = r2, s[2 * b + 1] = f2;
  });
  if (preconditioned) {  // z = L^-1 r and g = L^-1 f: the sums become ||z||^2 and ||g||^2
    Kokkos::fence();
    const auto g = loss_workspace(6, std::size_t(P));
    const auto fd = loss_workspace(7, std::size_t(P));
    for (long c = 0; c < P; ++c) fd(c) = double(f[c]);
    inverse_laplacian(fd.data(), g.data(), 1, n1, n2, h1, h2);
    double g2 = 0;
    for (long c = 0; c < P; ++c) g2 += g(c) * g(c);
    inverse_laplacian(rr, rr, batch, n1, n2, h1, h2);
    for (int b = 0; b < batch; ++b) {
      double z2 = 0;
      for (long c = 0; c < P; ++c) z2 += rr[b * P + c] * rr[b * P + c];
      s[2 * b] = z2, s[2 * b + 1] = g2;
    }
    // the gradient A^T L^-1 z: the adjoint kernel below applies A^T to what rr holds
    if (ubar) inverse_laplacian(rr, rr, batch, n1, n2, h1, h2);
  }
  const auto h = Kokkos::create_mirror_view_and_copy(HostSpace(), sums);
  std::vector<double> coef(static_cast<std::size_t>(batch));
  double total = 0;
  for (int b = 0; b < batch; ++b) {
    NPDE_REQUIRE(h(2 * b + 1) > 0, "Darcy residual loss: the source is zero on the interior");
    const double nr = std::sqrt(h(2 * b)), nf = std::sqrt(h(2 * b + 1));
    total += nr / nf;
    if (per_sample) per_sample[b] = nr / nf;
    coef[std::size_t(b)] = nr > 0 ? scale / (nr * nf) : 0.0;
  }
  if (!ubar) return total;
  const auto c = loss_workspace(4, coef.size());
  {
    auto hc = Kokkos::create_mirror_view(c);
    for (std::size_t b = 0; b < coef.size(); ++b) hc(b) = coef[b];
    Kokkos::deep_copy(c, hc);
  }
  const double* cc = c.data();
  // ubar = coef A^T r, gathered: every node collects the residuals that read it
  Kokkos::parallel_for("npde::fno::darcy_residual_adjoint", Kokkos::RangePolicy<ExecSpace>(0, long(batch) * P),
                       KOKKOS_LAMBDA(const long e) {
                         const long b = e / P, cix = e % P;
                         const int i = int(cix / n2), j = int(cix % n2);
                         const T* ab = a + b * P;
                         const double* rb = rr + b * P;
                         const double ac = ab[cix];
                         double acc = 0;
                         auto take = [&](bool inside, long nb, double w) {  // neighbour nb's face to c
                           if (!inside) return;
                           const double fc = w * face(ac, ab[nb]);
                           acc += fc * rb[cix] - fc * rb[nb];  // d r_c/d u_c r_c + d r_nb/d u_c r_nb
                         };
                         take(i > 0, cix - n2, w1);
                         take(i + 1 < n1, cix + n2, w1);
                         take(j > 0, cix - 1, w2);
                         take(j + 1 < n2, cix + 1, w2);
                         ubar[e] = T(cc[b] * acc);
                       });
  return total;
}

double schedule_factor(const OperatorTrainConfig& cfg, long epoch) {
  if (cfg.schedule == "step") return std::pow(cfg.schedule_gamma, double(epoch / cfg.schedule_step));
  if (cfg.schedule == "cosine") return 0.5 * (1.0 + std::cos(M_PI * double(epoch) / double(cfg.epochs)));
  return 1.0;
}

namespace {

/// (field, patch) items. Items are ordered patch-major (item i of n fields is patch i / n of field
/// i % n), so a block of items over R <= K ranks gives every rank K/R patches of every field.
struct Items {
  std::vector<int> field, patch;
  std::size_t size() const { return field.size(); }
};

/// Inputs of the items into xb (capacity items of C (L + 1) x m1 x m2), the rest zero.
template <class T>
void extract_items(const Patching& pg, const SampleSet<T>& set, const Items& it, const View1<T>& xb, int capacity) {
  const long sx = long(set.cin) * set.points(), si = long(pg.in_channels(set.cin)) * pg.patch_points();
  for (std::size_t k = 0; k < it.size(); ++k)
    pg.extract(set.x.data() + it.field[k] * sx, set.cin, it.patch[k], xb.data() + long(k) * si);
  if (int(it.size()) < capacity)
    Kokkos::deep_copy(Kokkos::subview(xb, std::make_pair(long(it.size()) * si, long(capacity) * si)), T(0));
}

/// Per item, the sums over its crop of (prediction - target)^2 and target^2 (out[2k], out[2k + 1]).
template <class T>
std::vector<double> crop_sums(const Patching& pg, const SampleSet<T>& set, const Items& it, const T* yb) {
  std::vector<double> out(2 * it.size(), 0.0);
  const int C = set.cout, M2 = pg.m2(), P1 = pg.p1, P2 = pg.p2, Q1 = pg.q1, Q2 = pg.q2, N2 = pg.n2, s0 = 1 << pg.levels;
  const long pp = pg.patch_points(), fp = set.points();
  const auto sums = loss_workspace(5, 2 * it.size());
  double* s = sums.data();
  for (std::size_t k = 0; k < it.size(); ++k) {
    const T* y = yb + long(k) * C * pp;
    const T* t = set.y.data() + long(it.field[k]) * C * fp;
    const int a = it.patch[k] / s0, b = it.patch[k] % s0;
    Kokkos::parallel_reduce(
        "npde::fno::crop_sums", Kokkos::RangePolicy<ExecSpace>(0, long(C) * P1),
        KOKKOS_LAMBDA(const long row, double& e2, double& t2) {
          const int i = int(row % P1), c = int(row / P1);
          const T* yr = y + c * pp + long(Q1 + i) * M2 + Q2;
          const T* tr = t + c * fp + long(a * P1 + i) * N2 + long(b) * P2;
          for (int j = 0; j < P2; ++j) {
            const double d = double(yr[j]) - double(tr[j]);
            e2 += d * d, t2 += double(tr[j]) * double(tr[j]);
          }
        },
        s[2 * k], s[2 * k + 1]);
  }
  Kokkos::fence();
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = s[i];
  return out;
}

/// ybar of the items: coef[field] (prediction - target) on the crop, zero on the padding (and on the
/// capacity's unused items).
template <class T>
void crop_adjoint(const Patching& pg, const SampleSet<T>& set, const Items& it, const std::vector<double>& coef,
                  const std::vector<int>& field_slot, const T* yb, const View1<T>& ybar) {
  Kokkos::deep_copy(ybar, T(0));
  const int C = set.cout, M2 = pg.m2(), P1 = pg.p1, P2 = pg.p2, Q1 = pg.q1, Q2 = pg.q2, N2 = pg.n2, s0 = 1 << pg.levels;
  const long pp = pg.patch_points(), fp = set.points();
  for (std::size_t k = 0; k < it.size(); ++k) {
    const T* y = yb + long(k) * C * pp;
    const T* t = set.y.data() + long(it.field[k]) * C * fp;
    T* g = ybar.data() + long(k) * C * pp;
    const int a = it.patch[k] / s0, b = it.patch[k] % s0;
    const double w = coef[std::size_t(field_slot[k])];
    Kokkos::parallel_for("npde::fno::crop_adjoint", Kokkos::RangePolicy<ExecSpace>(0, long(C) * P1),
                         KOKKOS_LAMBDA(const long row) {
                           const int i = int(row % P1), c = int(row / P1);
                           const long o = c * pp + long(Q1 + i) * M2 + Q2;
                           const T* tr = t + c * fp + long(a * P1 + i) * N2 + long(b) * P2;
                           for (int j = 0; j < P2; ++j) g[o + j] = T(w * (double(y[o + j]) - double(tr[j])));
                         });
  }
}

/// Patched evaluation: every rank takes a block of the (sample, patch) items, stitches its crops into
/// the full predictions, which one allreduce completes; the errors follow from the full fields.
template <class T>
std::vector<double> evaluate_patched(const decomp::Communicator& comm, FnoModel<T>& model, const View1<T>& params,
                                     const SampleSet<T>& set, const ChannelNormalizer& out_norm, int chunk,
                                     std::vector<double>* predictions, const Patching& pg) {
  const long K = pg.per_field(), sy = long(set.cout) * set.points();
  const long sxi = long(pg.in_channels(set.cin)) * pg.patch_points(), syi = long(set.cout) * pg.patch_points();
  const auto mean = device_copy(out_norm.mean, "npde::fno::out_mean");
  const auto sd = device_copy(out_norm.stddev, "npde::fno::out_std");
  const auto mine = decomp::block_range(std::size_t(set.n * K), comm.rank(), comm.size());
  const std::size_t per_rank = (std::size_t(set.n * K) + comm.size() - 1) / comm.size();
  View1<T> xb("npde::fno::eval_x", std::size_t(chunk) * sxi), yb("npde::fno::eval_y", std::size_t(chunk) * syi);
  View1<T> full("npde::fno::eval_full", std::size_t(set.n) * sy);
  for (std::size_t at = 0; at < per_rank; at += std::size_t(chunk)) {
    Items it;
    for (std::size_t i = mine.begin + at; i < std::min(mine.end, mine.begin + at + chunk); ++i)
      it.field.push_back(int(i % std::size_t(set.n))), it.patch.push_back(int(i / std::size_t(set.n)));
    if (it.size() == 0) break;
    extract_items(pg, set, it, xb, chunk);
    model.predict(params.data(), xb.data(), chunk, pg.m1(), pg.m2(), yb.data());
    decode(yb.data(), chunk, set.cout, pg.patch_points(), mean, sd, static_cast<const T*>(nullptr));
    for (std::size_t k = 0; k < it.size(); ++k)
      pg.stitch(yb.data() + long(k) * syi, set.cout, it.patch[k], full.data() + long(it.field[k]) * sy);
  }
  auto h = Kokkos::create_mirror_view_and_copy(HostSpace(), full);
  std::vector<double> pred(h.data(), h.data() + h.extent(0));
  comm.allreduce_sum(pred.data(), pred.size());
  View1<double> fd("npde::fno::eval_full_d", pred.size()), td("npde::fno::eval_target_d", pred.size());
  {
    auto ht = Kokkos::create_mirror_view_and_copy(HostSpace(), set.y);
    for (std::size_t i = 0; i < pred.size(); ++i) fd(i) = pred[i], td(i) = double(ht(i));
  }
  std::vector<double> err(std::size_t(set.n));
  relative_l2_sum<double>(fd.data(), td.data(), set.n, sy, 0.0, nullptr, err.data());
  if (predictions) *predictions = std::move(pred);
  return err;
}

}  // namespace

template <class T>
std::vector<double> evaluate_operator(const decomp::Communicator& comm, FnoModel<T>& model, const View1<T>& params,
                                      const SampleSet<T>& set, const ChannelNormalizer& out_norm, int chunk,
                                      std::vector<double>* predictions, const Patching* patching) {
  if (patching && patching->levels > 0)
    return evaluate_patched(comm, model, params, set, out_norm, chunk, predictions, *patching);
  const auto mine = decomp::block_range(std::size_t(set.n), comm.rank(), comm.size());
  const long P = set.points(), sx = long(set.cin) * P, sy = long(set.cout) * P;
  const auto mean = device_copy(out_norm.mean, "npde::fno::out_mean");
  const auto sd = device_copy(out_norm.stddev, "npde::fno::out_std");
  std::vector<double> err(std::size_t(set.n), 0.0);
  std::vector<double> pred;
  if (predictions) pred.assign(std::size_t(set.n) * sy, 0.0);
  // every rank runs the same number of passes of `chunk` samples (padded): shapes stay fixed
  const std::size_t per_rank = (std::size_t(set.n) + comm.size() - 1) / comm.size();
  View1<T> xb("npde::fno::eval_x", std::size_t(chunk) * sx), yb("npde::fno::eval_y", std::size_t(chunk) * sy),
      tb("npde::fno::eval_t", std::size_t(chunk) * sy);
  for (std::size_t at = 0; at < per_rank; at += std::size_t(chunk)) {
    std::vector<int> ids;
    for (std::size_t i = mine.begin + at; i < std::min(mine.end, mine.begin + at + chunk); ++i) ids.push_back(int(i));
    if (ids.empty()) break;
    gather(set.x, sx, ids, xb, chunk);
    gather(set.y, sy, ids, tb, chunk);
    model.predict(params.data(), xb.data(), chunk, set.n1, set.n2, yb.data());
    decode(yb.data(), chunk, set.cout, P, mean, sd, data_or_null(set.mollifier));
    std::vector<double> e(ids.size());
    relative_l2_sum<T>(yb.data(), tb.data(), int(ids.size()), sy, 0.0, nullptr, e.data());
    for (std::size_t k = 0; k < ids.size(); ++k) err[std::size_t(ids[k])] = e[k];
    if (predictions) {
      const auto h = Kokkos::create_mirror_view_and_copy(HostSpace(), yb);
      for (std::size_t k = 0; k < ids.size(); ++k)
        std::copy(h.data() + k * sy, h.data() + (k + 1) * sy, pred.begin() + long(ids[k]) * sy);
    }
  }
  comm.allreduce_sum(err.data(), err.size());
  if (predictions) {
    comm.allreduce_sum(pred.data(), pred.size());
    *predictions = std::move(pred);
  }
  return err;
}

template <class T>
OperatorTrainResult train_operator(const decomp::Communicator& comm, FnoModel<T>& model, View1<T> params,
                                   const OperatorTrainConfig& cfg, const SampleSet<T>& train, const SampleSet<T>& test,
                                   const ChannelNormalizer& out_norm, const OperatorTrainHooks& hooks,
                                   const OperatorTrainState* resume) {
  NPDE_REQUIRE(train.n >= 1 && cfg.batch >= 1 && cfg.epochs >= 1, "operator training of " << train.n << " samples");
  const std::size_t n_params = model.n_params();
  const int ranks = comm.size(), B = std::min(cfg.batch, train.n);
  const Patching& pg = cfg.patching;
  const bool patched = pg.levels > 0;
  NPDE_REQUIRE(!patched || (cfg.loss == "l2" && cfg.weight_physics == 0 && train.mollifier.extent(0) == 0),
               "multigrid patching trains with the relative L2 data loss only");
  const int K = patched ? pg.per_field() : 1;               // items per field: patches, or the field
  const int capacity = (B * K + ranks - 1) / ranks;         // items per rank and step, padded
  const long P = train.points(), sx = long(train.cin) * P, sy = long(train.cout) * P;
  // one item's input and output values (a patch's with patching)
  const long sxi = patched ? long(pg.in_channels(train.cin)) * pg.patch_points() : sx;
  const long syi = patched ? long(train.cout) * pg.patch_points() : sy;
  const int i1 = patched ? pg.m1() : train.n1, i2 = patched ? pg.m2() : train.n2;
  const long steps_per_epoch = (train.n + B - 1) / B;
  const auto mean = device_copy(out_norm.mean, "npde::fno::out_mean");
  const auto sd = device_copy(out_norm.stddev, "npde::fno::out_std");
  const double h1 = cfg.periodic ? 1.0 / train.n1 : 1.0 / (train.n1 - 1);
  const double h2 = cfg.periodic ? 1.0 / train.n2 : 1.0 / (train.n2 - 1);

  optim::AdamOptions ao;
  ao.lr = cfg.lr;
  optim::Adam<T> adam(n_params, ao);
  OperatorTrainState st;
  if (resume) {
    st = *resume;
    NPDE_REQUIRE(st.params.size() == n_params, "resumed state of " << st.params.size() << " parameters, model has "
                                                                   << n_params);
    from_host(st.params, params);
    adam.set_state(st.adam);
  }
  // workspaces, once
  View1<T> xb("npde::fno::batch_x", std::size_t(capacity) * sxi), tb("npde::fno::batch_t", patched ? 0 : std::size_t(capacity) * sy);
  View1<T> yb("npde::fno::batch_y", std::size_t(capacity) * syi), ybar("npde::fno::batch_ybar", std::size_t(capacity) * syi);
  const bool physics = cfg.weight_physics > 0;
  NPDE_REQUIRE(!physics || (train.cout == 1 && train.coefficient.extent(0) > 0 && train.source.extent(0) > 0),
               "the physics loss needs one output channel, the coefficient and the source");
  View1<T> ab("npde::fno::batch_a", physics ? std::size_t(capacity) * P : 0);
  View1<T> pbar("npde::fno::batch_physics_adjoint", physics ? std::size_t(capacity) * sy : 0);
  View1<T> grad("npde::fno::grad", n_params + 1);  // the gradient and, last, the batch's loss sum
  auto grad_host = Kokkos::create_mirror_view(grad);
  // the state at the start of the epoch: what the NaN guard rolls back to
  std::vector<double> good_params = to_host(params);
  optim::AdamState good_adam = adam.state();
  double good_epoch_loss = st.epoch_loss;
  long good_step = st.step;

  OperatorTrainResult res;
  const auto t0 = Clock::now();
  long steps_run = 0, samples_run = 0;
  // the steady rate: epochs after this run's first (that one pays the first touch of every workspace)
  const long first_epoch = st.epoch;
  double steady_seconds = 0;
  long steady_samples = 0;
  const long total_steps = cfg.epochs * steps_per_epoch;
  if (comm.is_root() && !resume && !cfg.quiet)
    log::info(log::format("training: ", train.n, " samples, batch ", B, " (", capacity,
                          patched ? log::format(" patches of ", pg.m1(), "x", pg.m2()) : std::string(),
                          " per rank), ", steps_per_epoch, " steps per epoch, ", cfg.epochs, " epochs"));
  while (st.epoch < cfg.epochs) {
    const auto order = epoch_order(train.n, cfg.seed, st.epoch);
    adam.set_lr_scale(schedule_factor(cfg, st.epoch) * st.nan_scale);
    bool rolled_back = false;
    const auto epoch_t0 = Clock::now();
    const long epoch_samples0 = samples_run;
    for (; st.step < steps_per_epoch; ++st.step) {
      const long first = st.step * B, count = std::min<long>(B, train.n - first);
      Kokkos::deep_copy(grad, T(0));
      double loss_sum = 0;
      std::vector<int> ids;
      if (patched) {  // (field, patch) items in blocks over the ranks; the loss per whole field
        const auto part = decomp::block_range(std::size_t(count) * K, comm.rank(), ranks);
        Items it;
        std::vector<int> slot;
        for (std::size_t k = part.begin; k < part.end; ++k) {
          const long f = long(k) % count, patch = long(k) / count;  // patch-major: see Items
          slot.push_back(int(f));
          it.field.push_back(order[std::size_t(first + f)]), it.patch.push_back(int(patch));
        }
        std::vector<double> fs(2 * std::size_t(count), 0.0);
        if (it.size() > 0) {
          extract_items(pg, train, it, xb, capacity);
          model.forward(params.data(), xb.data(), capacity, i1, i2, yb.data());
          decode(yb.data(), capacity, train.cout, pg.patch_points(), mean, sd, static_cast<const T*>(nullptr));
          const auto sums = crop_sums(pg, train, it, yb.data());
          for (std::size_t k = 0; k < it.size(); ++k)
            fs[2 * std::size_t(slot[k])] += sums[2 * k], fs[2 * std::size_t(slot[k]) + 1] += sums[2 * k + 1];
        }
        comm.allreduce_sum(fs.data(), fs.size());  // every field's sums, on every rank
        std::vector<double> coef(static_cast<std::size_t>(count), 0.0);
        double total = 0;
        for (long f = 0; f < count; ++f) {
          const double e2 = fs[2 * std::size_t(f)], t2 = fs[2 * std::size_t(f) + 1];
          NPDE_REQUIRE(t2 > 0, "relative L2 loss: a training sample has a zero target");
          total += std::sqrt(e2 / t2);
          coef[std::size_t(f)] = e2 > 0 ? cfg.weight_data / double(count) / std::sqrt(e2 * t2) : 0.0;
        }
        loss_sum = comm.is_root() ? cfg.weight_data * total : 0.0;  // the allreduce below sums it once
        if (it.size() > 0) {
          crop_adjoint(pg, train, it, coef, slot, yb.data(), ybar);
          encode_adjoint(ybar.data(), capacity, train.cout, pg.patch_points(), sd, static_cast<const T*>(nullptr));
          model.backward(params.data(), ybar.data(), nullptr, grad.data());
        }
      } else {
        const auto part = decomp::block_range(std::size_t(count), comm.rank(), ranks);
        for (std::size_t k = part.begin; k < part.end; ++k) ids.push_back(order[std::size_t(first + long(k))]);
      }
      if (!ids.empty()) {
        gather(train.x, sx, ids, xb, capacity);
        gather(train.y, sy, ids, tb, capacity);
        model.forward(params.data(), xb.data(), capacity, train.n1, train.n2, yb.data());
        decode(yb.data(), capacity, train.cout, P, mean, sd, data_or_null(train.mollifier));
        const int nb = int(ids.size());
        Kokkos::deep_copy(ybar, T(0));
        if (cfg.weight_data > 0) {
          const double scale = cfg.weight_data / double(count);
          loss_sum = cfg.weight_data *
                     (cfg.loss == "h1" ? relative_h1_sum<T>(yb.data(), tb.data(), nb, train.cout, train.n1, train.n2, h1,
                                                            h2, cfg.periodic, scale, ybar.data())
                                       : relative_l2_sum<T>(yb.data(), tb.data(), nb, sy, scale, ybar.data()));
        }
        if (physics) {
          gather(train.coefficient, P, ids, ab, capacity);
          loss_sum += cfg.weight_physics * darcy_residual_sum<T>(yb.data(), ab.data(), train.source.data(), nb, train.n1,
                                                                 train.n2, train.h1, train.h2,
                                                                 cfg.weight_physics / double(count), pbar.data(),
                                                                 nullptr, cfg.physics_preconditioned);
          T *yy = ybar.data();
          const T* pp = pbar.data();
          Kokkos::parallel_for("npde::fno::add_physics_adjoint", Kokkos::RangePolicy<ExecSpace>(0, long(nb) * sy),
                               KOKKOS_LAMBDA(const long e) { yy[e] += pp[e]; });
        }
        encode_adjoint(ybar.data(), capacity, train.cout, P, sd, data_or_null(train.mollifier));
        model.backward(params.data(), ybar.data(), nullptr, grad.data());
      }
      const long global_step = st.epoch * steps_per_epoch + st.step + 1;
      if (hooks.inject_nan_at == global_step && st.nan_recoveries == 0) loss_sum = std::numeric_limits<double>::quiet_NaN();
      Kokkos::deep_copy(grad_host, grad);
      grad_host(n_params) = T(loss_sum);
      comm.allreduce_sum(grad_host.data(), n_params + 1);
      const double batch_loss = double(grad_host(n_params));  // summed over the global batch
      bool finite = std::isfinite(batch_loss);
      for (std::size_t i = 0; finite && i < n_params; ++i) finite = std::isfinite(double(grad_host(i)));
      if (!finite) {  // every rank sees the same reduced numbers, hence takes the same branch
        if (++st.nan_recoveries > kMaxNanRecoveries)
          throw OperatorDiverged(log::format("training diverged: non-finite loss or gradient at epoch ", st.epoch + 1,
                                             " after ", kMaxNanRecoveries, " recoveries"));
        st.nan_scale *= 0.5;
        if (comm.is_root() && !cfg.quiet)
          log::info(log::format("NaN guard: non-finite loss at epoch ", st.epoch + 1, " step ", st.step + 1,
                                "; epoch restarted with the learning rate halved (x", st.nan_scale, ")"));
        from_host(good_params, params);
        adam.set_state(good_adam);
        st.epoch_loss = good_epoch_loss, st.step = good_step;
        rolled_back = true;
        break;
      }
      // weight decay as torch.optim.Adam's: g + wd p
      {
        auto p_host = Kokkos::create_mirror_view_and_copy(HostSpace(), params);
        for (std::size_t i = 0; i < n_params; ++i) grad_host(i) = T(double(grad_host(i)) + cfg.weight_decay * double(p_host(i)));
      }
      Kokkos::deep_copy(grad, grad_host);
      adam.step(params, View1<const T>(Kokkos::subview(grad, std::make_pair(std::size_t(0), n_params))));
      st.epoch_loss += batch_loss;  // the batch's sum of per-sample losses
      ++steps_run, samples_run += count;
      // stop request: one reduction per step
      const double elapsed = seconds_since(t0);
      bool stop = hooks.stop_requested && hooks.stop_requested(elapsed, elapsed / double(steps_run));
      if (hooks.stop_at > 0 && global_step == hooks.stop_at) stop = true;
      if (comm.any(stop) && !(st.step + 1 == steps_per_epoch && st.epoch + 1 == cfg.epochs)) {
        ++st.step;
        st.params = to_host(params);
        st.adam = adam.state();
        st.seconds += seconds_since(t0);
        if (hooks.checkpoint) hooks.checkpoint(st);
        res.history = st.history;
        res.seconds = st.seconds;
        res.epochs = st.epoch;
        res.steps = steps_run;
        res.stopped = true;
        res.nan_recoveries = st.nan_recoveries;
        return res;
      }
    }
    if (rolled_back) {
      adam.set_lr_scale(schedule_factor(cfg, st.epoch) * st.nan_scale);
      continue;
    }
    // the epoch is complete
    if (st.epoch > first_epoch) steady_seconds += seconds_since(epoch_t0), steady_samples += samples_run - epoch_samples0;
    EpochRow row;
    row.epoch = st.epoch + 1;
    row.train_loss = st.epoch_loss / double(train.n);
    row.lr = cfg.lr * schedule_factor(cfg, st.epoch) * st.nan_scale;
    row.test_rel_l2 = std::numeric_limits<double>::quiet_NaN();
    const bool last = st.epoch + 1 == cfg.epochs;
    const bool log_now = last || (st.epoch + 1) % cfg.log_every == 0;
    if (log_now && test.n > 0) {
      const auto e = evaluate_operator(comm, model, params, test, out_norm, capacity, nullptr, &pg);
      double s = 0;
      for (double v : e) s += v;
      row.test_rel_l2 = s / double(e.size());
    }
    row.wall_time = st.seconds + seconds_since(t0);
    st.history.push_back(row);
    ++st.epoch, st.step = 0, st.epoch_loss = 0;
    good_params = to_host(params), good_adam = adam.state(), good_epoch_loss = 0, good_step = 0;
    if (log_now) {
      const double el = seconds_since(t0);
      const double rate = double(samples_run) / std::max(el, 1e-9);
      const long left = total_steps - st.epoch * steps_per_epoch;
      if (comm.is_root() && !cfg.quiet)
        log::info(log::format("epoch ", st.epoch, "/", cfg.epochs, "  train ", row.train_loss, "  test rel. L2 ",
                              row.test_rel_l2, "  lr ", row.lr, "  ", long(std::lround(rate)), " samples/s  ETA ",
                              duration_string(double(left) * el / double(std::max(steps_run, 1L)))));
      if (hooks.history_block) hooks.history_block(st.history);
    }
    if (hooks.checkpoint && hooks.checkpoint_every > 0 && st.epoch % hooks.checkpoint_every == 0 &&
        st.epoch < cfg.epochs) {
      st.params = good_params;
      st.adam = good_adam;
      const double s0 = st.seconds;
      st.seconds += seconds_since(t0);
      hooks.checkpoint(st);
      st.seconds = s0;
    }
  }
  res.history = st.history;
  res.seconds = st.seconds + seconds_since(t0);
  res.epochs = st.epoch;
  res.steps = steps_run;
  res.samples_per_second = double(samples_run) / std::max(seconds_since(t0), 1e-9);
  res.steady_samples_per_second = steady_seconds > 0 ? double(steady_samples) / steady_seconds : 0.0;
  res.nan_recoveries = st.nan_recoveries;
  return res;
}

template double darcy_residual_sum<double>(const double*, const double*, const double*, int, int, int, double, double,
                                           double, double*, double*, bool);
template double darcy_residual_sum<float>(const float*, const float*, const float*, int, int, int, double, double,
                                          double, float*, double*, bool);
template OperatorTrainResult train_operator<double>(const decomp::Communicator&, FnoModel<double>&, View1<double>,
                                                    const OperatorTrainConfig&, const SampleSet<double>&,
                                                    const SampleSet<double>&, const ChannelNormalizer&,
                                                    const OperatorTrainHooks&, const OperatorTrainState*);
template OperatorTrainResult train_operator<float>(const decomp::Communicator&, FnoModel<float>&, View1<float>,
                                                   const OperatorTrainConfig&, const SampleSet<float>&,
                                                   const SampleSet<float>&, const ChannelNormalizer&,
                                                   const OperatorTrainHooks&, const OperatorTrainState*);
template std::vector<double> evaluate_operator<double>(const decomp::Communicator&, FnoModel<double>&,
                                                       const View1<double>&, const SampleSet<double>&,
                                                       const ChannelNormalizer&, int, std::vector<double>*,
                                                       const Patching*);
template std::vector<double> evaluate_operator<float>(const decomp::Communicator&, FnoModel<float>&,
                                                      const View1<float>&, const SampleSet<float>&,
                                                      const ChannelNormalizer&, int, std::vector<double>*,
                                                      const Patching*);

}  // namespace npde::fno
