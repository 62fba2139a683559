// SPDX-License-Identifier: BSD-3-Clause
// muParser-backed expressions.
#include "npde/core/expression.hpp"

#include <muParser.h>

#include <cmath>

#include "npde/core/error.hpp"

namespace npde {

struct Expression::Impl {
  mu::Parser parser;
  std::vector<double> values;  // storage bound to the parser's variables
};

namespace {
std::unique_ptr<Expression::Impl> build(const std::string& text, const std::vector<std::string>& vars,
                                         const std::string& what, const Expression::Constants& constants) {
  auto impl = std::make_unique<Expression::Impl>();
  impl->values.assign(vars.size(), 0.0);
  try {
    impl->parser.DefineConst("pi", M_PI);
    impl->parser.DefineConst("e", M_E);
    for (const auto& [name, value] : constants) impl->parser.DefineConst(name, value);
    for (std::size_t i = 0; i < vars.size(); ++i) impl->parser.DefineVar(vars[i], &impl->values[i]);
    impl->parser.SetExpr(text);
    // Evaluate once at the origin: muParser reports unknown names and syntax errors here.
    (void)impl->parser.Eval();
  } catch (mu::Parser::exception_type& e) {
    std::string allowed;
    for (const auto& v : vars) allowed += (allowed.empty() ? "" : ", ") + v;
    // YAML strings may hold newlines, and muParser accepts them: the message stays one line
    std::string quoted = text;
    for (auto& c : quoted)
      if (c == '\n' || c == '\r') c = ' ';
    std::string names = "pi, e";
    for (const auto& c : constants) names += ", " + c.first;
    NPDE_INPUT_ERROR(what << ": cannot parse expression '" << quoted << "': " << e.GetMsg()
                          << " (variables: " << allowed << "; constants: " << names << ")");
  }
  return impl;
}
}  // namespace

Expression::Expression(const std::string& text, const std::vector<std::string>& variables, const std::string& what)
    : m_impl(build(text, variables, what, {})), m_text(text), m_vars(variables), m_what(what) {}
Expression::Expression(const std::string& text, const std::vector<std::string>& variables, const std::string& what,
                       const Constants& constants)
    : m_impl(build(text, variables, what, constants)), m_text(text), m_vars(variables), m_what(what),
      m_constants(constants) {}
Expression::Expression() = default;
Expression::~Expression() = default;
Expression::Expression(Expression&&) noexcept = default;
Expression& Expression::operator=(Expression&&) noexcept = default;
Expression::Expression(const Expression& other)
    : m_impl(other.m_impl ? build(other.m_text, other.m_vars, other.m_what, other.m_constants) : nullptr),
      m_text(other.m_text), m_vars(other.m_vars), m_what(other.m_what), m_constants(other.m_constants) {}
Expression& Expression::operator=(const Expression& other) {
  if (this != &other) {
    Expression tmp(other);
    *this = std::move(tmp);
  }
  return *this;
}

double Expression::eval(const double* vars) const {
  NPDE_REQUIRE(m_impl, "expression for " << m_what << " is not defined");
  for (std::size_t i = 0; i < m_vars.size(); ++i) m_impl->values[i] = vars[i];
  try {
    return m_impl->parser.Eval();
  } catch (mu::Parser::exception_type& e) {
    NPDE_INPUT_ERROR(m_what << ": cannot evaluate '" << m_text << "': " << e.GetMsg());
  }
}

void Expression::eval_many(const double* points, std::size_t n, double* out) const {
  const std::size_t nv = m_vars.size();
  for (std::size_t i = 0; i < n; ++i) out[i] = eval(points + i * nv);
}

}  // namespace npde
