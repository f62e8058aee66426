// Benchmark of the MOF compiler: compiles a generated MOF text of 10 000 classes (with
// properties of several types, inheritance and methods) and 100 000 instances into an empty
// namespace, and prints lines/s, bytes/s and the peak memory of the process, beside a baseline
// measured in the same run: one pass over the same text that splits it into words and counts
// lines (the least any compiler must do), so the ratio shows what parsing and checking cost.
// Usage: bench_mof_compile [classes [instances]]

#include <wbem/mof.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <sys/resource.h>

namespace {

/// The MOF text: classes in families of ten (one root, nine subclasses), instances spread evenly.
std::string generate(int classes, int instances) {
  std::string out;
  out.reserve(static_cast<std::size_t>(classes) * 400 + static_cast<std::size_t>(instances) * 160);
  out += "#pragma namespace(\"\\\\\\\\.\\\\root\\\\bench\")\n";
  for (int c = 0; c < classes; ++c) {
    const int root = c - c % 10;
    out += "[Description(\"Generated class " + std::to_string(c) + "\")]\n";
    out += "class Bench_C" + std::to_string(c);
    if (c != root) out += " : Bench_C" + std::to_string(root);
    out += "\n{\n";
    if (c == root) out += "  [key] string Name;\n  [key] uint32 Id;\n";
    const std::string n = std::to_string(c);
    out += "  uint64 Size" + n + " = 0;\n  real64 Ratio" + n + ";\n  string Tags" + n + "[];\n  datetime When" + n +
           ";\n  boolean Flag" + n + " = FALSE;\n";
    if (c % 10 == 1) out += "  sint32 Run" + n + "([in] string Arg, [in] uint32 Count, [out] string Result);\n";
    out += "};\n";
  }
  for (int i = 0; i < instances; ++i) {
    const int c = i % classes;
    const std::string n = std::to_string(c);
    out += "instance of Bench_C" + n + "\n{\n  Name = \"instance-" + std::to_string(i) +
           "\";\n  Id = " + std::to_string(i) + ";\n  Size" + n + " = " + std::to_string(i * 1000ll) + ";\n  Ratio" +
           n + " = 0.5;\n  Tags" + n + " = {\"a\", \"b\"};\n  When" + n + " = \"20240101120000.000000+000\";\n};\n";
  }
  return out;
}

// The baseline pass: counts lines and words (runs of identifier characters), touching every byte once.
std::size_t scanWords(const std::string& text, std::size_t& lines) {
  std::size_t words = 0;
  bool inWord = false;
  lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
  for (const char c : text) {
    const bool word = std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    words += word && !inWord;
    inWord = word;
  }
  return words;
}

}  // namespace

int main(int argc, char** argv) {
  const int classes = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int instances = argc > 2 ? std::atoi(argv[2]) : 100000;
  if (classes <= 0 || instances < 0) {
    std::fprintf(stderr, "usage: bench_mof_compile [classes [instances]]\n");
    return 2;
  }
  const std::string text = generate(classes, instances);

  const auto scanStart = std::chrono::steady_clock::now();
  std::size_t scannedLines = 0;
  const std::size_t words = scanWords(text, scannedLines);
  const double scanSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - scanStart).count();

  wbem::Namespace ns("root\\bench");
  wbem::MofCompiler compiler([&](const std::string& name) { return wbem::iequals(name, ns.name()) ? &ns : nullptr; });
  const auto start = std::chrono::steady_clock::now();
  const wbem::MofResult r = compiler.compileText(text, "generated.mof");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!r.ok()) {
    for (const auto& d : r.diagnostics) std::fprintf(stderr, "%s\n", d.toString().c_str());
    return 1;
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("mof compile: %zu classes, %zu instances, %zu lines, %.1f MB of text\n", r.classes, r.instances, r.lines,
              static_cast<double>(text.size()) / 1e6);
  std::printf("  time        %.3f s\n", seconds);
  std::printf("  lines/s     %.0f  (baseline, one pass splitting %zu words: %.0f lines/s; compile = %.1fx its time)\n",
              static_cast<double>(r.lines) / seconds, words, static_cast<double>(scannedLines) / scanSeconds,
              seconds / scanSeconds);
  std::printf("  MB/s        %.2f\n", static_cast<double>(text.size()) / 1e6 / seconds);
  std::printf("  peak memory %.1f MB (max RSS of the process, text included)\n",
              static_cast<double>(usage.ru_maxrss) / 1024.0);
  return 0;
}
