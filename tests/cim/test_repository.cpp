// Tests of wbem::Repository: what it stores survives reopening unchanged, deletions reach what
// hangs below, files it cannot read are refused, backup and restore, and crash recovery (a writer
// killed with SIGKILL at random moments loses nothing it reported committed).

#include <wbem/classobject.hpp>
#include <wbem/mof.hpp>
#include <wbem/namespace.hpp>
#include <wbem/repository.hpp>
#include <wbem/status.hpp>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <poll.h>
#include <random>
#include <signal.h>
#include <sqlite3.h>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "support.hpp"

using namespace wbem;
namespace fs = std::filesystem;

namespace {

// A directory of its own under the system's temporary directory, removed with its contents.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "wbem-repository-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

// Runs one SQL statement on `file` with the plain SQLite API (to prepare files the repository
// must refuse) and returns the first column of its first row, or "".
std::string sql(const fs::path& file, const std::string& statement) {
  sqlite3* db = nullptr;
  if (sqlite3_open(file.c_str(), &db) != SQLITE_OK) {
    sqlite3_close(db);
    throw std::runtime_error("cannot open " + file.string());
  }
  sqlite3_stmt* stmt = nullptr;
  std::string result;
  int rc = sqlite3_prepare_v2(db, statement.c_str(), -1, &stmt, nullptr);
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW && sqlite3_column_text(stmt, 0))
      result = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) rc = SQLITE_OK;
  }
  const std::string message = sqlite3_errmsg(db);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  if (rc != SQLITE_OK) throw std::runtime_error(statement + ": " + message);
  return result;
}

std::string readFile(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void writeFile(const fs::path& file, const std::string& content) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << content;
}

// Mirrors every change of a namespace into a repository, as the event service does.
class Mirror : public NamespaceObserver {
 public:
  explicit Mirror(Repository& repository) : repository_(repository) {}
  void classChanged(const Namespace& ns, const ObjectPtr& before, const ObjectPtr& after) override {
    if (after)
      repository_.putClass(ns.name(), *after);
    else
      repository_.deleteClass(ns.name(), before->className());
  }
  void instanceChanged(const Namespace& ns, const ObjectPtr& before, const ObjectPtr& after) override {
    if (after)
      repository_.putInstance(ns.name(), *after);
    else
      repository_.deleteInstance(ns.name(), *before);
  }

 private:
  Repository& repository_;
};

// A namespace whose changes go to `repository` (the namespace is recorded there first).
std::unique_ptr<Namespace> mirrored(Repository& repository, const std::string& name) {
  auto ns = std::make_unique<Namespace>(name);
  repository.putNamespace(name);
  ns->addObserver(std::make_shared<Mirror>(repository));
  return ns;
}

void compile(Namespace& ns, const std::string& mof) {
  const MofResult result = MofCompiler([&ns](const std::string&) { return &ns; }).compileText(mof, "test.mof");
  std::string diagnostics;
  for (const MofDiagnostic& d : result.diagnostics) diagnostics += d.toString() + "\n";
  INFO(diagnostics);
  REQUIRE(result.ok());
}

std::unique_ptr<Namespace> loaded(const Repository& repository, const std::string& name) {
  auto ns = std::make_unique<Namespace>(name);
  repository.load(name, *ns);
  return ns;
}

std::vector<ObjectPtr> userClasses(const Namespace& ns) {
  std::vector<ObjectPtr> out;
  for (const ObjectPtr& cls : ns.enumClasses())
    if (!cls->className().starts_with("__")) out.push_back(cls);
  return out;
}

// Every class and instance of `a` is in `b`, equal in every respect (ClassObject::compareTo), and
// the other way round; system classes included, to show that loading leaves them alone.
void requireSameContents(const Namespace& a, const Namespace& b) {
  const std::vector<ObjectPtr> classesA = a.enumClasses(), classesB = b.enumClasses();
  REQUIRE(classesA.size() == classesB.size());
  for (std::size_t i = 0; i < classesA.size(); ++i) {
    INFO(classesA[i]->getObjectText() + "\nloaded as\n" + classesB[i]->getObjectText());
    CHECK(classesA[i]->compareTo(*classesB[i]));
    const std::vector<ObjectPtr> instancesA = a.enumInstances(classesA[i]->className(), false);
    const std::vector<ObjectPtr> instancesB = b.enumInstances(classesA[i]->className(), false);
    REQUIRE(instancesA.size() == instancesB.size());
    for (std::size_t j = 0; j < instancesA.size(); ++j) {
      INFO(instancesA[j]->getObjectText() + "\nloaded as\n" + instancesB[j]->getObjectText());
      CHECK(instancesA[j]->compareTo(*instancesB[j]));
    }
  }
}

// Classes and instances with every kind of value and declaration the repository must keep.
const std::string kRichMof = R"mof(
[Description("A \"base\" class: C:\\dir\nsecond line, caf\x00E9 \x263A"): ToInstance Amended,
 Version("1.0"): Restricted, Owner("team"): DisableOverride, Tags{"a", "b"}]
class Base
{
    [Key, Description("the key")] string Name;
    [Units("bytes"): ToInstance DisableOverride, MaxValue(18446744073709551615)] uint64 Size = 18446744073709551615;
    sint64 Delta = -9223372036854775808;
    boolean Flag = TRUE;
    real32 Ratio = 0.1;
    real64 Precise = 2.718281828459045;
    char16 Letter = '\x00E9';
    datetime When = "20240131120000.123456+060";
    datetime Span = "00000001020304.000005:000";
    string Labels[] = {"a", "b\\c", "d\"e", ""};
    uint8 Bytes[4] = {1, 2, 3, 255};
    string Text = "line1\nline2\ttab \"quoted\" back\\slash caf\x00E9 \x4E2D\x6587 \x0001";
    string Nothing;
    [Implemented, Static, Description("resets")] uint32 Reset([In, Description("how deep")] uint32 Level,
        [In, Out] string Note, [Out] object Result, [Out] datetime Stamps[]);
};

class Part
{
    [Key] uint32 Id;
    string Label;
};

class Derived : Base
{
    [Description("overridden")] uint64 Size = 42;
    Part ref Owner;
    object Anything;
    Part Embedded;
    Part Many[];
    object ref AnyRef;
    void Touch([In] Part ref Target, [In] datetime At[], [In, Optional] sint16 Count = 3);
};

[Leafy("yes"): ToInstance]
class Leaf : Derived
{
    sint8 Small = -128;
    sint16 Mid = -32768;
    uint16 U16 = 65535;
    uint32 U32 = 4294967295;
    sint32 S32 = -2147483648;
    real64 Reals[] = {0.0, -1.5e300, 1e-300};
    boolean Bools[] = {TRUE, FALSE};
    char16 Chars[] = {'a', '\'', '\\'};
    datetime Dates[] = {"20000101000000.000000+000", "00000000000000.000000:000"};
    sint64 Longs[] = {9223372036854775807, -9223372036854775808};
    uint64 ULongs[] = {0, 18446744073709551615};
};

instance of Part
{
    Id = 1;
    Label = "one, naïve ☺";
};

[Comment("an instance qualifier"): ToSubclass]
instance of Derived
{
    Name = "d1";
    Owner = "Part.Id=1";
    AnyRef = "\\\\server\\root\\other:Thing.Key=\"x\"";
    Anything = instance of Part { Id = 7; Label = "inner \"quoted\""; };
    Embedded = instance of Part { Id = 8; };
    Many = {instance of Part { Id = 9; }, instance of Part { Id = 10; Label = NULL; }};
    Size = NULL;
    Text = "d1 text\r\n\x20AC";
    When = "19991231235959.999999-300";
    Labels = {};
};

instance of Leaf
{
    Name = "Leaf \"1\" \\ caf\x00E9";
    Small = 5;
    Delta = NULL;
    Reals = {3.25};
    Span = "12345678235959.999999:000";
};

instance of __EventFilter
{
    Name = "filter";
    Query = "SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA \"Part\"";
    QueryLanguage = "WQL";
    EventNamespace = "root\\test";
};

class LogConsumer : __EventConsumer
{
    [Key] string Name;
    string FileName;
};

instance of LogConsumer
{
    Name = "log";
    FileName = "/var/log/wbem.log";
};

instance of __FilterToConsumerBinding
{
    Filter = "__EventFilter.Name=\"filter\"";
    Consumer = "LogConsumer.Name=\"log\"";
    DeliverSynchronously = TRUE;
};

instance of __Win32Provider
{
    Name = "Disk";
    Module = "/usr/lib/wbem/disk.so";
    UnloadTimeout = "00000000000030.000000:000";
};
)mof";

}  // namespace

TEST_CASE("what a repository stores is loaded back equal after reopening", "[repository]") {
  TempDir dir;
  const fs::path file = dir / "repository.db";
  std::unique_ptr<Namespace> test, child, grandchild;
  {
    Repository repository(file);
    test = mirrored(repository, "root\\test");
    compile(*test, kRichMof);
    child = mirrored(repository, "root/test/Child");  // normalised to root\test\Child
    compile(*child, "class Base { [Key] string Name; }; class Mid : Base {}; instance of Mid { Name = \"m\"; };");
    grandchild = mirrored(repository, "root\\test\\Child\\deep");
    repository.putNamespace("root");
    const RepositoryCounts counts = repository.counts();
    CHECK(counts.namespaces == 4);
    CHECK(counts.classes == 7);    // Base, Part, Derived, Leaf, LogConsumer; Base, Mid
    CHECK(counts.instances == 8);  // Part, Derived, Leaf, filter, LogConsumer, binding, provider; Mid
  }

  Repository reopened(file);
  CHECK(reopened.path() == file);
  CHECK(reopened.namespaces() ==
        std::vector<std::string>{"root", "root\\test", "root\\test\\Child", "root\\test\\Child\\deep"});
  requireSameContents(*test, *loaded(reopened, "root\\test"));
  requireSameContents(*child, *loaded(reopened, "ROOT/TEST/CHILD"));
  requireSameContents(*grandchild, *loaded(reopened, "root\\test\\child\\deep"));

  // Spot checks of values that are easy to lose in text.
  const auto again = loaded(reopened, "root\\test");
  const ObjectPtr leaf = again->enumInstances("Leaf", false).at(0);
  CHECK(leaf->get("Name").asString() == "Leaf \"1\" \\ caf\xC3\xA9");
  CHECK(leaf->get("Size").asUInt64() == 42);  // Derived's default
  CHECK(again->getClass("Base")->get("Size").asUInt64() == 18446744073709551615ull);
  CHECK(leaf->get("Delta").isNull());
  CHECK(leaf->get("Text").asString() ==
        "line1\nline2\ttab \"quoted\" back\\slash caf\xC3\xA9 \xE4\xB8\xAD\xE6\x96\x87 \x01");
  CHECK(leaf->getQualifierSet().get("Leafy").asString() == "yes");
  const ObjectPtr derived = again->enumInstances("Derived", false).at(0);
  CHECK(derived->getQualifierSet().get("Comment").asString() == "an instance qualifier");
  CHECK(derived->get("Anything").asObject()->get("Label").asString() == "inner \"quoted\"");
  CHECK(derived->get("Many").asArray().size() == 2);
  CHECK(derived->get("Size").isNull());
  CHECK(again->getClass("Base")->getMethod("Reset").inSignature->definition().properties().size() == 2);

  SECTION("loading into a namespace of another name works, as restoring under a new name needs") {
    Namespace elsewhere("root\\elsewhere");
    reopened.load("root\\test", elsewhere);
    CHECK(userClasses(elsewhere).size() == 5);
    CHECK(elsewhere.enumInstances("__IndicationRelated").size() == 3);  // filter, consumer, binding
  }
  SECTION("a namespace that is not stored cannot be loaded") {
    Namespace nowhere("root\\nowhere");
    CHECK_STATUS(WBEM_E_INVALID_NAMESPACE, reopened.load("root\\nowhere", nowhere));
  }
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr std::int32_t kToSubclass = WBEM_FLAVOR_FLAG_PROPAGATE_TO_DERIVED_CLASS;

// A schema as a program builds it in code at every start: values no digits spell, a lone
// surrogate, and qualifiers of types their MOF literals do not give.
ClassObject schemaInCode() {
  ClassObject cls = ClassObject::createClass("Sensor");
  cls.putQualifier("Version", Value(std::uint32_t{3}), kToSubclass);
  cls.putQualifier("Weight", Value::real32(0.25f), kToSubclass | WBEM_FLAVOR_FLAG_PROPAGATE_TO_INSTANCE);
  cls.putQualifier("Since", Value(DateTime::timestamp(2024, 5, 6, 7, 8, 9, 10, 60)), kToSubclass);
  cls.putQualifier("Small", Value(-5LL), kToSubclass);
  cls.putQualifier("Codes", Value(CimType::UInt8, ValueArray{Value(std::uint8_t{1}), Value(std::uint8_t{255})}),
                   kToSubclass);
  cls.putQualifier("Nothing", Value::null(CimType::UInt16), WBEM_FLAVOR_DONT_PROPAGATE);
  cls.putQualifier("Limits", Value(CimType::Real64, ValueArray{Value(-kInf), Value(kNaN)}), kToSubclass);
  cls.putProperty("Id", scalarType(CimType::String));
  cls.putPropertyQualifier("Id", "key", Value(true), kToSubclass | WBEM_FLAVOR_NOT_OVERRIDABLE);
  cls.putPropertyQualifier("Id", "MaxLen", Value(std::uint32_t{64}), kToSubclass);
  cls.putProperty("Reading", scalarType(CimType::Real64), Value(kNaN));
  cls.putPropertyQualifier("Reading", "Resolution", Value(std::uint8_t{2}), kToSubclass);
  cls.putProperty("Peak", scalarType(CimType::Real32), Value::real32(std::numeric_limits<float>::infinity()));
  cls.putProperty("Floor", scalarType(CimType::Real64), Value(-kInf));
  cls.putProperty("Largest", scalarType(CimType::Real32), Value::real32(std::numeric_limits<float>::max()));
  cls.putProperty("History", arrayType(CimType::Real64),
                  Value(CimType::Real64, ValueArray{Value(1.5), Value(kNaN), Value(kInf), Value()}));
  cls.putProperty("Mark", scalarType(CimType::Char16), Value(char16_t{0xD800}));
  cls.putProperty("Marks", arrayType(CimType::Char16),
                  Value(CimType::Char16, ValueArray{Value(char16_t{0xDFFF}), Value(u'a'), Value(char16_t{0xFFFF})}));
  return cls;
}

}  // namespace

TEST_CASE("non-finite reals, lone surrogates and typed qualifiers survive reopening", "[repository]") {
  TempDir dir;
  const fs::path file = dir / "repository.db";
  std::unique_ptr<Namespace> ns;
  {
    Repository repository(file);
    ns = mirrored(repository, "root\\test");
    ns->putClass(schemaInCode());
    ClassObject derived = ns->getClass("Sensor")->spawnDerivedClass("Probe");
    derived.putQualifier("Version", Value(std::uint32_t{4}), kToSubclass);  // a local override, still uint32
    derived.putProperty("Gain", scalarType(CimType::Real32), Value::real32(-std::numeric_limits<float>::infinity()));
    ns->putClass(derived);
    ClassObject instance = ns->getClass("Probe")->spawnInstance();
    instance.put("Id", Value("p1"));
    instance.put("Reading", Value(-kNaN));
    instance.put("Mark", Value(char16_t{0xDBFF}));
    instance.put("History", Value(CimType::Real64, ValueArray{Value(-kInf)}));
    instance.putQualifier("Checked", Value(DateTime::interval(1, 2, 3, 4, 5)), kToSubclass);
    ns->putInstance(instance);
    REQUIRE(repository.counts().classes == 2);
    REQUIRE(repository.counts().instances == 1);
  }

  Repository reopened(file);
  const auto again = loaded(reopened, "root\\test");
  requireSameContents(*ns, *again);

  const ObjectPtr sensor = again->getClass("Sensor");
  CHECK(sensor->getQualifierSet().get("Version") == Value(std::uint32_t{3}));
  CHECK(sensor->getQualifierSet().get("Weight") == Value::real32(0.25f));
  CHECK(sensor->getQualifierSet().get("Since").type() == CimType::DateTime);
  CHECK(sensor->getQualifierSet().get("Small") == Value(-5LL));
  CHECK(sensor->getQualifierSet().find("Nothing")->value == Value::null(CimType::UInt16));
  CHECK(sensor->getPropertyQualifierSet("Id").get("MaxLen") == Value(std::uint32_t{64}));
  CHECK(std::isnan(sensor->get("Reading").asReal()));
  CHECK(sensor->get("Peak") == Value::real32(std::numeric_limits<float>::infinity()));
  CHECK(sensor->get("Largest") == Value::real32(std::numeric_limits<float>::max()));
  CHECK(sensor->get("Mark") == Value(char16_t{0xD800}));
  const ObjectPtr probe = again->enumInstances("Probe").at(0);
  CHECK(probe->get("Mark") == Value(char16_t{0xDBFF}));
  CHECK(probe->getQualifierSet().get("Checked").type() == CimType::DateTime);
  CHECK(sensor->getPropertyQualifierSet("Reading").get("Resolution") == Value(std::uint8_t{2}));
  CHECK(again->getClass("Probe")->getQualifierSet().get("Version") == Value(std::uint32_t{4}));
  CHECK(std::isnan(probe->get("Reading").asReal()));

  SECTION("putting the same schema again after a restart changes nothing") {
    // A program that puts its schema at every start: no modification, so no CLASS_HAS_INSTANCES.
    std::size_t changes = 0;
    struct Counter : NamespaceObserver {
      std::size_t& n;
      explicit Counter(std::size_t& count) : n(count) {}
      void classChanged(const Namespace&, const ObjectPtr&, const ObjectPtr&) override { ++n; }
      void instanceChanged(const Namespace&, const ObjectPtr&, const ObjectPtr&) override { ++n; }
    };
    again->addObserver(std::make_shared<Counter>(changes));
    CHECK_OK(again->putClass(schemaInCode()));
    CHECK_OK(again->putClass(*ns->getClass("Probe")));
    CHECK(changes == 0);
  }
}

TEST_CASE("objects stored with the nan and inf of earlier versions still load", "[repository]") {
  TempDir dir;
  const fs::path file = dir / "repository.db";
  {
    Repository repository(file);
    auto ns = mirrored(repository, "root\\test");
    compile(*ns, "class Old { [key] uint32 K; real64 A; real32 B; real64 C[]; }; instance of Old { K = 1; };");
  }
  // What getObjectText wrote before NaN and Inf had MOF spellings.
  sql(file, "UPDATE instances SET mof = 'instance of Old { K = 1; A = nan; B = -inf; C = {inf, -nan}; };'");
  Repository repository(file);
  const ObjectPtr old = loaded(repository, "root\\test")->enumInstances("Old").at(0);
  CHECK(std::isnan(old->get("A").asReal()));
  CHECK(old->get("B") == Value::real32(-std::numeric_limits<float>::infinity()));
  CHECK(old->get("C") == Value(CimType::Real64, ValueArray{Value(kInf), Value(kNaN)}));
}

TEST_CASE("what MOF cannot express is refused when put, and the namespace still loads", "[repository]") {
  TempDir dir;
  const fs::path file = dir / "repository.db";
  Repository repository(file);
  auto ns = mirrored(repository, "root\\test");
  compile(*ns, R"(
    class Holder { [key] uint32 K; object Payload; object Items[]; };
    class Part { [key] uint32 Id; };
    instance of Holder { K = 1; Payload = instance of Part { Id = 1; }; };)");
  const ObjectPtr holder = ns->getClass("Holder");
  const ObjectPtr part = ns->getClass("Part");

  // An instance that holds a class (as __ClassCreationEvent.TargetClass does) has no MOF text.
  ClassObject withClass = holder->spawnInstance();
  withClass.put("K", Value(std::uint32_t{1}));
  withClass.put("Payload", Value(part));
  Error error = wbemtest::errorOf([&] { repository.putInstance("root\\test", withClass); });
  CHECK(error.status() == WBEM_E_INVALID_PARAMETER);
  CHECK_THAT(error.message(), Catch::Contains(file.string()) && Catch::Contains("Holder") &&
                                  Catch::Contains("property 'Payload'") && Catch::Contains("class 'Part'"));

  ClassObject inArray = holder->spawnInstance();
  inArray.put("K", Value(std::uint32_t{2}));
  inArray.put("Items", Value(CimType::Object, ValueArray{Value(part)}));
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, repository.putInstance("root\\test", inArray));

  ClassObject classDefault = ClassObject::createClass("Template");
  classDefault.putProperty("Shape", PropertyType{CimType::Object, false, std::nullopt, ""}, Value(part));
  error = wbemtest::errorOf([&] { repository.putClass("root\\test", classDefault); });
  CHECK(error.status() == WBEM_E_INVALID_PARAMETER);
  CHECK_THAT(error.message(), Catch::Contains("class Template") && Catch::Contains("property 'Shape'"));

  // One qualifier name of two types no single declaration keeps.
  ClassObject mixed = ClassObject::createClass("Mixed");
  mixed.putProperty("A", scalarType(CimType::String));
  mixed.putPropertyQualifier("A", "Max", Value(std::uint32_t{1}), kToSubclass);
  mixed.putProperty("B", scalarType(CimType::String));
  mixed.putPropertyQualifier("B", "Max", Value(std::int32_t{1}), kToSubclass);
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, repository.putClass("root\\test", mixed));

  // A reference qualifier value: MOF qualifier types have no references.
  ClassObject pointing = ClassObject::createClass("Pointing");
  pointing.putQualifier("Origin", Value::reference("Part.Id=1"), kToSubclass);
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, repository.putClass("root\\test", pointing));

  // Nothing refused was stored, the stored copy of Holder 1 is the one before, and all loads.
  const RepositoryCounts counts = repository.counts();
  CHECK(counts.classes == 2);
  CHECK(counts.instances == 1);
  const auto again = loaded(repository, "root\\test");
  requireSameContents(*ns, *again);
  CHECK(again->enumInstances("Holder").at(0)->get("Payload").asObject()->isInstance());
}

TEST_CASE("namespaces are stored once, case-insensitively, and deleted with everything below", "[repository]") {
  TempDir dir;
  Repository repository(dir / "repository.db");
  repository.putNamespace("root\\A");
  repository.putNamespace("ROOT/a/");  // the same namespace
  repository.putNamespace("root\\a\\b");
  repository.putNamespace("root\\ab");  // a sibling whose name starts like root\a
  repository.putNamespace("root\\a\\b\\c");
  repository.putNamespace("root");
  CHECK(repository.namespaces() ==
        std::vector<std::string>{"root", "root\\A", "root\\ab", "root\\a\\b", "root\\a\\b\\c"});
  CHECK_STATUS(WBEM_E_INVALID_NAMESPACE, repository.putNamespace("\\/"));

  for (const std::string name : {"root\\a", "root\\a\\b", "root\\ab", "root\\a\\b\\c"}) {
    auto ns = std::make_unique<Namespace>(name);
    ns->addObserver(std::make_shared<Mirror>(repository));
    compile(*ns, "class C { [Key] uint32 K; }; instance of C { K = 1; }; instance of C { K = 2; };");
  }
  CHECK(repository.counts().classes == 4);
  CHECK(repository.counts().instances == 8);

  repository.deleteNamespace("ROOT/A");
  CHECK(repository.namespaces() == std::vector<std::string>{"root", "root\\ab"});
  const RepositoryCounts counts = repository.counts();
  CHECK(counts.namespaces == 2);
  CHECK(counts.classes == 1);
  CHECK(counts.instances == 2);
  CHECK(loaded(repository, "root\\ab")->enumInstances("C").size() == 2);
  CHECK_OK(repository.deleteNamespace("root\\a"));  // already gone: nothing happens

  ClassObject cls = ClassObject::createClass("C");
  CHECK_STATUS(WBEM_E_INVALID_NAMESPACE, repository.putClass("root\\a", cls));
}

TEST_CASE("deleting a class deletes its subclasses and all their instances", "[repository]") {
  TempDir dir;
  Repository repository(dir / "repository.db");
  auto ns = mirrored(repository, "root\\test");
  compile(*ns, R"(
    class Base { [Key] string Name; };
    class Mid : Base { uint32 Size; };
    class Leaf : Mid { string Extra; };
    class Other { [Key] string Name; };
    class OtherChild : Other {};
    instance of Base { Name = "b"; };
    instance of Mid { Name = "m"; Size = 1; };
    instance of Leaf { Name = "l"; Extra = "x"; };
    instance of Other { Name = "o"; };
    instance of OtherChild { Name = "oc"; };
  )");
  CHECK(repository.counts().classes == 5);
  CHECK(repository.counts().instances == 5);

  repository.deleteClass("root\\test", "mid");  // names compare case-insensitively
  RepositoryCounts counts = repository.counts();
  CHECK(counts.classes == 3);
  CHECK(counts.instances == 3);
  // A later call for a subclass that went with it is a no-op.
  CHECK_OK(repository.deleteClass("root\\test", "Leaf"));
  CHECK_OK(repository.deleteClass("root\\nowhere", "Base"));

  // The namespace's own deletion, mirrored: Base goes with its remaining instance.
  ns->deleteClass("Base");
  counts = repository.counts();
  CHECK(counts.classes == 2);
  CHECK(counts.instances == 2);
  requireSameContents(*ns, *loaded(repository, "root\\test"));
}

TEST_CASE("instances are keyed by their relative path, compared case-insensitively", "[repository]") {
  TempDir dir;
  Repository repository(dir / "repository.db");
  auto ns = mirrored(repository, "root\\test");
  compile(*ns, "class Item { [Key] string Name; uint32 Value; }; class Keyless { uint32 V; };");
  const ObjectPtr item = ns->getClass("Item");

  ClassObject first = item->spawnInstance();
  first.put("Name", Value("Abc"));
  first.put("Value", Value(std::uint32_t{1}));
  repository.putInstance("root\\test", first);
  ClassObject other = item->spawnInstance();
  other.put("Name", Value("zzz"));
  repository.putInstance("root\\test", other);
  ClassObject second = item->spawnInstance();
  second.put("Name", Value("ABC"));
  second.put("Value", Value(std::uint32_t{2}));
  repository.putInstance("root\\test", second);  // updates "Abc" in place
  CHECK(repository.counts().instances == 2);

  Namespace target("root\\test");
  repository.load("root\\test", target);
  const std::vector<ObjectPtr> instances = target.enumInstances("Item");
  REQUIRE(instances.size() == 2);
  CHECK(target.getInstance(ObjectPath::parse("Item.Name=\"abc\""))->get("Value").asUInt64() == 2);

  repository.deleteInstance("root\\test", first);  // "Abc" is "ABC"
  CHECK(repository.counts().instances == 1);
  CHECK_OK(repository.deleteInstance("root\\test", first));  // absent: nothing happens

  ClassObject keyless = ns->getClass("Keyless")->spawnInstance();
  CHECK_STATUS(WBEM_E_ILLEGAL_NULL, repository.putInstance("root\\test", keyless));
  CHECK_OK(repository.deleteInstance("root\\test", keyless));
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, repository.putInstance("root\\test", *item));
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, repository.putClass("root\\test", first));
  CHECK_STATUS(WBEM_E_INVALID_NAMESPACE, repository.putInstance("root\\nowhere", other));
}

TEST_CASE("system classes are built in and not stored; their instances are", "[repository]") {
  TempDir dir;
  Repository repository(dir / "repository.db");
  repository.putNamespace("root\\test");
  Namespace ns("root\\test");
  repository.putClass("root\\test", *ns.getClass("__EventFilter"));
  CHECK(repository.counts().classes == 0);

  ClassObject filter = ns.getClass("__EventFilter")->spawnInstance();
  filter.put("Name", Value("f"));
  filter.put("Query", Value("SELECT * FROM __InstanceCreationEvent WITHIN 1 WHERE TargetInstance ISA \"X\""));
  filter.put("QueryLanguage", Value("WQL"));
  ns.putInstance(filter);
  repository.putInstance("root\\test", *ns.enumInstances("__EventFilter").at(0));
  CHECK(repository.counts().instances == 1);
  requireSameContents(ns, *loaded(repository, "root\\test"));
}

TEST_CASE("an updated class keeps its place in creation order", "[repository]") {
  TempDir dir;
  const fs::path file = dir / "repository.db";
  {
    Repository repository(file);
    repository.putNamespace("root\\test");
    Namespace ns("root\\test");
    compile(ns, "class Base { [Key] string Name; }; class Derived : Base { uint32 Size; };");
    repository.putClass("root\\test", *ns.getClass("Base"));
    repository.putClass("root\\test", *ns.getClass("Derived"));
    // The base class changes after its subclass was stored (stored directly: the namespace itself
    // refuses to change a class with subclasses).
    ClassObject base = *ns.getClass("Base");
    base.putProperty("Added", scalarType(CimType::String), Value("new"));
    repository.putClass("root\\test", base);

    // A class changed to derive from a class created after it loads after that class.
    compile(ns, "class Early { [Key] uint32 K; }; class Late { [Key] uint32 K; string Tag; };");
    repository.putClass("root\\test", *ns.getClass("Early"));
    repository.putClass("root\\test", *ns.getClass("Late"));
    ns.deleteClass("Early");
    compile(ns, "class Early : Late { uint32 More; };");
    repository.putClass("root\\test", *ns.getClass("Early"));
    ClassObject instance = ns.getClass("Early")->spawnInstance();
    instance.put("K", Value(std::uint32_t{1}));
    repository.putInstance("root\\test", instance);
    CHECK(repository.counts().classes == 4);
  }
  Repository repository(file);
  const auto ns = loaded(repository, "root\\test");
  CHECK(ns->getClass("Derived")->get("Added").asString() == "new");
  CHECK(ns->getClass("Early")->superclassName() == "Late");
  CHECK(ns->getClass("Early")->hasProperty("Tag"));
  CHECK(ns->enumInstances("Late").size() == 1);
}

TEST_CASE("a stored object that no longer loads is reported with namespace, object and cause", "[repository]") {
  TempDir dir;
  const fs::path file = dir / "repository.db";
  {
    Repository repository(file);
    auto ns = mirrored(repository, "root\\test");
    compile(*ns, "class Good { [Key] uint32 K; }; class Broken { [Key] uint32 K; }; instance of Good { K = 1; };");
  }
  sql(file, "UPDATE classes SET mof = 'class Broken : Missing {};' WHERE name = 'Broken'");
  Repository repository(file);
  Namespace target("root\\test");
  const Error error = wbemtest::errorOf([&] { repository.load("root\\test", target); });
  CHECK(error.status() == WBEM_E_INVALID_SUPERCLASS);
  CHECK_THAT(error.message(), Catch::Contains("root\\test") && Catch::Contains("class Broken") &&
                                  Catch::Contains("Missing") && Catch::Contains(file.string()));
  CHECK_FALSE(target.findClass("Good"));  // nothing of a namespace that fails is loaded
}

TEST_CASE("files the repository cannot read are refused and left untouched", "[repository]") {
  TempDir dir;

  SECTION("a newer schema version") {
    const fs::path file = dir / "newer.db";
    { Repository repository(file); }
    sql(file, "PRAGMA user_version = 99");
    const Error error = wbemtest::errorOf([&] { Repository repository(file); });
    CHECK(error.status() == WBEM_E_DATABASE_VER_MISMATCH);
    CHECK_THAT(error.message(), Catch::Contains("99") &&
                                    Catch::Contains("version " + std::to_string(Repository::kSchemaVersion)) &&
                                    Catch::Contains(file.string()));
    CHECK(sql(file, "PRAGMA user_version") == "99");
  }
  SECTION("a file that is not SQLite") {
    const fs::path file = dir / "text.db";
    std::string text;
    for (int i = 0; i < 200; ++i) text += "this is not a database, line " + std::to_string(i) + "\n";
    writeFile(file, text);
    const Error error = wbemtest::errorOf([&] { Repository repository(file); });
    CHECK(error.status() == WBEM_E_FAILED);
    CHECK_THAT(error.message(), Catch::Contains(file.string()) && Catch::Contains("not a wbem repository") &&
                                    Catch::Contains("file is not a database"));
    CHECK(readFile(file) == text);
  }
  SECTION("an SQLite database of another application") {
    const fs::path file = dir / "other.db";
    sql(file, "CREATE TABLE t(x)");
    const std::string before = readFile(file);
    const Error error = wbemtest::errorOf([&] { Repository repository(file); });
    CHECK_THAT(error.message(), Catch::Contains("another application"));
    CHECK(readFile(file) == before);
  }
  SECTION("a directory that does not exist") {
    const fs::path file = dir / "missing" / "repository.db";
    const Error error = wbemtest::errorOf([&] { Repository repository(file); });
    CHECK_THAT(error.message(), Catch::Contains(file.string()) && Catch::Contains("cannot open"));
  }
  SECTION("an empty file is a new repository") {
    const fs::path file = dir / "empty.db";
    writeFile(file, "");
    Repository repository(file, RepositoryOptions{.durableAgainstPowerLoss = true});
    repository.putNamespace("root");
    CHECK(repository.counts().namespaces == 1);
    CHECK(sql(file, "PRAGMA user_version") == std::to_string(Repository::kSchemaVersion));
  }
}

TEST_CASE("a backup taken while writes go on is consistent, and restores into another repository",
          "[repository][backup]") {
  TempDir dir;
  Repository repository(dir / "live.db");
  auto ns = mirrored(repository, "root\\test");
  compile(*ns, "class Item { [Key] uint32 Id; string Text; };");
  const ObjectPtr item = ns->getClass("Item");

  constexpr std::uint32_t kItems = 600;
  std::atomic<std::uint32_t> written{0};
  std::thread writer([&] {
    for (std::uint32_t i = 0; i < kItems; ++i) {
      ClassObject instance = item->spawnInstance();
      instance.put("Id", Value(i));
      instance.put("Text", Value("item " + std::to_string(i)));
      ns->putInstance(instance);  // mirrored into the repository
      written = i + 1;
    }
  });
  while (written < 100) std::this_thread::yield();
  const std::uint32_t before = written;
  repository.backup(dir / "during.db");
  const std::uint32_t after = written;
  writer.join();

  {
    // The copy holds the instances of one moment: a prefix of the ones written.
    Repository copy(dir / "during.db");
    const auto copied = loaded(copy, "root\\test");
    const std::vector<ObjectPtr> instances = copied->enumInstances("Item");
    CHECK(instances.size() >= before);
    CHECK(instances.size() <= after);
    for (std::uint32_t i = 0; i < instances.size(); ++i)
      CHECK(copied->getInstance(ObjectPath::forInstance("Item", {{"Id", Value(i)}})));
  }

  repository.backup(dir / "final.db");
  CHECK_FALSE(fs::exists(dir / "final.db.partial"));
  Repository other(dir / "other.db");
  auto otherNs = mirrored(other, "root\\other");
  compile(*otherNs, "class Gone { [Key] uint32 K; }; instance of Gone { K = 1; };");
  other.restore(dir / "final.db");
  CHECK(other.namespaces() == std::vector<std::string>{"root\\test"});
  CHECK(other.counts().instances == kItems);
  requireSameContents(*ns, *loaded(other, "root\\test"));

  // The restored repository goes on working, and a second connection to it sees what it holds.
  other.putNamespace("root\\after");
  other.deleteClass("root\\test", "Item");
  Repository second(dir / "other.db");
  const RepositoryCounts counts = second.counts();
  CHECK(counts.namespaces == 2);
  CHECK(counts.classes == 0);
  CHECK(counts.instances == 0);
}

TEST_CASE("a restore from a bad file leaves the contents untouched", "[repository][backup]") {
  TempDir dir;
  Repository repository(dir / "live.db");
  auto ns = mirrored(repository, "root\\test");
  compile(*ns, "class Item { [Key] uint32 Id; }; instance of Item { Id = 1; }; instance of Item { Id = 2; };");
  repository.backup(dir / "good.db");

  const fs::path newer = dir / "newer.db";
  fs::copy_file(dir / "good.db", newer);
  sql(newer, "PRAGMA user_version = 99");
  const fs::path foreign = dir / "foreign.db";
  sql(foreign, "CREATE TABLE t(x)");
  const fs::path text = dir / "text.db";
  writeFile(text, std::string(8192, 'x'));
  const fs::path truncated = dir / "truncated.db";
  const std::string good = readFile(dir / "good.db");
  REQUIRE(good.size() > 4096);
  writeFile(truncated, good.substr(0, good.size() - 4096));

  for (const auto& [file, status] : std::vector<std::pair<fs::path, Status>>{
           {newer, WBEM_E_DATABASE_VER_MISMATCH},
           {foreign, WBEM_E_FAILED},
           {text, WBEM_E_FAILED},
           {truncated, WBEM_E_FAILED},
           {dir / "missing.db", WBEM_E_FAILED},
       }) {
    INFO(file.string());
    const Error error = wbemtest::errorOf([&] { repository.restore(file); });
    CHECK(error.status() == status);
    CHECK_THAT(error.message(), Catch::Contains(file.string()));
    const RepositoryCounts counts = repository.counts();
    CHECK(counts.namespaces == 1);
    CHECK(counts.classes == 1);
    CHECK(counts.instances == 2);
  }
  requireSameContents(*ns, *loaded(repository, "root\\test"));
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, repository.restore(repository.path()));
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, repository.backup(repository.path()));
  CHECK_OK(repository.putNamespace("root\\still-writable"));
  CHECK_OK(repository.restore(dir / "good.db"));
  CHECK(repository.namespaces() == std::vector<std::string>{"root\\test"});
}

namespace {

// Change `i` of the crash test's stream: puts and deletes over a small set of keys.
struct Change {
  bool put;
  std::uint32_t key;
};
Change changeAt(std::uint32_t i) { return Change{i % 5 != 4, (i * 7) % 23}; }

// The instances (key -> value) after the first `n` changes.
std::map<std::uint32_t, std::uint32_t> stateAfter(std::uint32_t n) {
  std::map<std::uint32_t, std::uint32_t> state;
  for (std::uint32_t i = 0; i < n; ++i) {
    const Change change = changeAt(i);
    if (change.put)
      state[change.key] = i;
    else
      state.erase(change.key);
  }
  return state;
}

// The child of the crash test: opens the repository and makes changes until it is killed,
// reporting the number of each on `pipe` after it returned. Never returns.
[[noreturn]] void changeUntilKilled(const fs::path& file, const ClassObject& item, int pipe) {
  int code = 0;
  try {
    Repository repository(file);
    for (std::uint32_t i = 0;; ++i) {
      const Change change = changeAt(i);
      ClassObject instance = item.spawnInstance();
      instance.put("Key", Value(change.key));
      instance.put("Value", Value(i));
      if (change.put)
        repository.putInstance("root\\test", instance);
      else
        repository.deleteInstance("root\\test", instance);
      if (::write(pipe, &i, sizeof i) != sizeof i) break;
    }
  } catch (...) {
    code = 1;
  }
  ::_exit(code);
}

}  // namespace

TEST_CASE("a writer killed at any moment loses no committed change", "[repository][crash]") {
  TempDir dir;
  std::random_device seeds;
  const unsigned seed = seeds();
  INFO("seed " << seed);
  std::mt19937 random(seed);
  // The first rounds end while the child opens the file or makes its first change (creating the WAL), the later
  // ones in the middle of the stream.
  const std::vector<int> delaysMs{2, 20, 50, 100, 180};

  for (std::size_t round = 0; round < delaysMs.size(); ++round) {
    const fs::path file = dir / ("crash" + std::to_string(round) + ".db");
    ObjectPtr item;
    {
      // Set up, then closed before the fork: a child must not inherit an open connection.
      Repository repository(file);
      auto ns = mirrored(repository, "root\\test");
      compile(*ns, "class Item { [Key] uint32 Key; uint32 Value; };");
      item = ns->getClass("Item");
    }
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      ::close(fds[0]);
      changeUntilKilled(file, *item, fds[1]);
    }
    ::close(fds[1]);

    // Read the child's reports while it runs (a full pipe would stall it), then kill it.
    std::string reports;
    const auto readReports = [&](int timeoutMs) {
      pollfd p{fds[0], POLLIN, 0};
      if (::poll(&p, 1, timeoutMs) <= 0) return false;
      char buffer[4096];
      const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
      if (n <= 0) return false;
      reports.append(buffer, static_cast<std::size_t>(n));
      return true;
    };
    const int delay = delaysMs[round] + std::uniform_int_distribution<int>(0, 20)(random);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(delay);
    while (std::chrono::steady_clock::now() < deadline) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      readReports(static_cast<int>(std::max<std::int64_t>(left.count(), 0)));
    }
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    while (readReports(-1)) {
    }
    ::close(fds[0]);
    INFO("round " << round << ", killed after " << delay << " ms");
    REQUIRE(WIFSIGNALED(status));  // killed, not exited by an error of its own

    const std::uint32_t committed = static_cast<std::uint32_t>(reports.size() / sizeof(std::uint32_t));
    for (std::uint32_t i = 0; i < committed; ++i) {
      std::uint32_t reported;
      std::memcpy(&reported, reports.data() + i * sizeof reported, sizeof reported);
      REQUIRE(reported == i);
    }
    INFO(committed << " changes reported committed");

    Repository repository(file);
    CHECK(sql(file, "PRAGMA integrity_check") == "ok");
    const auto ns = loaded(repository, "root\\test");
    std::map<std::uint32_t, std::uint32_t> state;
    for (const ObjectPtr& instance : ns->enumInstances("Item"))
      state[static_cast<std::uint32_t>(instance->get("Key").asUInt64())] =
          static_cast<std::uint32_t>(instance->get("Value").asUInt64());
    CHECK(repository.counts().instances == state.size());
    // Every reported change is there; the one in flight may be too, nothing else.
    CHECK((state == stateAfter(committed) || state == stateAfter(committed + 1)));
  }
}

TEST_CASE("a version 1 repository is migrated and keeps its contents; namespaces get their security", "[repository]") {
  TempDir dir;
  const fs::path file = dir / "old.db";
  {
    Repository repository(file);
    repository.putNamespace("root\\app");
  }
  // What version 1 was: namespaces without their security column.
  sql(file, "ALTER TABLE namespaces DROP COLUMN security");
  sql(file, "PRAGMA user_version = 1");
  Repository repository(file);
  CHECK(repository.namespaces() == std::vector<std::string>{"root\\app"});
  CHECK_FALSE(repository.namespaceSecurity("root\\app"));
  repository.putNamespaceSecurity("root/app", "O:BAG:BAD:(A;;0x1;;;WD)");
  CHECK(repository.namespaceSecurity("ROOT\\APP") == "O:BAG:BAD:(A;;0x1;;;WD)");
  repository.putNamespaceSecurity("root\\app", std::nullopt);
  CHECK_FALSE(repository.namespaceSecurity("root\\app"));
  CHECK(wbemtest::statusOf([&] { repository.putNamespaceSecurity("root\\nowhere", "D:"); }) ==
        WBEM_E_INVALID_NAMESPACE);
}
