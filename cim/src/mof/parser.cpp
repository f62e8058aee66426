// MOF parser: recursive descent over the lexer's tokens, building the syntax tree of ast.hpp.
// Each production is parsed on its own; a failure records a SyntaxError and resynchronises, so
// that one broken declaration does not hide the errors of the next ones.

#include <wbem/names.hpp>

#include <deque>
#include <limits>
#include <optional>

#include "ast.hpp"

namespace wbem::mof {
namespace {

/// Deepest nesting of embedded `instance of` values: deeper input is refused, never overflows.
constexpr int kMaxNesting = 32;

}  // namespace

class Parser {
 public:
  explicit Parser(std::string_view text) : lexer_(text) { tok_ = lexer_.next(); }

  /// Parses the next production into `out` (one or more SyntaxErrors when it is broken).
  /// Returns false at the end of the text.
  bool parseNext(std::deque<Production>& out) {
    if (tok_.kind == TokenKind::End) return false;
    declName_.clear();
    declAlias_.clear();
    declIsClass_ = false;
    consumed_ = 0;
    auto flush = [&] {
      for (const Failure& f : errors_)
        out.push_back(SyntaxError{f.loc, f.status, f.message, declName_, declAlias_, declIsClass_});
      errors_.clear();
    };
    try {
      Production p = parseProduction();
      if (errors_.empty())
        out.push_back(std::move(p));
      else
        flush();  // a body with broken members: only its errors are kept
    } catch (const Failure& f) {
      errors_.push_back(f);
      skipFailedToken(f);
      recover();
      flush();
    }
    return true;
  }

  std::uint32_t lines() const noexcept { return lexer_.line(); }

 private:
  struct Failure {
    Loc loc;
    Status status;
    std::string message;
  };

  // --- token access ---------------------------------------------------------------------------
  /// The current token; a lexical error there becomes the failure of the production.
  const Token& cur() {
    if (tok_.kind == TokenKind::Error) throw Failure{tok_.loc, tok_.status, tok_.text};
    return tok_;
  }
  /// The token after the current one (for the few places that need two tokens of lookahead).
  const Token& peekNext() {
    if (!ahead_) ahead_ = lexer_.next();
    return *ahead_;
  }
  void advance() {
    if (tok_.isPunct('{')) ++depth_;
    if (tok_.isPunct('}') && depth_ > 0) --depth_;
    if (ahead_) {
      tok_ = std::move(*ahead_);
      ahead_.reset();
    } else {
      tok_ = lexer_.next();
    }
    ++consumed_;
  }

  /// True for the words of the non-finite reals, `NaN` and `Inf` (in any case).
  static bool isNonFinite(const Token& t) { return t.isWord("nan") || t.isWord("inf"); }

  static std::string describe(const Token& t) {
    switch (t.kind) {
      case TokenKind::End:
        return "end of file";
      case TokenKind::Identifier:
        return "'" + t.text + "'";
      case TokenKind::Integer:
      case TokenKind::Real:
        return "a number";
      case TokenKind::String:
        return "a string";
      case TokenKind::Char16:
        return "a char16 literal";
      case TokenKind::Alias:
        return "alias '$" + t.text + "'";
      case TokenKind::Punct:
        return "'" + t.text + "'";
      case TokenKind::Error:
        return t.text;
    }
    return "a token";
  }
  [[noreturn]] void fail(const std::string& expected) {
    const Token& t = cur();
    throw Failure{t.loc, WBEM_E_INVALID_SYNTAX, "expected " + expected + ", found " + describe(t)};
  }
  void expectPunct(char c, const char* context) {
    if (!cur().isPunct(c)) fail(std::string("'") + c + "' " + context);
    advance();
  }
  bool acceptPunct(char c) {
    if (!cur().isPunct(c)) return false;
    advance();
    return true;
  }
  bool acceptWord(std::string_view w) {
    if (!cur().isWord(w)) return false;
    advance();
    return true;
  }
  Name expectName(const char* what) {
    if (cur().kind != TokenKind::Identifier) fail(what);
    Name n{tok_.text, tok_.loc};
    advance();
    return n;
  }
  Name expectAlias() {
    if (cur().kind != TokenKind::Alias) fail("an alias ($Name) after 'as'");
    Name n{tok_.text, tok_.loc};
    advance();
    return n;
  }

  /// After a failure at a lexical error, moves past that token so that it is reported once.
  void skipFailedToken(const Failure& f) {
    if (tok_.kind == TokenKind::Error && tok_.loc.line == f.loc.line && tok_.loc.column == f.loc.column) advance();
  }

  /// Moves past a token while skipping; a lexical error there is still worth reporting, since
  /// it does not depend on what the parser expected.
  void skipToken() {
    if (tok_.kind == TokenKind::Error) errors_.push_back(Failure{tok_.loc, tok_.status, tok_.text});
    advance();
  }

  /// Skips to the end of the broken production: past the next `;` outside braces, or up to the
  /// start of a new production at the top level, always consuming at least one token.
  void recover() {
    while (tok_.kind != TokenKind::End) {
      if (depth_ == 0 && consumed_ > 0 &&
          (tok_.isPunct('#') || tok_.isPunct('[') || tok_.isWord("class") || tok_.isWord("instance") ||
           tok_.isWord("qualifier")))
        return;
      const bool end = depth_ == 0 && tok_.isPunct(';');
      skipToken();
      if (end) return;
    }
  }

  /// Parses the members of a class or instance body with `member`; a broken member is recorded
  /// and skipped up to its `;`, so that the next members are still checked. Stops before the `}`.
  template <typename F>
  void parseBody(const char* closeContext, F member) {
    const int bodyDepth = depth_;
    while (true) {
      try {
        if (cur().isPunct('}')) return;
        if (tok_.kind == TokenKind::End) fail(closeContext);
        member();
      } catch (const Failure& f) {
        if (tok_.kind == TokenKind::End) throw;
        errors_.push_back(f);
        skipFailedToken(f);
        while (tok_.kind != TokenKind::End && !(depth_ == bodyDepth && tok_.isPunct('}'))) {
          const bool end = depth_ == bodyDepth && tok_.isPunct(';');
          skipToken();
          if (end) break;
        }
      }
    }
  }

  // --- productions ----------------------------------------------------------------------------
  Production parseProduction() {
    if (cur().isPunct('#')) return parsePragma();
    if (cur().isWord("qualifier")) return parseQualifierDecl();
    std::vector<QualifierUse> quals;
    if (cur().isPunct('[')) quals = parseQualifierList();
    if (cur().isWord("class")) return parseClass(std::move(quals));
    if (cur().isWord("instance")) {
      InstanceDecl inst = parseInstance(std::move(quals), 0);
      expectPunct(';', "after the instance");
      return inst;
    }
    fail("'class', 'instance', 'qualifier' or '#pragma'");
  }

  PragmaDecl parsePragma() {
    PragmaDecl p;
    p.loc = tok_.loc;
    advance();
    if (!cur().isWord("pragma")) fail("'pragma' after '#'");
    advance();
    p.name = expectName("a pragma name");
    if (!acceptPunct('(')) return p;
    if (!cur().isPunct(')')) {
      do {
        PragmaArg a;
        a.loc = cur().loc;
        if (tok_.kind == TokenKind::String) {
          a.kind = PragmaArg::Kind::String;
          a.text = parseStringLiteral();
        } else if (tok_.kind == TokenKind::Identifier) {
          a.kind = PragmaArg::Kind::Word;
          a.text = tok_.text;
          advance();
        } else if (tok_.kind == TokenKind::Integer) {
          a.kind = PragmaArg::Kind::Number;
          a.number = tok_.integer;
          advance();
        } else {
          fail("a string, a word or a number as pragma argument");
        }
        p.args.push_back(std::move(a));
      } while (acceptPunct(','));
    }
    expectPunct(')', "to close the pragma arguments");
    return p;
  }

  QualifierDecl parseQualifierDecl() {
    QualifierDecl q;
    q.loc = tok_.loc;
    advance();
    q.name = expectName("a qualifier name");
    expectPunct(':', "between the qualifier name and its type");
    q.type.name = expectName("a qualifier type");
    if (acceptPunct('[')) {
      q.array = true;
      if (cur().kind == TokenKind::Integer) q.arraySize = arraySize();
      expectPunct(']', "to close the array size");
    }
    if (acceptPunct('=')) q.defaultValue = parseValue(0);
    while (acceptPunct(',')) {
      const bool scope = cur().isWord("scope");
      if (!scope && !cur().isWord("flavor")) fail("'Scope(...)' or 'Flavor(...)'");
      advance();
      expectPunct('(', "after Scope or Flavor");
      std::vector<Name>& into = scope ? q.scopes : q.flavors;
      do into.push_back(expectName(scope ? "a scope name" : "a flavor name"));
      while (acceptPunct(','));
      expectPunct(')', "to close the list");
    }
    expectPunct(';', "after the qualifier declaration");
    return q;
  }

  std::uint32_t arraySize() {
    const Token& t = cur();
    if (t.integer == 0 || t.integer > std::numeric_limits<std::uint32_t>::max())
      throw Failure{t.loc, WBEM_E_VALUE_OUT_OF_RANGE, "array size must be between 1 and 4294967295"};
    const auto n = static_cast<std::uint32_t>(t.integer);
    advance();
    return n;
  }

  std::vector<QualifierUse> parseQualifierList() {
    std::vector<QualifierUse> out;
    expectPunct('[', "to open the qualifier list");
    do {
      QualifierUse q;
      q.name = expectName("a qualifier name");
      if (acceptPunct('(')) {
        q.value = parseValue(0);
        expectPunct(')', "to close the qualifier value");
      } else if (cur().isPunct('{')) {
        q.value = parseValue(0);
      }
      if (acceptPunct(':')) {
        do q.flavors.push_back(expectName("a flavor name"));
        while (cur().kind == TokenKind::Identifier);
      }
      out.push_back(std::move(q));
    } while (acceptPunct(','));
    expectPunct(']', "to close the qualifier list");
    return out;
  }

  ClassDecl parseClass(std::vector<QualifierUse> quals) {
    ClassDecl c;
    c.qualifiers = std::move(quals);
    c.loc = tok_.loc;
    advance();
    declIsClass_ = true;
    c.name = expectName("a class name");
    declName_ = c.name.text;
    // mofcomp and DSP0221 disagree on the order of the alias and the superclass: take both.
    if (acceptWord("as")) c.alias = expectAlias();
    if (acceptPunct(':')) c.superclass = expectName("a superclass name");
    if (!c.alias && acceptWord("as")) c.alias = expectAlias();
    if (c.alias) declAlias_ = c.alias->text;
    expectPunct('{', "to open the class body");
    parseBody("'}' to close the class body", [&] { parseFeature(c); });
    advance();
    expectPunct(';', "after the class declaration");
    return c;
  }

  TypeRef parseTypeRef(const char* what) {
    TypeRef t;
    t.name = expectName(what);
    // `ref` is the reference keyword unless it is itself the name (`string ref;`).
    if (cur().isWord("ref")) {
      const Token& after = peekNext();
      if (after.kind == TokenKind::Identifier) {
        advance();
        t.isRef = true;
      }
    }
    return t;
  }

  void parseFeature(ClassDecl& c) {
    std::vector<QualifierUse> quals;
    if (cur().isPunct('[')) quals = parseQualifierList();
    TypeRef type = parseTypeRef("a property type or method return type");
    bool returnArray = false;
    if (cur().isPunct('[')) {
      advance();
      expectPunct(']', "after '[' in an array return type");
      returnArray = true;
    }
    Name name = expectName("a property or method name");
    if (acceptPunct('(')) {
      MethodDecl m;
      m.qualifiers = std::move(quals);
      m.returnType = std::move(type);
      m.returnArray = returnArray;
      m.name = std::move(name);
      if (!cur().isPunct(')')) {
        do m.parameters.push_back(parseVariable(true));
        while (acceptPunct(','));
      }
      expectPunct(')', "to close the parameter list");
      expectPunct(';', "after the method declaration");
      c.methods.push_back(std::move(m));
      return;
    }
    if (returnArray) fail("'(' after an array return type");
    PropertyDecl p;
    p.qualifiers = std::move(quals);
    p.type = std::move(type);
    p.name = std::move(name);
    parseVariableTail(p);
    expectPunct(';', "after the property declaration");
    c.properties.push_back(std::move(p));
  }

  PropertyDecl parseVariable(bool parameter) {
    PropertyDecl p;
    if (cur().isPunct('[')) p.qualifiers = parseQualifierList();
    p.type = parseTypeRef(parameter ? "a parameter type" : "a property type");
    p.name = expectName(parameter ? "a parameter name" : "a property name");
    parseVariableTail(p);
    return p;
  }

  /// `[n]`, `[]` and `= default` after a property or parameter name.
  void parseVariableTail(PropertyDecl& p) {
    if (acceptPunct('[')) {
      p.array = true;
      if (cur().kind == TokenKind::Integer) p.arraySize = arraySize();
      expectPunct(']', "to close the array declaration");
    }
    if (acceptPunct('=')) p.defaultValue = parseValue(0);
  }

  InstanceDecl parseInstance(std::vector<QualifierUse> quals, int nesting) {
    const bool embedded = nesting > 0;
    InstanceDecl inst;
    inst.qualifiers = std::move(quals);
    inst.loc = tok_.loc;
    advance();
    if (!cur().isWord("of")) fail("'of' after 'instance'");
    advance();
    inst.className = expectName("a class name after 'instance of'");
    if (cur().isWord("as")) {
      if (embedded) throw Failure{tok_.loc, WBEM_E_INVALID_SYNTAX, "an embedded instance cannot have an alias"};
      advance();
      inst.alias = expectAlias();
      declAlias_ = inst.alias->text;
    }
    expectPunct('{', "to open the instance body");
    parseBody("'}' to close the instance body", [&] {
      PropertyAssignment a;
      if (cur().isPunct('[')) a.qualifiers = parseQualifierList();
      a.name = expectName("a property name");
      expectPunct('=', "after the property name");
      a.value = parseValue(nesting);
      expectPunct(';', "after the property value");
      inst.values.push_back(std::move(a));
    });
    advance();
    return inst;
  }

  std::string parseStringLiteral() {
    std::string s = tok_.text;
    advance();
    while (cur().kind == TokenKind::String) {  // adjacent literals concatenate
      s += tok_.text;
      advance();
    }
    return s;
  }

  Literal parseValue(int nesting) {
    Literal v;
    v.loc = cur().loc;
    if (tok_.isPunct('{')) {
      advance();
      v.kind = Literal::Kind::Array;
      if (!cur().isPunct('}')) {
        do {
          if (cur().isPunct('{')) throw Failure{tok_.loc, WBEM_E_INVALID_SYNTAX, "arrays cannot be nested"};
          v.elements.push_back(parseValue(nesting));
        } while (acceptPunct(','));
      }
      expectPunct('}', "to close the array value");
      return v;
    }
    return parseScalar(nesting);
  }

  Literal parseScalar(int nesting) {
    Literal v;
    v.loc = cur().loc;
    bool negative = false;
    const bool signed_ = tok_.isPunct('-') || tok_.isPunct('+');
    if (signed_) {
      negative = tok_.isPunct('-');
      advance();
      if (cur().kind != TokenKind::Integer && tok_.kind != TokenKind::Real && !isNonFinite(tok_))
        fail("a number after the sign");
    }
    // wbem extension: NaN and Inf (any case) are the reals no digits can spell.
    if (isNonFinite(tok_)) {
      v.kind = Literal::Kind::Real;
      v.real = tok_.isWord("nan") ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
      if (negative) v.real = -v.real;
      advance();
      return v;
    }
    switch (tok_.kind) {
      case TokenKind::Integer:
        v.kind = Literal::Kind::Integer;
        v.magnitude = tok_.integer;
        v.negative = negative && tok_.integer != 0;
        advance();
        return v;
      case TokenKind::Real:
        v.kind = Literal::Kind::Real;
        v.real = negative ? -tok_.real : tok_.real;
        advance();
        return v;
      case TokenKind::String:
        v.kind = Literal::Kind::String;
        v.text = parseStringLiteral();
        return v;
      case TokenKind::Char16:
        v.kind = Literal::Kind::Char16;
        v.char16 = tok_.char16;
        advance();
        return v;
      case TokenKind::Alias:
        v.kind = Literal::Kind::Alias;
        v.text = tok_.text;
        advance();
        return v;
      case TokenKind::Identifier:
        if (tok_.isWord("true") || tok_.isWord("false")) {
          v.kind = Literal::Kind::Boolean;
          v.boolean = tok_.isWord("true");
          advance();
          return v;
        }
        if (tok_.isWord("null")) {
          advance();
          return v;
        }
        if (tok_.isWord("instance")) {
          if (nesting >= kMaxNesting)
            throw Failure{tok_.loc, WBEM_E_INVALID_SYNTAX, "embedded instances are nested too deeply"};
          v.kind = Literal::Kind::Instance;
          v.instance = std::make_shared<InstanceDecl>(parseInstance({}, nesting + 1));
          return v;
        }
        break;
      default:
        break;
    }
    fail("a value");
  }

  Lexer lexer_;
  Token tok_;
  std::optional<Token> ahead_;
  int depth_ = 0;             // braces open at the current token
  std::size_t consumed_ = 0;  // tokens consumed by the current production
  std::string declName_;      // what the current production declares, for SyntaxError
  std::string declAlias_;
  bool declIsClass_ = false;
  std::vector<Failure> errors_;  // errors of the current production, in text order
};

MofParser::MofParser(std::string_view text) : parser_(std::make_unique<Parser>(text)) {}
MofParser::~MofParser() = default;

std::optional<Production> MofParser::next() {
  while (queue_.empty())
    if (!parser_->parseNext(queue_)) return std::nullopt;
  Production p = std::move(queue_.front());
  queue_.pop_front();
  return p;
}

std::uint32_t MofParser::lines() const noexcept { return parser_->lines(); }

ParsedFile parseMof(std::string_view text) {
  MofParser parser(text);
  ParsedFile out;
  while (auto p = parser.next()) out.productions.push_back(std::move(*p));
  out.lines = parser.lines();
  return out;
}

}  // namespace wbem::mof
