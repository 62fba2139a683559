// SPDX-License-Identifier: BSD-3-Clause
// The FNO / TFNO model of neuraloperator's defaults in 2D: grid channels, lifting, Fourier blocks,
// projection; forward and hand-written reverse pass over a batch (docs/numerics.md, "Fourier neural
// operators").
#pragma once

#include <cstdint>
#include <vector>

#include "npde/core/types.hpp"
#include "npde/fno/spectral_conv.hpp"

namespace npde::fno {

/// Shape of an FNO: `in` data channels (two grid channels x = i/nx, y = j/ny are appended), `out`
/// channels, `width` H hidden channels, `blocks` Fourier blocks keeping modes_x x modes_y modes.
struct FnoShape {
  int in = 1, out = 1, width = 32, blocks = 4, modes_x = 12, modes_y = 12;
  int lifting_ratio = 2;     ///< lifting MLP: in + 2 -> ratio H -> H
  int projection_ratio = 2;  ///< projection MLP: H -> ratio H -> out
  SpectralWeights weights;   ///< dense, CP or Tucker spectral weights
};

/// One dense 1x1 map of the model: W (out x in, column-major) at offset w, bias (out) at b (or none).
struct ChannelMap {
  std::size_t w = 0, b = 0;
  int out = 0, in = 0;
  bool bias = true;
};

/// neuraloperator's FNO with its defaults (block: spectral conv with bias + 1x1 linear skip without
/// bias, GELU, channel MLP H -> H/2 -> H with GELU + soft-gating skip of the block input, GELU except
/// after the last block), all parameters in one flat vector. Fields (batch, channel, nx, ny), y fastest.
template <class T>
class FnoModel {
 public:
  explicit FnoModel(const FnoShape& shape);
  const FnoShape& shape() const { return m_shape; }
  std::size_t n_params() const { return m_n_params; }
  /// Real parameters of the spectral weights (dense or factorised) and what they would be dense.
  std::size_t spectral_params() const;
  std::size_t dense_spectral_params() const;
  /// Nominal floating-point operations of one training step (forward and reverse pass) on `batch`
  /// fields of nx x ny: the 1x1 maps' GEMMs (2 P in out forward, twice that backward), the spectral
  /// contractions (8 flops per complex multiply-add, factor by factor for CP/Tucker) and the FFTs
  /// (2.5 N log2 N per real transform of N points, four per field and block). What the benchmark's
  /// GFLOP/s and % of the GEMM peak are computed from.
  double step_flops(int batch, int nx, int ny) const;
  /// 1x1 layers U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (PyTorch's default), spectral weights as
  /// SpectralConv2d::init, spectral biases N(0, 2/(2H)), gates 1; counter-based from the seed.
  void init(T* params, std::uint64_t seed) const;
  /// y (batch, out, nx, ny) from x (batch, in, nx, ny); keeps the activations for backward().
  void forward(const T* params, const T* x, int batch, int nx, int ny, T* y);
  /// From ybar: ADDS the parameters' gradient to grad; WRITES xbar when it is not null.
  void backward(const T* params, const T* ybar, T* xbar, T* grad);
  /// y from x as forward() computes it, bit for bit, without keeping what backward() needs (its
  /// GELUs write no derivatives, its blocks share one set of fields). At forward()'s last shape it
  /// runs in forward()'s workspace (no memory of its own; backward() then needs a new forward()); at
  /// any other shape in a workspace and spectral layers of its own, which leave forward()'s state and
  /// allocations alone (at width 64 about 17 % of the fields forward() keeps). For evaluations and
  /// `npde predict`.
  void predict(const T* params, const T* x, int batch, int nx, int ny, T* y);
  /// Grid points per tile of the pointwise layers (1x1 maps, GELUs, gates), which run tile by tile
  /// (a tile's bias, GELU and gating follow its GEMM while it is in cache); 0 (the default) picks a
  /// whole sample, on the host up to 16384 points. For tests and tuning.
  void set_tile_points(long points) { m_tile_request = points, m_train.batch = 0, m_infer.batch = 0; }
  long tile_points() const { return m_train.tile; }

 private:
  struct Block {
    std::size_t spectral = 0, spectral_bias = 0, gate = 0;
    ChannelMap skip, mlp1, mlp2;
  };
  FnoShape m_shape;
  std::size_t m_n_params = 0;
  ChannelMap m_lift1, m_lift2, m_proj1, m_proj2;
  std::vector<Block> m_blocks;
  std::vector<SpectralConv2d<T>> m_convs, m_infer_convs;  ///< forward()'s (state kept for backward()), predict()'s
  /// The activations of one shape (each batch x channels x nx x ny): forward()'s, kept for the reverse
  /// pass, or predict()'s (one set of fields for all blocks, the block input overwritten by the
  /// output); `tile` grid points per tile of the pointwise layers.
  struct Activations {
    int batch = 0, nx = 0, ny = 0;
    long tile = 0;
    View1<T> a0, l1z, l1, proj_z, proj_a;  ///< (predict()'s own workspace: a0 only)
    View1<T> scratch;  ///< predict()'s lifting and projection hidden layers on one tile
    std::vector<View1<T>> h;                    ///< block inputs (the last is the projection's input)
    std::vector<View1<T>> z, g, m1z, m1, out_z;  ///< per block: s + skip, GELU of it, MLP hidden pre/post, pre-GELU output
  };
  Activations m_train, m_infer;
  bool m_backward_ready = false;  ///< forward()'s state is intact (no predict() in its workspace since)
  View1<T> m_ones, m_tile_scratch;   ///< a tile of ones and of H channels (the reverse pass's sums)
  View1<T> m_tile_adj;               ///< the reverse pass's hidden-layer adjoints of one tile
  View1<T> m_tile_out_adj;           ///< a block output's adjoint after its GELU, of one tile (H channels)
  long m_tile_request = 0;  ///< grid points per tile of the pointwise layers (0 = automatic)
  /// the reverse pass's whole-field adjoints: a block input's (skip and spectral paths summed), a block
  /// output's, the block GELU input's, and the lifting's input's
  View1<T> m_adj_in, m_adj_out, m_adj_gelu, m_adj_lift;
  void allocate(Activations& w, int batch, int nx, int ny, bool keep);
  void run_forward(Activations& w, std::vector<SpectralConv2d<T>>& convs, const T* params, const T* x, int batch,
                   int nx, int ny, T* y, bool keep);
};

}  // namespace npde::fno
