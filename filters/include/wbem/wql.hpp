#pragma once
// WQL, WMI's query language: the parsed form of data and event queries (WMI: IWbemQuery's parse
// tree) and the parser. Semantics: docs/wql.md.
//
//   SELECT * | path {, path} FROM Class [WITHIN seconds] [WHERE condition]
//     [GROUP WITHIN seconds [BY path {, path}] [HAVING NumberOfEvents op count]]

#include <wbem/status.hpp>
#include <wbem/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wbem {

/// A property path: `Name`, `TargetInstance.Name`, `__CLASS`. Names keep the query's spelling.
struct WqlPath {
  std::vector<std::string> names;  ///< at least one
  TextPosition position;           ///< of the first name (line 1, column from 1)

  /// The names joined with '.'. Thread-safe.
  std::string toString() const;
};

/// The operators of a comparison.
enum class WqlOp : std::uint8_t { Equal, NotEqual, Less, LessEqual, Greater, GreaterEqual, Like, Isa, IsNull, IsNotNull };

/// WQL text of an operator ("=", "<>", "LIKE", "IS NOT NULL", ...). Thread-safe.
std::string_view wqlOpText(WqlOp op) noexcept;

/// One comparison: `path op literal`. A literal written first (`5 < P`) is stored mirrored
/// (`P > 5`). Literals: string, integer (sint64, or uint64 above INT64_MAX), real64, boolean, or
/// NULL (an untyped NULL Value); LIKE and ISA take a string; IS [NOT] NULL has a NULL literal.
struct WqlComparison {
  WqlPath path;
  WqlOp op = WqlOp::Equal;
  Value literal;
  TextPosition position;  ///< of the operator
};

/// A WHERE or HAVING condition tree. AND and OR nodes are flattened (`a AND b AND c` is one node
/// with three operands); NOT has one operand.
struct WqlCondition {
  enum class Kind : std::uint8_t { And, Or, Not, Compare };
  Kind kind = Kind::Compare;
  std::vector<WqlCondition> operands;
  WqlComparison comparison;  ///< for Kind::Compare
};

/// A parsed WQL query.
struct WqlQuery {
  std::string text;  ///< as given
  bool selectAll = false;
  std::vector<WqlPath> selectList;  ///< empty when selectAll
  std::string className;
  TextPosition classPosition;
  std::optional<double> within;  ///< WITHIN seconds (polling interval)
  TextPosition withinPosition;
  std::optional<WqlCondition> where;
  std::optional<std::uint32_t> groupWithin;  ///< GROUP WITHIN seconds
  TextPosition groupPosition;
  std::vector<WqlPath> groupBy;
  std::optional<WqlComparison> having;  ///< on NumberOfEvents, with a uint32 literal
  std::uint32_t logicalOperators = 0;   ///< AND/OR keywords in the query, for the quota rule

  /// Canonical text: keywords upper case, single spaces, strings double-quoted with escapes,
  /// parentheses only where precedence needs them. parseWql(q.toString()) gives an equal query.
  /// Thread-safe.
  std::string toString() const;
};

/// Limits the parser enforces (decisions.md 2 and 7).
struct WqlLimits {
  std::uint32_t maxLogicalOperators = 1000;  ///< more AND/OR: WBEM_E_QUOTA_VIOLATION
  double minWithinSeconds = 0.1;             ///< smaller WITHIN: WBEM_E_INVALID_QUERY
};

/// Parses a WQL data or event query. Keywords and names are case-insensitive. Errors are
/// wbem::Error with the position of the offending token: WBEM_E_INVALID_QUERY for syntax (and for
/// WITHIN / GROUP WITHIN values that are not positive or are below the minimum),
/// WBEM_E_MISSING_GROUP_WITHIN for BY without GROUP WITHIN, WBEM_E_QUOTA_VIOLATION for too many
/// AND/OR. Never crashes or hangs on any input; linear in the text's length. Thread-safe.
WqlQuery parseWql(std::string_view text, const WqlLimits& limits = {});

/// Throws WBEM_E_INVALID_QUERY_TYPE unless `language` is "WQL" (case-insensitive). Thread-safe.
void requireWqlLanguage(std::string_view language);

/// WQL LIKE: `%` any run, `_` one character, `[abc]`, `[a-z]`, `[^x]` sets; no escape character
/// (a literal `%`, `_` or `[` is written `[%]`, `[_]`, `[[]`). Case-insensitive (ASCII and Unicode
/// simple case folding, decisions.md 11). Runs in O(|subject| x |pattern|) at worst, never
/// backtracks exponentially. Thread-safe.
bool wqlLike(std::string_view subject, std::string_view pattern);

}  // namespace wbem
