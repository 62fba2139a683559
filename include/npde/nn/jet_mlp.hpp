// SPDX-License-Identifier: BSD-3-Clause
// Forward jets through an Mlp and the reverse pass for the parameter gradient
// (forward -> context -> backward). All workspaces are allocated once, at construction.
#pragma once

#include <vector>

#include "npde/nn/jet_spec.hpp"
#include "npde/nn/mlp.hpp"

namespace npde::nn {

/// Evaluates the network and the derivative channels of a JetSpec at up to `max_points` points
/// per call, keeping what the reverse pass needs. One instance per point set (interior, boundary, ...).
/// Channel stacking: every layer's activations are one column-major matrix (width, n_channels * n)
/// whose column c*n + p holds channel c of point p, so each linear layer is ONE GEMM.
/// The jet delivered is the MODEL's (Mlp::output_map): for a stream function the network runs a wider
/// jet of psi (stream_function_jet) and output() holds u, v and the other outputs in `spec`'s channels.
template <class T>
class JetMlp {
 public:
  /// [in] net: the network (held by reference: must outlive this object; its parameters are read at
  /// every call, so updates are seen). [in] spec: channels. [in] max_points: chunk capacity.
  JetMlp(const Mlp<T>& net, const JetSpec& spec, int max_points);

  /// The model's jet (what output() holds).
  const JetSpec& spec() const { return m_spec; }
  /// The jet the network itself runs (spec() unless the network has an output map).
  const JetSpec& network_spec() const { return m_inner; }
  /// Moves the tangent channels to other input dimensions (as many as before, distinct, in range);
  /// the channel layout is unchanged, so the workspaces stay. For stochastic dimension sampling.
  void set_tangents(const std::vector<int>& dims);
  int n_channels() const { return m_spec.n_channels(); }
  /// Outputs of output(): the model's (Mlp::n_model_outputs).
  int n_outputs() const { return m_net->n_model_outputs(); }
  int max_points() const { return m_max_points; }

  /// Forward jets at n <= max_points points. x: (n_inputs, n) column-major in MemSpace (point p's
  /// coordinates at x[p*n_inputs ...]). Results in output().
  void forward(const T* x, int n);
  /// Output jets of the last forward: (n_outputs, n_channels*n) column-major; output o, channel c,
  /// point p at o + n_outputs*(c*n + p). Device memory.
  const T* output() const { return m_map_n > 0 ? m_map_out.data() : m_z.back().data(); }
  /// Reverse pass for the last forward(x, n): adj has output()'s layout and holds dLoss/d(output jets);
  /// dLoss/dparams is ADDED to grad (n_params, MemSpace).
  void backward(const T* x, int n, const T* adj, T* grad);
  /// Uses `from`'s reverse-pass scratch (adjoint workspaces, ones) instead of its own: for jets of one
  /// network whose backward() calls never overlap (JetChunks' chunks), so that the scratch of every
  /// reverse pass is the same, cache-warm memory. `from`: the same network and jet, at least as many
  /// points.
  void share_scratch(const JetMlp& from);

 private:
  const Mlp<T>* m_net;
  JetSpec m_spec;      ///< the model's jet
  JetSpec m_inner;     ///< the network's jet (m_layout is its layout)
  JetLayout m_layout;
  // output map (stream function): its terms (model entry o + NO c, network entry o' + NI c', coef), the
  // model's jets and their adjoint mapped back to the network's
  int m_map_n = 0;
  Kokkos::View<int*, MemSpace> m_map_dst, m_map_src;
  View1<T> m_map_coef, m_map_out, m_map_adj;
  int m_max_points;
  std::vector<View1<T>> m_z;  ///< pre-activation jets per layer (the last one is the output)
  std::vector<View1<T>> m_a;  ///< post-activation jets per hidden layer (after the gate of a modified MLP)
  // modified MLP: the encoders' pre-activation and activation jets (U, V), each gated layer's
  // activation jets before the gate, and the encoders' adjoints collected over the layers
  View1<T> m_enc_z[2], m_enc_a[2];
  std::vector<View1<T>> m_s;
  View1<T> m_adj_s, m_adj_enc[2];
  View1<T> m_adj_res;  ///< PirateNet: (1 - alpha) times the adjoint of a block's output, for its input
  View1<T> m_adj_a, m_adj_z;  ///< reverse-pass scratch
  View1<T> m_ones;            ///< ones(max_points): bias and tangent sums as GEMMs
  // input embedding (empty Views without one): feature jets (n_features, n_channels * n), and the
  // features' frequencies (n_features, raw inputs, column-major by feature), shifts and kinds
  View1<T> m_phi, m_omega, m_shift;
  Kokkos::View<int*, MemSpace> m_kind;
  // Gaussian features: the adjoint of their jets (the sum over the maps that read them) and each
  // point's contribution to the gradient of mu and log sigma (2 K d rows, n columns)
  View1<T> m_adj_phi, m_gauss_grad;
  bool m_adj_phi_started = false;

  /// z = W x (bias not added) for a map reading the network input (raw coordinates or features).
  void input_linear(const T* W, int out, const T* x, int n, T* z);
  /// Gradient of such a map from the adjoint zbar of its output (value channel carries the bias).
  void input_linear_backward(const T* x, int n, const DenseLayer& d, const T* zbar, T* grad);
};

}  // namespace npde::nn
