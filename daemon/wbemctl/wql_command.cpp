// `wbemctl wql check|eval`: WQL queries from the command line. `check` parses a query (and, given MOF files,
// validates it against their schema) and shows how it was understood; `eval` runs a data query over the
// instances the MOF files declare and prints the results as JSON lines.

#include <wbem/filter.hpp>
#include <wbem/mof.hpp>
#include <wbem/names.hpp>
#include <wbem/namespace.hpp>
#include <wbem/wql.hpp>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <cstddef>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "commands.hpp"
#include "output.hpp"

namespace wbemctl {
namespace {

struct WqlArguments {
  std::string query;
  std::vector<std::string> schemaFiles;
  std::string namespaceName;
};

// The namespaces the schema files compiled into; they live for one command only.
class Schema {
 public:
  // Compiles `files` in order (each one atomic, later ones see earlier ones' classes). Namespaces are created
  // on demand; a file without #pragma namespace compiles into root\default, as with mofcomp.
  explicit Schema(const std::vector<std::string>& files) {
    const wbem::MofCompiler compiler([this](const std::string& name) { return &namespaceNamed(name); });
    for (const std::string& file : files) {
      const wbem::MofResult result = compiler.compileFile(file);
      for (const wbem::MofDiagnostic& diagnostic : result.diagnostics) std::cerr << diagnostic.toString() << '\n';
      if (!result.ok()) {
        throw CommandError(file + ": " + std::to_string(result.diagnostics.size()) +
                           (result.diagnostics.size() == 1 ? " error" : " errors") + " in the schema");
      }
      for (const std::string& name : result.namespaces) {
        bool known = false;
        for (const std::string& seen : used_) known = known || wbem::iequals(seen, name);
        if (!known) used_.push_back(name);
      }
    }
  }

  // The namespace to run queries in: `requested` when given (it must be one the files used); otherwise the one
  // namespace the files used (root\default when they used none). Several namespaces need --namespace, since
  // the same class name may mean different classes in each.
  const wbem::Namespace& queryNamespace(const std::string& requested) {
    if (!requested.empty()) {
      const std::string name = wbem::normalizeNamespace(requested);
      for (const std::string& seen : used_)
        if (wbem::iequals(seen, name)) return namespaceNamed(seen);
      throw CommandError("namespace '" + name + "' is not used by the schema files (they use: " + usedList() + ")");
    }
    if (used_.size() > 1) {
      throw CommandError("the schema files use several namespaces (" + usedList() +
                         "): choose the query's namespace with --namespace");
    }
    return namespaceNamed(used_.empty() ? wbem::MofOptions{}.defaultNamespace : used_.front());
  }

 private:
  wbem::Namespace& namespaceNamed(const std::string& name) {
    std::unique_ptr<wbem::Namespace>& ns = namespaces_[name];
    if (!ns) ns = std::make_unique<wbem::Namespace>(name);
    return *ns;
  }

  std::string usedList() const {
    std::string list;
    for (const std::string& name : used_) list += (list.empty() ? "" : ", ") + name;
    return list.empty() ? "none" : list;
  }

  std::map<std::string, std::unique_ptr<wbem::Namespace>, wbem::NameLess> namespaces_;
  std::vector<std::string> used_;  // in first-use order
};

// A query error as one line: "1:15: message (WBEM_E_NAME 0x8004xxxx)", which is wbem::Error's what().
[[noreturn]] void rethrowQueryError(const wbem::Error& error) { throw CommandError(error.what()); }

std::string pathList(const std::vector<wbem::WqlPath>& paths) {
  std::string out;
  for (const wbem::WqlPath& path : paths) out += (out.empty() ? "" : ", ") + path.toString();
  return out;
}

// The WHERE condition in canonical form: the canonical query text of a query that has nothing else.
std::string conditionText(const wbem::WqlQuery& query) {
  wbem::WqlQuery alone;
  alone.selectAll = true;
  alone.className = query.className;
  alone.where = query.where;
  const std::string prefix = "SELECT * FROM " + query.className + " WHERE ";
  return alone.toString().substr(prefix.size());
}

// The canonical text, then one line per clause the query has.
void printParsed(const wbem::WqlQuery& query) {
  std::cout << query.toString() << '\n';
  std::cout << "  class: " << query.className << '\n';
  std::cout << "  select: " << (query.selectAll ? std::string("*") : pathList(query.selectList)) << '\n';
  if (query.within) {
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, *query.within);
    std::cout << "  within: " << std::string_view(buffer, static_cast<std::size_t>(result.ptr - buffer)) << '\n';
  }
  if (query.where) std::cout << "  where: " << conditionText(query) << '\n';
  if (query.groupWithin) std::cout << "  group within: " << *query.groupWithin << '\n';
  if (!query.groupBy.empty()) std::cout << "  by: " << pathList(query.groupBy) << '\n';
  if (query.having) {
    std::cout << "  having: " << query.having->path.toString() << ' ' << wbem::wqlOpText(query.having->op) << ' '
              << query.having->literal.toMof() << '\n';
  }
}

// A query result: its class and the properties the SELECT list names (every property for `*`). A dotted path
// selects its first property whole, as project() keeps it; system properties are named in WMI's upper case.
Json resultJson(const wbem::WqlQuery& query, const wbem::ClassObject& result) {
  if (query.selectAll) return toJson(result);
  Json json = Json::object();
  json["__CLASS"] = result.className();
  for (const wbem::WqlPath& path : query.selectList) {
    const std::string& first = path.names.front();
    std::string name = first;
    if (const auto slot = result.slotOf(first)) {
      name = result.definition().properties()[*slot].name;
    } else {
      for (char& c : name) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    }
    if (!json.contains(name)) json[name] = toJson(result.get(first));
  }
  return json;
}

void runCheck(const WqlArguments& arguments) {
  if (arguments.schemaFiles.empty()) {
    try {
      printParsed(wbem::parseWql(arguments.query));
    } catch (const wbem::Error& error) {
      rethrowQueryError(error);
    }
    return;
  }
  Schema schema(arguments.schemaFiles);
  const wbem::Namespace& ns = schema.queryNamespace(arguments.namespaceName);
  try {
    wbem::WqlQuery query = wbem::parseWql(arguments.query);
    // The FROM class decides the kind: an event class makes it what an __EventFilter would hold.
    const bool event = ns.classInheritsFrom(query.className, "__Event");
    const auto filter =
        wbem::QueryFilter::compile(std::move(query), ns, event ? wbem::QueryKind::Notification : wbem::QueryKind::Data);
    printParsed(filter->query());
    std::cout << "  kind: " << (event ? "notification" : "data") << '\n';
    std::cout << "  namespace: " << ns.name() << '\n';
  } catch (const wbem::Error& error) {
    rethrowQueryError(error);
  }
}

void runEval(const WqlArguments& arguments) {
  Schema schema(arguments.schemaFiles);
  const wbem::Namespace& ns = schema.queryNamespace(arguments.namespaceName);
  std::shared_ptr<const wbem::QueryFilter> filter;
  try {
    filter = wbem::QueryFilter::compile(arguments.query, ns, wbem::QueryKind::Data);
  } catch (const wbem::Error& error) {
    rethrowQueryError(error);
  }
  std::vector<wbem::ObjectPtr> instances = ns.enumInstances(filter->fromClass()->className(), true);
  // The namespace lists classes in no particular order; sort by class so the output is stable (within a class
  // instances already come in path order).
  std::stable_sort(instances.begin(), instances.end(), [](const wbem::ObjectPtr& a, const wbem::ObjectPtr& b) {
    return wbem::icompare(a->className(), b->className()) < 0;
  });
  for (const wbem::ObjectPtr& instance : instances) {
    if (!filter->matches(*instance)) continue;
    std::cout << jsonLine(resultJson(filter->query(), filter->project(*instance))) << '\n';
  }
}

}  // namespace

void addWqlCommand(CLI::App& app) {
  auto arguments = std::make_shared<WqlArguments>();
  CLI::App* wql = app.add_subcommand("wql", "Check WQL queries, or run them over the instances of MOF files");
  wql->require_subcommand(1);

  CLI::App* check = wql->add_subcommand("check", "Parse a WQL query (and validate it against MOF files) and show it");
  check->add_option("QUERY", arguments->query, "The WQL query")->type_name("")->required();
  CLI::Option* checkSchema =
      check->add_option("--schema", arguments->schemaFiles, "MOF files to validate the query against")
          ->type_name("FILE");
  check->add_option("--namespace", arguments->namespaceName, "Namespace of the schema files the query runs in")
      ->type_name("NAME")
      ->needs(checkSchema);
  check->footer(
      "Prints the canonical query and its clauses (class, select, within, where, group within, by, having);\n"
      "with --schema also its kind (data, or notification when the FROM class derives from __Event) and its\n"
      "namespace. Without --schema only the syntax is checked. An invalid query exits 1 with\n"
      "'wbemctl: line:column: message (WBEM_E_NAME 0x8004xxxx)' on stderr.\n"
      "The schema files compile into in-memory namespaces (root\\default unless they say #pragma namespace);\n"
      "the query runs in the one namespace they use, or in the one --namespace names when they use several.");
  check->callback([arguments] { runCheck(*arguments); });

  CLI::App* eval = wql->add_subcommand("eval", "Run a WQL data query over the instances declared in MOF files");
  eval->add_option("QUERY", arguments->query, "The WQL data query")->type_name("")->required();
  eval->add_option("--schema", arguments->schemaFiles, "MOF files declaring the classes and instances")
      ->type_name("FILE")
      ->required();
  eval->add_option("--namespace", arguments->namespaceName, "Namespace of the schema files the query runs in")
      ->type_name("NAME");
  eval->footer(
      "Prints one JSON object per result: \"__CLASS\", then the selected properties (every property for *).\n"
      "64-bit integers are exact, datetimes DMTF strings, references path strings, embedded objects nested\n"
      "objects, NULL null; results in class-name order, then in path order. The namespace rule is that of\n"
      "'wql check'. An invalid query exits 1.");
  eval->callback([arguments] { runEval(*arguments); });
}

}  // namespace wbemctl
