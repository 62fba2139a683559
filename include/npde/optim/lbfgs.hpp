// SPDX-License-Identifier: BSD-3-Clause
// Limited-memory BFGS with a strong-Wolfe line search, for full-batch PINN training.
#pragma once

#include <npde/core/types.hpp>
#include <npde/optim/objective.hpp>
#include <npde/optim/state.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace npde::optim {

namespace detail {
class Reducer;
}

/// L-BFGS settings (deck: one `training.stages` entry with `optimizer: lbfgs`).
struct LbfgsOptions {
  double lr = 1.0;                 ///< initial trial step (scaled by min(1, 1/|g|_1) without history), > 0
  int history = 50;                ///< curvature pairs kept, >= 1
  double tolerance_grad = 1e-12;   ///< converged when max |grad| <= this
  double tolerance_change = 1e-15; ///< converged when |dloss| <= this * max(|loss_old|, |loss_new|)
                                   ///< or max |step| <= this
  int max_line_search = 25;        ///< objective evaluations per iteration, >= 1
  double c1 = 1e-4;                ///< sufficient-decrease constant, 0 < c1 < c2
  double c2 = 0.9;                 ///< curvature constant, c1 < c2 < 1
  /// false: the limited-memory two-loop recursion (L-BFGS). true: a dense inverse Hessian (n x n,
  /// host, double) updated by self-scaled BFGS with Al-Baali's scaling (SSBFGS; `history` unused),
  /// for at most kMaxDenseParameters parameters.
  bool dense = false;
};

/// Largest parameter count of the dense (SSBFGS) inverse Hessian: 5000^2 doubles = 200 MB per rank.
inline constexpr std::size_t kMaxDenseParameters = 5000;

/// Throws npde::InputError (one line naming the key) when an option is out of range.
void validate(const LbfgsOptions& opts);

/// What one L-BFGS iteration did.
struct LbfgsStep {
  double loss = 0;           ///< loss at the returned point
  int evaluations = 0;       ///< objective calls made in this iteration (<= 2 * max_line_search)
  bool converged = false;    ///< stop iterating (see reason)
  std::string reason;        ///< why converged; empty otherwise
  double step_length = 0;    ///< accepted t in x_new = x_old + t d (0 when no step was taken)
  bool strong_wolfe = false; ///< the accepted step satisfied both strong-Wolfe conditions
};

/// Quasi-Newton optimiser over one flat parameter View with a strong-Wolfe line search (Nocedal &
/// Wright, alg. 3.5, 3.6): L-BFGS (alg. 7.4) or, with options.dense, self-scaled BFGS on a dense
/// inverse Hessian (docs/numerics.md, "Optimisers").
/// Needs no communication: the objective returns allreduced values, and every reduction here
/// runs in a fixed order independent of thread count, so all ranks take identical decisions.
template <class T>
class Lbfgs {
 public:
  /// Allocates every workspace (2 * history + 5 vectors of shape (n), device); steps allocate none.
  /// With active `segments` the vector is spread over ranks (n is the local length): every dot product
  /// and norm is reduced over the ranks (Segments), so all ranks still take identical decisions; the
  /// dense (SSBFGS) mode is not available then.
  Lbfgs(std::size_t n, const LbfgsOptions& opts, const Segments& segments = {});
  ~Lbfgs();
  Lbfgs(Lbfgs&&);
  Lbfgs& operator=(Lbfgs&&);
  Lbfgs(const Lbfgs&) = delete;
  Lbfgs& operator=(const Lbfgs&) = delete;

  /// One iteration from x with its known loss and grad (evaluate them once before the first step).
  /// [in,out] x, grad: shape (n), device; [in,out] loss. On return they hold the new point, or are
  /// unchanged when the step reports converged without moving (gradient small, line search failed).
  /// When the search along the quasi-Newton direction fails, the history is dropped and the search
  /// retried once from steepest descent. Calls f between 0 and 2 * max_line_search times;
  /// collective exactly when f is.
  LbfgsStep step(const View1<T>& x, T& loss, const View1<T>& grad, const Objective<T>& f);

  /// Stored curvature pairs (0 .. history).
  int history_size() const { return m_count; }
  /// Forgets all curvature pairs (the next step is a scaled steepest-descent step).
  void reset();
  /// Host copy of the state between iterations (pairs, ring position, scaling, counter).
  LbfgsState state() const;
  /// Restores a state taken from an optimiser with the same size and history (throws otherwise).
  void set_state(const LbfgsState& s);

  /// Collective reductions so far (parameters spread over ranks; 0 otherwise).
  long collectives() const;
  /// Iterations that moved x.
  long iteration() const { return m_iteration; }
  const LbfgsOptions& options() const { return m_opts; }
  std::size_t size() const { return m_n; }

 private:
  struct LineSearch {
    double t = 0, f = 0;
    int evaluations = 0;
    bool found = false, strong_wolfe = false;
  };
  void compute_direction(const View1<T>& grad);
  /// The two-loop recursion on coefficients over the basis (s_i, y_i, g) from their dot products,
  /// which one batched reduction brings up to date (the parameters spread over ranks).
  void compute_direction_batched(const View1<T>& grad);
  LineSearch line_search(const View1<T>& x, const Objective<T>& f, double f0, double dphi0, double t0,
                         double d_inf);
  void update_history(const View1<T>& x, const View1<T>& grad, double step_length);
  void update_dense(const View1<T>& x, const View1<T>& grad, double step_length);
  int slot(int k) const;  // storage column of the k-th oldest pair

  std::size_t m_n;
  LbfgsOptions m_opts;
  View2<T> m_s, m_y;              // curvature pairs, shape (n, history), ring buffer by column
  std::vector<double> m_rho, m_alpha;
  int m_head = 0, m_count = 0;    // next column to write; pairs stored
  double m_gamma = 1;             // initial Hessian scaling s'y / y'y of the newest pair
  long m_iteration = 0;
  View1<T> m_x0, m_g0, m_d, m_g_trial, m_g_lo;
  std::vector<double> m_h;        // dense mode: inverse Hessian, n x n (upper triangle meaningful)
  // batched mode (segments active, not dense): the pairs' dot products, history x history row-major
  // by storage column (ss(i, j) = s_i's_j, sy(i, j) = s_i'y_j, yy(i, j) = y_i'y_j); columns whose
  // rows are stale (a new pair, or a restored state) are recomputed with the next direction
  bool m_batched = false;
  std::vector<double> m_ss, m_sy, m_yy;
  std::vector<char> m_stale;
  double m_g_inf_new = 0;  // |g|_inf at the accepted point (batched with the pair's products)
  std::unique_ptr<detail::Reducer> m_reducer;
};

extern template class Lbfgs<double>;
extern template class Lbfgs<float>;

}  // namespace npde::optim
