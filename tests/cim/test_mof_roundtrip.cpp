// Round trip: the MOF text (getObjectText) of every class and instance the corpus creates
// compiles back to an equal object.

#include <algorithm>
#include <catch2/catch.hpp>

#include "test_mof_support.hpp"

using namespace wbem;

namespace {

void sortByDepth(std::vector<ObjectPtr>& classes) {
  std::stable_sort(classes.begin(), classes.end(), [](const ObjectPtr& a, const ObjectPtr& b) {
    return a->definition().derivation().size() < b->definition().derivation().size();
  });
}

/// A fresh namespace holding the (non-system) classes of `from`, without instances.
std::unique_ptr<Namespace> classesOf(const Namespace& from) {
  auto out = std::make_unique<Namespace>(from.name());
  auto classes = from.enumClasses();
  sortByDepth(classes);
  for (const ObjectPtr& c : classes)
    if (!c->className().starts_with("__")) out->putClass(*c);
  return out;
}

}  // namespace

TEST_CASE("mof round trip: every corpus class and instance recompiles to an equal object", "[mof][roundtrip]") {
  testing::Namespaces ns;
  MofCompiler compiler(ns.resolver());
  for (const auto& file : testing::mofCorpus()) REQUIRE(compiler.compileFile(file).ok());

  std::size_t classes = 0, instances = 0;
  for (const auto& [name, space] : ns.spaces) {
    // Each class is taken out of a copy of its namespace (with its subclasses, put back after)
    // and recompiled from its text, so that the classes it uses exist. Deepest classes first:
    // the ancestors a class is recompiled on are still the originals.
    auto fresh = classesOf(*space);
    auto all = space->enumClasses();
    sortByDepth(all);
    std::reverse(all.begin(), all.end());
    for (const ObjectPtr& cls : all) {
      if (cls->className().starts_with("__")) continue;
      const std::string text = cls->getObjectText();
      INFO("class " + cls->className() + ":\n" + text);
      auto subclasses = fresh->enumClasses(cls->className(), true);
      sortByDepth(subclasses);
      fresh->deleteClass(cls->className());
      const MofResult r = MofCompiler([&](const std::string&) { return fresh.get(); }).compileText(text, "class.mof");
      INFO(testing::diagnosticsText(r));
      REQUIRE(r.ok());
      CHECK(fresh->getClass(cls->className())->compareTo(*cls, WBEM_FLAG_IGNORE_OBJECT_SOURCE));
      for (const ObjectPtr& sub : subclasses)
        if (!iequals(sub->className(), cls->className())) fresh->putClass(*sub);
      ++classes;
    }
    auto withClasses = classesOf(*space);
    for (const ObjectPtr& cls : space->enumClasses()) {
      for (const ObjectPtr& inst : space->enumInstances(cls->className(), false)) {
        const std::string text = inst->getObjectText();
        INFO(text);
        const MofResult r =
            MofCompiler([&](const std::string&) { return withClasses.get(); }).compileText(text, "instance.mof");
        INFO(testing::diagnosticsText(r));
        REQUIRE(r.ok());
        CHECK(withClasses->getInstance(*inst->path())->compareTo(*inst, WBEM_FLAG_IGNORE_OBJECT_SOURCE));
        ++instances;
      }
    }
  }
  CHECK(classes >= 60);
  CHECK(instances >= 40);
}
