// The WQL parser: recursive descent over the grammar of spec 2.1, one token of look-ahead.
//
// Decisions (where WMI's documentation leaves room):
// - Class-qualified names, used by the OpenWBEM suite and accepted by WMI's own parser (its parse
//   tree has a table qualifier on column references): `SELECT C.* FROM C` is `SELECT *`, and a
//   path of two or more names whose first name is the FROM class (`C.Prop`, `C.Obj.Prop`) drops
//   that qualifier, in the select list, in WHERE and in BY. `C.*` must be the only select item.
// - `prop NOT LIKE "x"` (SFCB's suite, Wine's WQL) is accepted as `NOT prop LIKE "x"`.
// - A literal may come first only with =, <>, !=, <, <=, >, >= (`5 < P` is stored as `P > 5`).
// - ISA takes a quoted class name; `IS` takes only NULL or NOT NULL (spec Q11), so OpenWBEM's
//   `IS TRUE`, `ISNULL`, `b'1010'` and `x'A'` forms and SFCB's unquoted ISA are syntax errors.
// - A LIKE pattern with a '[' that is never closed is a syntax error at the pattern.
// - HAVING is `NumberOfEvents relop uint32`, property first (spec G5).
// - Parentheses and NOT together may nest at most 256 deep, so that the tree (and every recursive
//   walk over it, here and in the evaluator) stays shallow whatever the input.
// - Positions: a path's is its first name's, a comparison's its operator's, withinPosition the
//   WITHIN keyword's, groupPosition the GROUP keyword's.

#include <wbem/names.hpp>
#include <wbem/wql.hpp>

#include <charconv>
#include <limits>
#include <utility>

#include "wql_lexer.hpp"

namespace wbem {
namespace {

using wql::Keyword;
using wql::Lexer;
using wql::Token;
using wql::TokenKind;

constexpr std::uint32_t kMaxNesting = 256;

TextPosition positionOf(const Token& t) { return TextPosition{"", t.line, t.column}; }

[[noreturn]] void fail(const Token& at, std::string message, Status status = WBEM_E_INVALID_QUERY) {
  throw Error(status, std::move(message), positionOf(at));
}

bool isLiteral(const Token& t) noexcept {
  return t.kind == TokenKind::String || t.kind == TokenKind::Integer || t.kind == TokenKind::Real ||
         t.keyword == Keyword::True || t.keyword == Keyword::False || t.keyword == Keyword::Null;
}

Value literalValue(const Token& t) {
  if (t.keyword == Keyword::True) return Value(true);
  if (t.keyword == Keyword::False) return Value(false);
  if (t.keyword == Keyword::Null) return Value();
  return t.value;
}

// The relational operator a token spells, if any.
std::optional<WqlOp> relationalOp(const Token& t) noexcept {
  switch (t.kind) {
    case TokenKind::Equal:
      return WqlOp::Equal;
    case TokenKind::NotEqual:
      return WqlOp::NotEqual;
    case TokenKind::Less:
      return WqlOp::Less;
    case TokenKind::LessEqual:
      return WqlOp::LessEqual;
    case TokenKind::Greater:
      return WqlOp::Greater;
    case TokenKind::GreaterEqual:
      return WqlOp::GreaterEqual;
    default:
      return std::nullopt;
  }
}

// The operator that keeps the meaning when its operands swap sides (`5 < P` is `P > 5`).
WqlOp mirrored(WqlOp op) noexcept {
  switch (op) {
    case WqlOp::Less:
      return WqlOp::Greater;
    case WqlOp::LessEqual:
      return WqlOp::GreaterEqual;
    case WqlOp::Greater:
      return WqlOp::Less;
    case WqlOp::GreaterEqual:
      return WqlOp::LessEqual;
    default:
      return op;
  }
}

std::string formatNumber(double v) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, v);
  return std::string(buffer, result.ptr);
}

// A path with where its second name starts, to drop a class qualifier once the class is known.
struct QualifiedPath {
  WqlPath path;
  TextPosition secondPosition;
};

class Parser {
 public:
  Parser(std::string_view text, const WqlLimits& limits) : lexer_(text), limits_(limits) {
    query_.text = std::string(text);
    current_ = lexer_.next();
  }

  WqlQuery parse();

 private:
  void advance() { current_ = lexer_.next(); }
  bool at(Keyword k) const noexcept { return current_.kind == TokenKind::Name && current_.keyword == k; }
  [[noreturn]] void expected(std::string_view what) const {
    fail(current_, "expected " + std::string(what) + " but found " + wql::describe(current_));
  }
  void requireName(std::string_view role) const;
  QualifiedPath parsePath(std::string_view role, bool allowStar);
  WqlPath unqualified(QualifiedPath p) const;
  void parseSelectList(std::vector<QualifiedPath>& items, std::optional<Token>& qualifiedStar);
  void parseWithin();
  void parseGroup();
  void parseHaving();
  void countLogicalOperator();
  void enterNesting(const Token& at, std::uint32_t depth) const;
  static void append(WqlCondition& node, WqlCondition operand);
  WqlCondition parseOr(std::uint32_t depth);
  WqlCondition parseAnd(std::uint32_t depth);
  WqlCondition parseNot(std::uint32_t depth);
  WqlCondition parsePrimary(std::uint32_t depth);
  WqlCondition parseComparison();

  Lexer lexer_;
  const WqlLimits& limits_;
  Token current_;
  WqlQuery query_;
};

void Parser::requireName(std::string_view role) const {
  if (current_.kind == TokenKind::Name && current_.keyword != Keyword::None)
    fail(current_, "'" + std::string(current_.text) + "' is a WQL keyword and cannot be used as " + std::string(role));
  if (current_.kind != TokenKind::Name) expected(role);
}

QualifiedPath Parser::parsePath(std::string_view role, bool allowStar) {
  requireName(role);
  QualifiedPath out;
  out.path.position = positionOf(current_);
  out.path.names.emplace_back(current_.text);
  advance();
  while (current_.kind == TokenKind::Dot) {
    advance();
    // `Class.*` is returned with a "*" name for the select list to check.
    if (allowStar && current_.kind == TokenKind::Star && out.path.names.size() == 1) {
      out.path.names.emplace_back("*");
      advance();
      return out;
    }
    if (out.path.names.size() == 1) out.secondPosition = positionOf(current_);
    requireName("a property name");
    out.path.names.emplace_back(current_.text);
    advance();
  }
  return out;
}

WqlPath Parser::unqualified(QualifiedPath p) const {
  if (p.path.names.size() >= 2 && iequals(p.path.names.front(), query_.className)) {
    p.path.names.erase(p.path.names.begin());
    p.path.position = p.secondPosition;
  }
  return std::move(p.path);
}

void Parser::parseSelectList(std::vector<QualifiedPath>& items, std::optional<Token>& qualifiedStar) {
  if (current_.kind == TokenKind::Star) {
    query_.selectAll = true;
    advance();
    return;
  }
  if (current_.kind != TokenKind::Name || at(Keyword::From)) expected("'*' or a property name");
  for (;;) {
    const Token first = current_;
    QualifiedPath item = parsePath("a property name", true);
    if (item.path.names.back() == "*") {
      if (!items.empty() || current_.kind == TokenKind::Comma)
        fail(first, "'" + std::string(first.text) + ".*' must be the only item of the select list");
      qualifiedStar = first;
      return;
    }
    items.push_back(std::move(item));
    if (current_.kind != TokenKind::Comma) return;
    advance();
  }
}

void Parser::parseWithin() {
  const Token keyword = current_;
  advance();
  if (current_.kind != TokenKind::Integer && current_.kind != TokenKind::Real)
    expected("a number of seconds after WITHIN");
  const double seconds = current_.value.asReal();
  if (!(seconds > 0) || seconds < limits_.minWithinSeconds)
    fail(current_, "WITHIN needs a positive number of seconds of at least " + formatNumber(limits_.minWithinSeconds) +
                       " (found " + wql::describe(current_) + ")");
  query_.within = seconds;
  query_.withinPosition = positionOf(keyword);
  advance();
}

void Parser::parseGroup() {
  query_.groupPosition = positionOf(current_);
  advance();
  if (at(Keyword::By) || at(Keyword::Having))
    fail(current_, "GROUP " + std::string(current_.text) + " needs GROUP WITHIN <seconds> first",
         WBEM_E_MISSING_GROUP_WITHIN);
  if (!at(Keyword::Within)) expected("WITHIN after GROUP");
  advance();
  constexpr std::uint64_t kMaxSeconds = std::numeric_limits<std::uint32_t>::max();
  if (current_.kind == TokenKind::Integer && current_.value.type() == CimType::SInt64 && current_.value.asInt64() > 0 &&
      static_cast<std::uint64_t>(current_.value.asInt64()) <= kMaxSeconds) {
    query_.groupWithin = static_cast<std::uint32_t>(current_.value.asInt64());
    advance();
  } else if (current_.kind == TokenKind::Integer || current_.kind == TokenKind::Real) {
    fail(current_,
         "GROUP WITHIN needs a whole number of seconds from 1 to 4294967295 (found " + wql::describe(current_) + ")");
  } else {
    expected("a number of seconds after GROUP WITHIN");
  }
  if (at(Keyword::By)) {
    advance();
    for (;;) {
      query_.groupBy.push_back(unqualified(parsePath("a property name", false)));
      if (current_.kind != TokenKind::Comma) break;
      advance();
    }
  }
  if (at(Keyword::Having)) parseHaving();
}

void Parser::parseHaving() {
  advance();
  if (current_.kind == TokenKind::Name && current_.keyword == Keyword::None) {
    const Token nameToken = current_;
    WqlPath path = parsePath("NumberOfEvents", false).path;
    if (path.names.size() != 1 || !iequals(path.names.front(), "NumberOfEvents"))
      fail(nameToken, "HAVING can only test NumberOfEvents (found '" + path.toString() + "')");
    const Token op = current_;
    const std::optional<WqlOp> rel = relationalOp(op);
    if (!rel) expected("a comparison operator (=, <>, <, <=, >, >=) after NumberOfEvents");
    advance();
    if (current_.kind != TokenKind::Integer || current_.value.type() != CimType::SInt64 ||
        current_.value.asInt64() < 0 || current_.value.asInt64() > std::numeric_limits<std::uint32_t>::max())
      fail(current_, "HAVING compares NumberOfEvents with a whole number from 0 to 4294967295 (found " +
                         wql::describe(current_) + ")");
    query_.having = WqlComparison{std::move(path), *rel, Value(static_cast<std::uint32_t>(current_.value.asInt64())),
                                  positionOf(op)};
    advance();
    return;
  }
  if (current_.kind == TokenKind::Name) requireName("a property name");
  fail(current_, "HAVING can only test NumberOfEvents (found " + wql::describe(current_) + ")");
}

void Parser::countLogicalOperator() {
  if (++query_.logicalOperators > limits_.maxLogicalOperators)
    fail(current_, "the query has more than " + std::to_string(limits_.maxLogicalOperators) + " AND/OR operators",
         WBEM_E_QUOTA_VIOLATION);
}

void Parser::enterNesting(const Token& at, std::uint32_t depth) const {
  if (depth > kMaxNesting)
    fail(at, "the condition nests more than " + std::to_string(kMaxNesting) + " levels of parentheses and NOT");
}

void Parser::append(WqlCondition& node, WqlCondition operand) {
  // `(a AND b) AND c` is the same node as `a AND b AND c`: flattening keeps one shape per meaning.
  if (operand.kind == node.kind) {
    for (WqlCondition& o : operand.operands) node.operands.push_back(std::move(o));
  } else {
    node.operands.push_back(std::move(operand));
  }
}

WqlCondition Parser::parseOr(std::uint32_t depth) {
  WqlCondition first = parseAnd(depth);
  if (!at(Keyword::Or)) return first;
  WqlCondition node;
  node.kind = WqlCondition::Kind::Or;
  append(node, std::move(first));
  while (at(Keyword::Or)) {
    countLogicalOperator();
    advance();
    append(node, parseAnd(depth));
  }
  return node;
}

WqlCondition Parser::parseAnd(std::uint32_t depth) {
  WqlCondition first = parseNot(depth);
  if (!at(Keyword::And)) return first;
  WqlCondition node;
  node.kind = WqlCondition::Kind::And;
  append(node, std::move(first));
  while (at(Keyword::And)) {
    countLogicalOperator();
    advance();
    append(node, parseNot(depth));
  }
  return node;
}

WqlCondition Parser::parseNot(std::uint32_t depth) {
  if (!at(Keyword::Not)) return parsePrimary(depth);
  enterNesting(current_, depth + 1);
  advance();
  WqlCondition node;
  node.kind = WqlCondition::Kind::Not;
  node.operands.push_back(parseNot(depth + 1));
  return node;
}

WqlCondition Parser::parsePrimary(std::uint32_t depth) {
  if (current_.kind != TokenKind::LeftParen) return parseComparison();
  enterNesting(current_, depth + 1);
  advance();
  WqlCondition inner = parseOr(depth + 1);
  if (current_.kind != TokenKind::RightParen) expected("AND, OR or ')'");
  advance();
  return inner;
}

WqlCondition Parser::parseComparison() {
  WqlCondition node;
  WqlComparison& c = node.comparison;
  if (isLiteral(current_)) {
    c.literal = literalValue(current_);
    advance();
    const Token op = current_;
    const std::optional<WqlOp> rel = relationalOp(op);
    if (!rel) {
      if (at(Keyword::Like) || at(Keyword::Isa) || at(Keyword::Is) || at(Keyword::Not))
        fail(op, std::string(op.text) + " needs the property on its left");
      expected("a comparison operator (=, <>, <, <=, >, >=)");
    }
    advance();
    if (isLiteral(current_))
      fail(current_, "a comparison needs a property on one side; two literals cannot be compared");
    if (current_.kind == TokenKind::LeftParen)
      fail(current_, "expected a property but found '(': WQL has no expressions");
    c.path = unqualified(parsePath("a property name", false));
    c.op = mirrored(*rel);
    c.position = positionOf(op);
    return node;
  }
  if (current_.kind != TokenKind::Name) expected("a condition (a property, a literal, NOT or '(')");
  c.path = unqualified(parsePath("a property name", false));
  const Token op = current_;
  c.position = positionOf(op);
  if (const std::optional<WqlOp> rel = relationalOp(op)) {
    advance();
    if (current_.kind == TokenKind::Name && current_.keyword == Keyword::None)
      fail(current_, "a comparison needs a literal on one side; two properties cannot be compared");
    if (current_.kind == TokenKind::LeftParen)
      fail(current_, "expected a literal but found '(': WQL has no expressions");
    if (!isLiteral(current_)) expected("a literal after '" + std::string(op.text) + "'");
    c.op = *rel;
    c.literal = literalValue(current_);
    advance();
    return node;
  }
  bool negated = false;
  if (at(Keyword::Not)) {
    negated = true;
    advance();
    if (!at(Keyword::Like)) expected("LIKE after NOT");
    c.position = positionOf(current_);
  }
  if (at(Keyword::Like)) {
    advance();
    if (current_.kind != TokenKind::String) expected("a string pattern after LIKE");
    if (const auto offset = wql::likePatternError(current_.value.asString()))
      fail(current_, "the LIKE pattern has a '[' without a closing ']' (at character " + std::to_string(*offset + 1) +
                         " of the pattern)");
    c.op = WqlOp::Like;
    c.literal = current_.value;
    advance();
    if (!negated) return node;
    WqlCondition outer;
    outer.kind = WqlCondition::Kind::Not;
    outer.operands.push_back(std::move(node));
    return outer;
  }
  if (at(Keyword::Isa)) {
    advance();
    if (current_.kind != TokenKind::String) expected("a quoted class name after ISA");
    c.op = WqlOp::Isa;
    c.literal = current_.value;
    advance();
    return node;
  }
  if (at(Keyword::Is)) {
    advance();
    c.op = WqlOp::IsNull;
    if (at(Keyword::Not)) {
      c.op = WqlOp::IsNotNull;
      advance();
    }
    if (!at(Keyword::Null)) expected(c.op == WqlOp::IsNull ? "NULL or NOT NULL after IS" : "NULL after IS NOT");
    advance();
    return node;
  }
  expected("a comparison operator (=, <>, <, <=, >, >=, LIKE, ISA or IS)");
}

WqlQuery Parser::parse() {
  if (!at(Keyword::Select)) expected("SELECT");
  advance();
  std::vector<QualifiedPath> items;
  std::optional<Token> qualifiedStar;
  parseSelectList(items, qualifiedStar);
  if (!at(Keyword::From)) expected(query_.selectAll || qualifiedStar ? "FROM" : "',' or FROM");
  advance();
  requireName("a class name");
  query_.className = std::string(current_.text);
  query_.classPosition = positionOf(current_);
  advance();
  if (qualifiedStar) {
    if (!iequals(qualifiedStar->text, query_.className))
      fail(*qualifiedStar,
           "'" + std::string(qualifiedStar->text) + ".*' does not name the FROM class '" + query_.className + "'");
    query_.selectAll = true;
  }
  for (QualifiedPath& item : items) query_.selectList.push_back(unqualified(std::move(item)));

  // What may follow each clause, for the message when something else does.
  std::string_view next = "WITHIN, WHERE, GROUP or end of query";
  if (at(Keyword::Within)) {
    parseWithin();
    next = "WHERE, GROUP or end of query";
  }
  if (at(Keyword::Where)) {
    advance();
    query_.where = parseOr(0);
    next = "AND, OR, GROUP or end of query";
  }
  if (at(Keyword::Group)) {
    parseGroup();
    next = query_.having            ? "end of query"
           : query_.groupBy.empty() ? "BY, HAVING or end of query"
                                    : "',', HAVING or end of query";
  } else if (at(Keyword::By) || at(Keyword::Having)) {
    fail(current_, std::string(current_.text) + " needs GROUP WITHIN <seconds> before it", WBEM_E_MISSING_GROUP_WITHIN);
  }
  if (current_.kind != TokenKind::End) expected(next);
  return std::move(query_);
}

}  // namespace

WqlQuery parseWql(std::string_view text, const WqlLimits& limits) { return Parser(text, limits).parse(); }

void requireWqlLanguage(std::string_view language) {
  if (!iequals(language, "WQL"))
    throw Error(WBEM_E_INVALID_QUERY_TYPE, "query language '" + std::string(language) + "' is not supported; use WQL");
}

}  // namespace wbem
