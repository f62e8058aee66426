// A well-formed consumer plugin, as a third party writes one: each event's S property is appended
// as one line to the file its logical consumer's Name names.

#include <wbem/consumer_provider.hpp>

#include <fstream>
#include <string>

namespace {

class LineSink : public wbem::ConsumerSink<> {
 public:
  explicit LineSink(const wbem::ClassObject& logicalConsumer) : path_(logicalConsumer.get("Name").asString()) {}

 protected:
  void consume(const wbem::ClassObject&, const wbem::ClassObject& event) override {
    std::ofstream out(path_, std::ios::app);
    out << event.get("S").asString() << '\n';
    if (!out) throw wbem::Error(wbem::WBEM_E_FAILED, "cannot write " + path_);
  }

 private:
  std::string path_;
};

}  // namespace

WBEM_CONSUMER_PLUGIN(wbem::SimpleConsumerProvider<LineSink>)
