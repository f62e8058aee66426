// The canonical WQL text of a parsed query: what the daemon stores and shows, and what
// parseWql() reads back to an equal query.

#include <wbem/names.hpp>
#include <wbem/wql.hpp>

#include <charconv>
#include <string>

namespace wbem {
namespace {

// Binding strength, loosest first: an operand is parenthesised when it binds looser than its parent.
int precedence(WqlCondition::Kind kind) noexcept {
  switch (kind) {
    case WqlCondition::Kind::Or:
      return 0;
    case WqlCondition::Kind::And:
      return 1;
    case WqlCondition::Kind::Not:
      return 2;
    case WqlCondition::Kind::Compare:
      break;
  }
  return 3;
}

void appendString(std::string& out, const std::string& s) {
  out += '"';
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

void appendReal(std::string& out, double v) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, v);
  const std::string_view text(buffer, static_cast<std::size_t>(result.ptr - buffer));
  out += text;
  // Shortest form of a whole number has no '.' or exponent; add one so that it reads back as a real.
  if (text.find_first_of(".eEn") == std::string_view::npos) out += ".0";
}

void appendLiteral(std::string& out, const Value& v) {
  if (v.isNull()) {
    out += "NULL";
    return;
  }
  switch (v.type()) {
    case CimType::String:
      appendString(out, v.asString());
      return;
    case CimType::Boolean:
      out += v.asBool() ? "TRUE" : "FALSE";
      return;
    case CimType::Real32:
    case CimType::Real64:
      appendReal(out, v.asReal());
      return;
    case CimType::SInt8:
    case CimType::SInt16:
    case CimType::SInt32:
    case CimType::SInt64:
      out += std::to_string(v.asInt64());
      return;
    case CimType::UInt8:
    case CimType::UInt16:
    case CimType::UInt32:
    case CimType::UInt64:
      out += std::to_string(v.asUInt64());
      return;
    default:
      // Not produced by the parser (dates and references are written as strings in WQL).
      out += v.toMof();
      return;
  }
}

// A path as the query must spell it: one whose first name is the class's gets the class qualifier
// back, since the parser drops a leading class name (`C.C.x` is stored as `C.x`).
void appendPath(std::string& out, const WqlPath& path, const std::string& className) {
  if (path.names.size() >= 2 && iequals(path.names.front(), className)) out += className + '.';
  out += path.toString();
}

void appendCondition(std::string& out, const WqlCondition& c, const std::string& className) {
  const auto operand = [&](const WqlCondition& o) {
    const bool parens =
        precedence(o.kind) < precedence(c.kind) ||
        // A flattened node under a node of its own kind only arises when built by hand.
        (o.kind == c.kind && o.kind != WqlCondition::Kind::Not && o.kind != WqlCondition::Kind::Compare);
    if (parens) out += '(';
    appendCondition(out, o, className);
    if (parens) out += ')';
  };
  switch (c.kind) {
    case WqlCondition::Kind::And:
    case WqlCondition::Kind::Or: {
      const char* separator = c.kind == WqlCondition::Kind::And ? " AND " : " OR ";
      bool first = true;
      for (const WqlCondition& o : c.operands) {
        if (!first) out += separator;
        first = false;
        operand(o);
      }
      return;
    }
    case WqlCondition::Kind::Not:
      out += "NOT ";
      for (const WqlCondition& o : c.operands) operand(o);
      return;
    case WqlCondition::Kind::Compare:
      break;
  }
  const WqlComparison& cmp = c.comparison;
  appendPath(out, cmp.path, className);
  out += ' ';
  out += wqlOpText(cmp.op);
  if (cmp.op == WqlOp::IsNull || cmp.op == WqlOp::IsNotNull) return;
  out += ' ';
  appendLiteral(out, cmp.literal);
}

void appendPaths(std::string& out, const std::vector<WqlPath>& paths, const std::string& className) {
  bool first = true;
  for (const WqlPath& p : paths) {
    if (!first) out += ", ";
    first = false;
    appendPath(out, p, className);
  }
}

}  // namespace

std::string_view wqlOpText(WqlOp op) noexcept {
  switch (op) {
    case WqlOp::Equal:
      return "=";
    case WqlOp::NotEqual:
      return "<>";
    case WqlOp::Less:
      return "<";
    case WqlOp::LessEqual:
      return "<=";
    case WqlOp::Greater:
      return ">";
    case WqlOp::GreaterEqual:
      return ">=";
    case WqlOp::Like:
      return "LIKE";
    case WqlOp::Isa:
      return "ISA";
    case WqlOp::IsNull:
      return "IS NULL";
    case WqlOp::IsNotNull:
      return "IS NOT NULL";
  }
  return "?";
}

std::string WqlPath::toString() const {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += '.';
    out += names[i];
  }
  return out;
}

std::string WqlQuery::toString() const {
  std::string out = "SELECT ";
  if (selectAll)
    out += '*';
  else
    appendPaths(out, selectList, className);
  out += " FROM ";
  out += className;
  if (within) {
    out += " WITHIN ";
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, *within);
    out.append(buffer, result.ptr);
  }
  if (where) {
    out += " WHERE ";
    appendCondition(out, *where, className);
  }
  if (groupWithin) {
    out += " GROUP WITHIN " + std::to_string(*groupWithin);
    if (!groupBy.empty()) {
      out += " BY ";
      appendPaths(out, groupBy, className);
    }
    if (having) {
      out += " HAVING " + having->path.toString() + ' ';
      out += wqlOpText(having->op);
      out += ' ';
      appendLiteral(out, having->literal);
    }
  }
  return out;
}

}  // namespace wbem
