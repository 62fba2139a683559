// SPDX-License-Identifier: BSD-3-Clause
// User expressions from input decks (muParser), evaluated on the host at sample points.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace npde {

/// A scalar expression of named variables, e.g. "sin(pi*x)*sin(pi*y)".
/// Constants pi and e are predefined. Parsing happens in the constructor, so a bad
/// expression is reported (npde::InputError naming `what`) before any work starts.
/// Not thread-safe: one instance per host thread.
class Expression {
 public:
  Expression();
  /// [in] text: the expression; [in] variables: names bound to eval()'s arguments, in order;
  /// [in] what: the deck key it came from (used in error messages).
  Expression(const std::string& text, const std::vector<std::string>& variables, const std::string& what);
  /// As above, with named constants (the deck's problem.parameters) besides pi and e.
  using Constants = std::vector<std::pair<std::string, double>>;
  Expression(const std::string& text, const std::vector<std::string>& variables, const std::string& what,
             const Constants& constants);
  ~Expression();
  Expression(Expression&&) noexcept;
  Expression& operator=(Expression&&) noexcept;
  Expression(const Expression& other);
  Expression& operator=(const Expression& other);

  /// Value at the point whose coordinates are vars[0..n_vars-1].
  double eval(const double* vars) const;
  /// Values at n points stored row-major (n, n_vars) in `points`; writes n values to `out`.
  void eval_many(const double* points, std::size_t n, double* out) const;
  /// True once constructed from a text.
  bool defined() const { return static_cast<bool>(m_impl); }
  const std::string& text() const { return m_text; }
  std::size_t n_vars() const { return m_vars.size(); }

  struct Impl;  // muParser state (public so the implementation file's helpers can build it)

 private:
  std::unique_ptr<Impl> m_impl;
  std::string m_text;
  std::vector<std::string> m_vars;
  std::string m_what;
  Constants m_constants;
};

}  // namespace npde
