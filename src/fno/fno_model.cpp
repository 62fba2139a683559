// SPDX-License-Identifier: BSD-3-Clause
// FnoModel: layout of the parameters, initialisation, forward and reverse pass.
#include "npde/fno/fno_model.hpp"
#include "npde/fno/gelu.hpp"

#include <cmath>
#include <string>
#include <type_traits>

#include "npde/core/error.hpp"
#include "npde/core/math.hpp"
#include "npde/core/rng.hpp"
#include "npde/nn/gemm.hpp"

namespace npde::fno {

namespace {

/// A block of n consecutive grid points [p0, p0 + n) of sample b, in fields (batch, channel, P)
/// whose channels lie P apart: the pointwise layers run tile by tile so that a tile's activations
/// stay in cache from one layer to the next (docs/numerics.md, "Fourier neural operators").
struct Tile {
  long P = 0, p0 = 0;
  int b = 0, n = 0;
  template <class U>
  U* at(U* field, int channels) const { return field + long(b) * channels * P + p0; }
};

/// f(tile) for every tile of `tile` points (the last of a sample may be shorter), sample by sample.
template <class F>
void for_tiles(int batch, long P, long tile, const F& f) {
  for (int b = 0; b < batch; ++b)
    for (long p0 = 0; p0 < P; p0 += tile) f(Tile{P, p0, b, int(std::min(tile, P - p0))});
}

/// f(c, e) for every channel c < C and point of the tile, e the element's index in a C-channel
/// field: a thread per channel, the inner loop over contiguous points.
template <class F>
void tile_rows(const char* label, const Tile& t, int C, const F& f) {
  const long P = t.P, base = long(t.b) * C * P + t.p0;
  const int n = t.n;
  Kokkos::parallel_for(label, Kokkos::RangePolicy<ExecSpace>(0, C), KOKKOS_LAMBDA(const int c) {
    const long e0 = base + c * P;
    for (int j = 0; j < n; ++j) f(c, e0 + j);
  });
}

/// sum[c] += sum_{j < n} a[c lda + j] for c < C (a GEMV against ones: vectorised by BLAS, and in
/// the same order on every run).
template <class T>
void row_sums(int C, int n, const T* a, int lda, const T* ones, T* sum) {
  nn::gemv<T>(true, n, C, T(1), a, lda, ones, T(1), sum);
}

/// sum[c] += the sum over the tile's points of channel c of a C-channel field.
template <class T>
void tile_row_sums(const Tile& t, int C, const T* field, const T* ones, T* sum) {
  row_sums(C, t.n, t.at(field, C), int(t.P), ones, sum);
}

/// The channels of one tile: element (c, j) at p[c ld + j], in a field (ld = P) or in a scratch
/// tile of its own (ld = the tile's points).
template <class U>
struct TileRef {
  U* p;
  int ld;
};
template <class U>
TileRef<U> field_tile(U* field, int channels, const Tile& t) {
  return {t.at(field, channels), int(t.P)};
}

/// out = in W^T + bias on n points (out += in W^T when accumulate, for maps without bias): one GEMM of
/// n x in . in x out onto the points filled with the bias (BLAS with beta = 0 would clear them in a
/// pass of its own first). Input and output tiles of fields or scratch tiles.
template <class T>
void tile_map(const ChannelMap& m, const T* params, TileRef<const T> in, TileRef<T> out, int n, bool accumulate = false) {
  if (m.bias && !accumulate) {
    const T* bias = params + m.b;
    T* o = out.p;
    const int ld = out.ld;
    Kokkos::parallel_for("npde::fno::FnoModel::bias", Kokkos::RangePolicy<ExecSpace>(0, m.out), KOKKOS_LAMBDA(const int c) {
      T* oc = o + long(c) * ld;
      for (int j = 0; j < n; ++j) oc[j] = bias[c];
    });
    accumulate = true;
  }
  if (m.out == 1)  // one output channel (the projection's last map): a GEMV, not a GEMM packing the tile
    nn::gemv<T>(false, n, m.in, T(1), in.p, in.ld, params + m.w, accumulate ? T(1) : T(0), out.p);
  else
    nn::gemm<T>(false, true, n, m.out, m.in, T(1), in.p, in.ld, params + m.w, m.out, accumulate ? T(1) : T(0), out.p,
                out.ld);
}
template <class T>
void tile_map(const ChannelMap& m, const T* params, const T* in, T* out, const Tile& t, bool accumulate = false) {
  tile_map(m, params, field_tile<const T>(in, m.in, t), field_tile(out, m.out, t), t.n, accumulate);
}

/// s = gelu(s) in place on n points of C channels of a scratch tile (inference: no derivative kept).
template <class T>
void scratch_gelu(const char* label, int C, int n, TileRef<T> s) {
  T* p = s.p;
  const int ld = s.ld;
  Kokkos::parallel_for(label, Kokkos::RangePolicy<ExecSpace>(0, C), KOKKOS_LAMBDA(const int c) {
    T* pc = p + long(c) * ld;
    for (int j = 0; j < n; ++j) {
      T av, dv;
      gelu_both(pc[j], av, dv);
      pc[j] = av;
    }
  });
}

/// The map's reverse pass on the tile: grad(W) += outbar^T in; inbar = (or +=) outbar W when inbar
/// is given. The caller adds the bias gradient (the row sums of outbar).
template <class T>
void map_backward(const ChannelMap& m, const T* params, TileRef<const T> in, TileRef<const T> outbar, TileRef<T> inbar,
                  bool accumulate, T* grad, int n) {
  if (m.out == 1)  // grad(W)^T += in^T outbar: a GEMV (a GEMM of one row would pack the whole tile)
    nn::gemv<T>(true, n, m.in, T(1), in.p, in.ld, outbar.p, T(1), grad + m.w);
  else
    nn::gemm<T>(true, false, m.out, m.in, n, T(1), outbar.p, outbar.ld, in.p, in.ld, T(1), grad + m.w, m.out);
  if (inbar.p)
    nn::gemm<T>(false, false, n, m.in, m.out, T(1), outbar.p, outbar.ld, params + m.w, m.out, accumulate ? T(1) : T(0),
                inbar.p, inbar.ld);
}

/// s[c ld + j] *= f[c P + j] over the tile: a scratch tile's adjoint times the GELU derivative kept
/// in field f.
template <class T>
void scale_by_field(const char* label, const Tile& t, int C, T* s, int ld, const T* f) {
  const T* fb = t.at(f, C);
  const long P = t.P;
  const int n = t.n;
  Kokkos::parallel_for(label, Kokkos::RangePolicy<ExecSpace>(0, C), KOKKOS_LAMBDA(const int c) {
    T* sc = s + long(c) * ld;
    const T* fc = fb + c * P;
    for (int j = 0; j < n; ++j) sc[j] *= fc[j];
  });
}

/// a = gelu(z + bias[c]) (no bias when it is null), z overwritten by the derivative there (the
/// reverse pass needs only the derivative, and one erf per element serves both; `derivative` false:
/// z left as it is, for inference), on a tile of a C-channel field.
template <class T>
void tile_bias_gelu(const char* label, const Tile& t, int C, const T* bias, T* z, T* a, bool derivative = true) {
  // separate loops, not one testing `bias` per element: that test stops the loop vectorising
  // (measured: the forward pass 2.5x slower)
  if (bias && derivative) {
    tile_rows(label, t, C, KOKKOS_LAMBDA(const int c, const long e) {
      T av, dv;
      gelu_both(z[e] + bias[c], av, dv);
      a[e] = av;
      z[e] = dv;
    });
  } else if (derivative) {
    tile_rows(label, t, C, KOKKOS_LAMBDA(const int, const long e) {
      T av, dv;
      gelu_both(z[e], av, dv);
      a[e] = av;
      z[e] = dv;
    });
  } else if (bias) {
    tile_rows(label, t, C, KOKKOS_LAMBDA(const int c, const long e) {
      T av, dv;
      gelu_both(z[e] + bias[c], av, dv);
      a[e] = av;
    });
  } else {
    tile_rows(label, t, C, KOKKOS_LAMBDA(const int, const long e) {
      T av, dv;
      gelu_both(z[e], av, dv);
      a[e] = av;
    });
  }
}

}  // namespace

template <class T>
FnoModel<T>::FnoModel(const FnoShape& s) : m_shape(s) {
  NPDE_REQUIRE(s.in >= 1 && s.out >= 1 && s.width >= 2 && s.blocks >= 1,
               "FNO of " << s.in << " -> " << s.out << " channels, width " << s.width << ", " << s.blocks << " blocks");
  NPDE_REQUIRE(s.lifting_ratio >= 1 && s.projection_ratio >= 1, "lifting and projection ratios must be >= 1");
  const int H = s.width;
  auto map = [&](int out, int in, bool bias) {
    ChannelMap m{m_n_params, 0, out, in, bias};
    m_n_params += std::size_t(out) * in;
    if (bias) m.b = m_n_params, m_n_params += std::size_t(out);
    return m;
  };
  m_lift1 = map(s.lifting_ratio * H, s.in + 2, true);
  m_lift2 = map(H, s.lifting_ratio * H, true);
  for (int l = 0; l < s.blocks; ++l) {
    m_convs.emplace_back(H, H, s.modes_x, s.modes_y, s.weights);
    m_infer_convs.emplace_back(H, H, s.modes_x, s.modes_y, s.weights);  // predict()'s: buffers of their own
    Block b;
    b.spectral = m_n_params, m_n_params += m_convs.back().n_params();
    b.spectral_bias = m_n_params, m_n_params += std::size_t(H);
    b.skip = map(H, H, false);
    b.mlp1 = map(H / 2, H, true);
    b.mlp2 = map(H, H / 2, true);
    b.gate = m_n_params, m_n_params += std::size_t(H);
    m_blocks.push_back(b);
  }
  m_proj1 = map(s.projection_ratio * H, H, true);
  m_proj2 = map(s.out, s.projection_ratio * H, true);
}

template <class T>
std::size_t FnoModel<T>::spectral_params() const {
  std::size_t n = 0;
  for (const auto& c : m_convs) n += c.n_params();
  return n;
}

template <class T>
std::size_t FnoModel<T>::dense_spectral_params() const {
  std::size_t n = 0;
  for (const auto& c : m_convs) n += c.n_dense_params();
  return n;
}

template <class T>
double FnoModel<T>::step_flops(int batch, int nx, int ny) const {
  const double P = double(nx) * ny, B = batch;
  double maps = 0;
  auto map = [&](const ChannelMap& m) { maps += 2.0 * P * m.in * m.out; };
  for (const auto* m : {&m_lift1, &m_lift2, &m_proj1, &m_proj2}) map(*m);
  for (const auto& b : m_blocks)
    for (const auto* m : {&b.skip, &b.mlp1, &b.mlp2}) map(*m);
  const int H = m_shape.width;
  const double M = double(m_shape.modes_x) * (m_shape.modes_y / 2 + 1);
  double spectral = 0;  // per sample and block, forward
  const auto& r = m_convs.front().ranks();
  switch (m_shape.weights.kind) {
    case SpectralWeights::Kind::Dense: spectral = 8.0 * M * H * H; break;
    case SpectralWeights::Kind::CP: spectral = 8.0 * M * (H * r[0] + r[0] + r[0] * H); break;
    case SpectralWeights::Kind::Tucker: spectral = 8.0 * M * (double(H) * r[0] + double(r[0]) * r[1] + double(r[1]) * H); break;
  }
  // the FFTs per sample and block over the whole step: the forward pass transforms the H input
  // channels and back the H outputs, the reverse pass the H output adjoints and back the H input ones
  const double fft = 4.0 * H * 2.5 * P * std::log2(P);
  // the GEMMs and contractions thrice (forward; reverse: weight gradient and input adjoint)
  return 3.0 * B * (maps + m_shape.blocks * spectral) + B * m_shape.blocks * fft;
}

template <class T>
void FnoModel<T>::init(T* params, std::uint64_t seed) const {
  constexpr std::uint64_t kStreamMaps = 0xF001, kStreamBias = 0xF002, kStreamSpectral = 0xF100;
  auto h = Kokkos::create_mirror_view(UView1<T>(params, m_n_params));
  auto uniform_map = [&](const ChannelMap& m) {
    const double a = 1.0 / std::sqrt(double(m.in));
    for (std::size_t i = m.w; i < m.w + std::size_t(m.out) * m.in; ++i)
      h(i) = T(a * (2 * rng::uniform(seed, kStreamMaps, i) - 1));
    if (m.bias)
      for (int i = 0; i < m.out; ++i) h(m.b + i) = T(a * (2 * rng::uniform(seed, kStreamMaps, m.b + i) - 1));
  };
  for (const auto* m : {&m_lift1, &m_lift2, &m_proj1, &m_proj2}) uniform_map(*m);
  const int H = m_shape.width;
  for (std::size_t l = 0; l < m_blocks.size(); ++l) {
    const Block& b = m_blocks[l];
    for (const auto* m : {&b.skip, &b.mlp1, &b.mlp2}) uniform_map(*m);
    for (int i = 0; i < H; ++i) {
      h(b.spectral_bias + i) = T(std::sqrt(2.0 / (2 * H)) * rng::normal(seed, kStreamBias, b.spectral_bias + i));
      h(b.gate + i) = T(1);
    }
  }
  Kokkos::deep_copy(UView1<T>(params, m_n_params), h);
  for (std::size_t l = 0; l < m_blocks.size(); ++l)
    m_convs[l].init(params + m_blocks[l].spectral, seed, kStreamSpectral + l);
}

template <class T>
void FnoModel<T>::allocate(Activations& w, int batch, int nx, int ny, bool keep) {
  if (batch == w.batch && nx == w.nx && ny == w.ny) return;
  w.batch = batch, w.nx = nx, w.ny = ny;
  const std::size_t P = std::size_t(nx) * ny, B = std::size_t(batch), H = std::size_t(m_shape.width);
  auto field = [&](std::size_t channels, const char* label = "npde::fno::FnoModel::activation") {
    return View1<T>(Kokkos::view_alloc(Kokkos::WithoutInitializing, std::string(label)), B * channels * P);
  };
  w.a0 = field(m_shape.in + 2);
  if (keep) {  // for inference the lifting's and the projection's hidden layers live in a scratch tile
    w.l1z = field(m_lift1.out), w.l1 = field(m_lift1.out);
    w.proj_z = field(m_proj1.out), w.proj_a = field(m_proj1.out);
  }
  w.h.clear(), w.z.clear(), w.g.clear(), w.m1z.clear(), w.m1.clear(), w.out_z.clear();
  // kept for the reverse pass: every block's fields; for inference one set for all blocks, the block
  // input included: a block reads its input whole (spectral path) before its tiles, and each tile's
  // gate reads a point's input before writing its output there
  const int inputs = keep ? m_shape.blocks + 1 : 1, blocks = keep ? m_shape.blocks : 1;
  for (int l = 0; l < inputs; ++l) w.h.push_back(field(H));
  for (int l = 0; l < blocks; ++l) {
    w.z.push_back(field(H)), w.g.push_back(field(H)), w.out_z.push_back(field(H));
    w.m1z.push_back(field(H / 2)), w.m1.push_back(field(H / 2));
  }
  // the grid channels x = i / nx, y = j / ny of the lifting's input: the same every step
  T* a0 = w.a0.data();
  const int cin = m_shape.in, ca = cin + 2;
  const long np = long(P);
  Kokkos::parallel_for("npde::fno::FnoModel::grid", Kokkos::RangePolicy<ExecSpace>(0, long(B) * 2 * np),
                       KOKKOS_LAMBDA(const long e) {
                         const long p = e % np;
                         const int c = int((e / np) % 2), b = int(e / (2 * np));
                         a0[(long(b) * ca + cin + c) * np + p] = c == 0 ? T(double(p / ny) / nx) : T(double(p % ny) / ny);
                       });
  // points per tile of the pointwise layers: a whole sample, on the host up to kMaxHostTile points.
  // Measured (docs/benchmarks.md): at 64 x 64 whole samples train 3-8 % faster than tiles of about
  // 128 KiB per hidden field (512 points at width 32), which kept a block's tile in L2 but made 8x
  // the BLAS calls, each packing its weights again; at 128 x 128 the two are alike.
  constexpr long kMaxHostTile = 16384;
  long tile = m_tile_request;
  if (tile <= 0) tile = device_is_host ? kMaxHostTile : np;
  w.tile = std::min(tile, np);
  // predict()'s lifting and projection hidden layers, on one tile (in either workspace)
  w.scratch = View1<T>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "npde::fno::FnoModel::inference_tile"),
                       std::size_t(std::max(m_lift1.out, m_proj1.out)) * std::size_t(w.tile));
  if (!keep) return;
  // the reverse pass's whole-field adjoints, allocated once per shape (every one is written before it
  // is read; the hidden layers' adjoints live in a scratch tile, below)
  auto adjoint = [&](std::size_t channels) { return field(channels, "npde::fno::FnoModel::adjoint"); };
  m_adj_in = adjoint(H), m_adj_out = adjoint(H), m_adj_gelu = adjoint(H);
  m_adj_lift = adjoint(std::size_t(m_shape.in + 2));
  // the reverse pass's per-channel sums: a ones vector and a scratch tile of H channels
  m_ones = View1<T>("npde::fno::FnoModel::ones", std::size_t(w.tile));
  Kokkos::deep_copy(m_ones, T(1));
  m_tile_scratch = View1<T>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "npde::fno::FnoModel::tile_scratch"),
                            std::size_t(H) * std::size_t(w.tile));
  // the reverse pass's tile-local hidden adjoints (projection, channel MLP, lifting)
  const std::size_t widest_hidden = std::size_t(std::max({long(m_proj1.out), long(m_lift1.out), long(H / 2)}));
  m_tile_out_adj = View1<T>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "npde::fno::FnoModel::tile_output_adjoint"),
                            std::size_t(H) * std::size_t(w.tile));
  m_tile_adj = View1<T>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "npde::fno::FnoModel::tile_adjoint"),
                        widest_hidden * std::size_t(w.tile));
}

template <class T>
void FnoModel<T>::forward(const T* params, const T* x, int batch, int nx, int ny, T* y) {
  run_forward(m_train, m_convs, params, x, batch, nx, ny, y, true);
  m_backward_ready = true;
}

template <class T>
void FnoModel<T>::predict(const T* params, const T* x, int batch, int nx, int ny, T* y) {
  if (batch == m_train.batch && nx == m_train.nx && ny == m_train.ny) {  // forward()'s workspace: no more memory
    m_backward_ready = false;
    run_forward(m_train, m_convs, params, x, batch, nx, ny, y, false);
  } else {
    run_forward(m_infer, m_infer_convs, params, x, batch, nx, ny, y, false);
  }
}

template <class T>
void FnoModel<T>::run_forward(Activations& w, std::vector<SpectralConv2d<T>>& convs, const T* params, const T* x,
                              int batch, int nx, int ny, T* y, bool keep) {
  NPDE_REQUIRE(batch >= 1, "FNO forward on " << batch << " samples");
  allocate(w, batch, nx, ny, keep);
  const long P = long(nx) * ny, tile = w.tile;
  const int cin = m_shape.in, H = m_shape.width, L = m_shape.blocks;
  // lifting: the inputs beside the grid channels allocate() wrote, then in + 2 -> 2H -> H
  T *a0 = w.a0.data(), *l1z = w.l1z.data(), *l1 = w.l1.data(), *h0 = w.h[0].data();
  // inference: the lifting's and projection's GELUs in place in a scratch tile, not in whole fields
  const TileRef<T> sc{w.scratch.data(), int(tile)};
  const TileRef<const T> sc_in{sc.p, sc.ld};
  for_tiles(batch, P, tile, [&](const Tile& t) {
    const long shift = 2 * P * t.b;  // (b, c, p) of x is (b, c, p) of a0 moved by 2 P b
    tile_rows("npde::fno::FnoModel::inputs", t, cin, KOKKOS_LAMBDA(const int, const long e) { a0[e + shift] = x[e]; });
    if (!keep) {
      tile_map(m_lift1, params, field_tile<const T>(a0, m_lift1.in, t), sc, t.n);
      scratch_gelu("npde::fno::FnoModel::lift_gelu", m_lift1.out, t.n, sc);
      tile_map(m_lift2, params, sc_in, field_tile(h0, m_lift2.out, t), t.n);
      return;
    }
    tile_map(m_lift1, params, a0, l1z, t);
    tile_bias_gelu<T>("npde::fno::FnoModel::lift_gelu", t, m_lift1.out, nullptr, l1z, l1);
    tile_map(m_lift2, params, l1, h0, t);
  });
  // a block's fields: its own (kept), or the one set of all blocks (inference)
  const auto at = [&](std::vector<View1<T>>& v, int l) { return v[std::size_t(keep ? l : 0)].data(); };
  const auto input = [&](int l) { return w.h[std::size_t(keep ? l : 0)].data(); };
  for (int l = 0; l < L; ++l) {
    const Block& bl = m_blocks[l];
    const T* h = input(l);
    T *z = at(w.z, l), *g = at(w.g, l), *m1z = at(w.m1z, l), *m1 = at(w.m1, l), *oz = at(w.out_z, l);
    T* hn = input(l + 1);
    const T* gate = params + bl.gate;
    const bool last = l + 1 == L;
    // z = spectral(h) + bias + W_skip h over the whole field; then point by point
    convs[std::size_t(l)].forward(params + bl.spectral, h, batch, nx, ny, z);
    for_tiles(batch, P, tile, [&](const Tile& t) {
      tile_map(bl.skip, params, h, z, t, true);
      tile_bias_gelu("npde::fno::FnoModel::block_gelu", t, H, params + bl.spectral_bias, z, g, keep);
      tile_map(bl.mlp1, params, g, m1z, t);
      tile_bias_gelu<T>("npde::fno::FnoModel::mlp_gelu", t, H / 2, nullptr, m1z, m1, keep);
      tile_map(bl.mlp2, params, m1, oz, t);
      if (last) {
        tile_rows("npde::fno::FnoModel::gate", t, H, KOKKOS_LAMBDA(const int c, const long e) {
          hn[e] = oz[e] + gate[c] * h[e];
        });
      } else if (keep) {  // the output, and gelu' kept in oz for the reverse pass
        tile_rows("npde::fno::FnoModel::gate", t, H, KOKKOS_LAMBDA(const int c, const long e) {
          T av, dv;
          gelu_both(oz[e] + gate[c] * h[e], av, dv);
          hn[e] = av;
          oz[e] = dv;
        });
      } else {
        tile_rows("npde::fno::FnoModel::gate", t, H, KOKKOS_LAMBDA(const int c, const long e) {
          T av, dv;
          gelu_both(oz[e] + gate[c] * h[e], av, dv);
          hn[e] = av;
        });
      }
    });
  }
  T *pz = w.proj_z.data(), *pa = w.proj_a.data();
  const T* hl = input(L);
  for_tiles(batch, P, tile, [&](const Tile& t) {
    if (!keep) {
      tile_map(m_proj1, params, field_tile(hl, m_proj1.in, t), sc, t.n);
      scratch_gelu("npde::fno::FnoModel::proj_gelu", m_proj1.out, t.n, sc);
      tile_map(m_proj2, params, sc_in, field_tile(y, m_proj2.out, t), t.n);
      return;
    }
    tile_map(m_proj1, params, hl, pz, t);
    tile_bias_gelu<T>("npde::fno::FnoModel::proj_gelu", t, m_proj1.out, nullptr, pz, pa);
    tile_map(m_proj2, params, pa, y, t);
  });
}

template <class T>
void FnoModel<T>::backward(const T* params, const T* ybar, T* xbar, T* grad) {
  NPDE_REQUIRE(m_train.batch > 0 && m_backward_ready, "FnoModel::backward without a forward since the last predict at its shape");
  const int batch = m_train.batch, H = m_shape.width, L = m_shape.blocks, cin = m_shape.in;
  const long P = long(m_train.nx) * m_train.ny;
  // adjoints over the whole field: hb a block input's adjoint (the skip paths' part, then the spectral
  // path's added by its inverse transform's GEMM), ob the last block output's (the projection's input
  // adjoint; the other blocks' output adjoints live in a scratch tile), gb the block GELU's input's.
  // The hidden layers' adjoints of the projection, the channel
  // MLP and the lifting live inside one tile only: they go to a scratch tile (ts, ld = the tile's
  // points), so BLAS's clearing pass and the products that read them stay in cache.
  T *hb = m_adj_in.data(), *ob = m_adj_out.data(), *gb = m_adj_gelu.data();
  const T* ones = m_ones.data();
  T *scratch = m_tile_scratch.data(), *ts = m_tile_adj.data(), *so = m_tile_out_adj.data();
  const long tile = m_train.tile;
  const int ldt = int(tile);
  const TileRef<T> hidden{ts, ldt};
  const TileRef<const T> hidden_in{ts, ldt};
  {
    const T *pz = m_train.proj_z.data(), *pact = m_train.proj_a.data(), *hl = m_train.h[L].data();
    for_tiles(batch, P, m_train.tile, [&](const Tile& t) {
      tile_row_sums(t, m_proj2.out, ybar, ones, grad + m_proj2.b);
      map_backward(m_proj2, params, field_tile(pact, m_proj2.in, t), field_tile(ybar, m_proj2.out, t), hidden, false,
                   grad, t.n);
      scale_by_field("npde::fno::FnoModel::proj_gelu_adjoint", t, m_proj1.out, ts, ldt, pz);
      row_sums(m_proj1.out, t.n, ts, ldt, ones, grad + m_proj1.b);
      map_backward(m_proj1, params, field_tile(hl, m_proj1.in, t), hidden_in, field_tile(ob, m_proj1.in, t), false,
                   grad, t.n);
    });
  }
  for (int l = L - 1; l >= 0; --l) {
    const Block& bl = m_blocks[l];
    const T *h = m_train.h[l].data(), *oz = m_train.out_z[l].data(), *z = m_train.z[l].data(), *g = m_train.g[l].data(),
            *m1z = m_train.m1z[l].data(), *m1 = m_train.m1[l].data();
    const T* gate = params + bl.gate;
    const bool last = l + 1 == L;
    for_tiles(batch, P, m_train.tile, [&](const Tile& t) {
      // the adjoint of the block output: the projection's input adjoint ob (last block), or the next
      // block's input adjoint hb through the GELU, used within this tile only (scratch tile so,
      // channel c at c * tile); the gating skip's share of the input's (the products with h of the
      // gate's gradient go to a scratch tile as well)
      // (two loops, not one testing `last` per element: that test kept the loop scalar)
      const long off = long(t.b) * H * P + t.p0, gap = P - tile;
      if (last) {
        tile_rows("npde::fno::FnoModel::gate_adjoint", t, H, KOKKOS_LAMBDA(const int c, const long e) {
          const T v = ob[e];
          hb[e] = gate[c] * v;
          scratch[e - off - c * gap] = v * h[e];
        });
      } else {
        tile_rows("npde::fno::FnoModel::gate_adjoint", t, H, KOKKOS_LAMBDA(const int c, const long e) {
          const T v = hb[e] * oz[e];  // oz holds gelu'
          const long s = e - off - c * gap;
          so[s] = v;
          hb[e] = gate[c] * v;
          scratch[s] = v * h[e];
        });
      }
      const TileRef<const T> outbar = last ? field_tile<const T>(ob, H, t) : TileRef<const T>{so, ldt};
      row_sums(H, t.n, scratch, ldt, ones, grad + bl.gate);
      row_sums(H, t.n, outbar.p, outbar.ld, ones, grad + bl.mlp2.b);
      map_backward(bl.mlp2, params, field_tile(m1, H / 2, t), outbar, hidden, false, grad, t.n);
      scale_by_field("npde::fno::FnoModel::mlp_gelu_adjoint", t, H / 2, ts, ldt, m1z);
      row_sums(H / 2, t.n, ts, ldt, ones, grad + bl.mlp1.b);
      map_backward(bl.mlp1, params, field_tile(g, H, t), hidden_in, field_tile(gb, H, t), false, grad, t.n);
      tile_rows("npde::fno::FnoModel::block_gelu_adjoint", t, H, KOKKOS_LAMBDA(const int, const long e) { gb[e] *= z[e]; });
      tile_row_sums(t, H, gb, ones, grad + bl.spectral_bias);
      map_backward(bl.skip, params, field_tile(h, H, t), field_tile<const T>(gb, H, t), field_tile(hb, H, t), true,
                   grad, t.n);
    });
    // z = spectral(h) + ...: the spectral path's share of the input adjoint, over the whole field,
    // added onto the skip paths' share
    m_convs[l].backward(params + bl.spectral, gb, hb, grad + bl.spectral, true);
  }
  T* ab = m_adj_lift.data();
  const T *l1z = m_train.l1z.data(), *l1 = m_train.l1.data(), *a0 = m_train.a0.data();
  for_tiles(batch, P, m_train.tile, [&](const Tile& t) {
    tile_row_sums(t, H, hb, ones, grad + m_lift2.b);
    map_backward(m_lift2, params, field_tile(l1, m_lift2.in, t), field_tile<const T>(hb, H, t), hidden, false, grad,
                 t.n);
    scale_by_field("npde::fno::FnoModel::lift_gelu_adjoint", t, m_lift1.out, ts, ldt, l1z);
    row_sums(m_lift1.out, t.n, ts, ldt, ones, grad + m_lift1.b);
    map_backward(m_lift1, params, field_tile(a0, m_lift1.in, t), hidden_in,
                 xbar ? field_tile(ab, m_lift1.in, t) : TileRef<T>{nullptr, 0}, false, grad, t.n);
    if (!xbar) return;
    const long shift = 2 * P * t.b;
    tile_rows("npde::fno::FnoModel::input_adjoint", t, cin, KOKKOS_LAMBDA(const int, const long e) { xbar[e] = ab[e + shift]; });
  });
}

template class FnoModel<double>;
template class FnoModel<float>;

}  // namespace npde::fno
