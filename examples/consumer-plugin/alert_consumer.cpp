// AlertFileConsumer: a consumer plugin as a third party writes one. Each logical consumer
// (instance of AlertFileConsumer) names a file, a severity and a text template; each event it
// receives becomes one line "<severity> <text>" in that file.
//
// The whole plugin: a sink class (ConsumerSink does locking and batching; we override consume and
// flush) and one macro that exports it.

#include <wbem/consumer_provider.hpp>
#include <wbem/string_template.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

namespace {

class AlertFileSink : public wbem::ConsumerSink<> {
 public:
  // Reads the logical consumer's settings; a bad one is refused (the binding stays inactive).
  explicit AlertFileSink(const wbem::ClassObject& consumer)
      : path_(text(consumer, "Filename")), severity_(text(consumer, "Severity")), template_(text(consumer, "Text")) {
    if (path_.empty()) throw wbem::Error(wbem::WBEM_E_INVALID_PARAMETER, "AlertFileConsumer needs a Filename");
    if (severity_.empty()) severity_ = "NOTICE";
  }

 protected:
  void consume(const wbem::ClassObject&, const wbem::ClassObject& event) override {
    batch_ += severity_ + ' ' + wbem::formatTemplate(template_, event) + '\n';
  }
  // One write per batch; a failure fails the batch (retried, then __ConsumerFailureEvent).
  void flush() override {
    std::ofstream out(path_, std::ios::app | std::ios::binary);
    out << batch_;
    batch_.clear();
    if (!out.flush()) throw wbem::Error(wbem::WBEM_E_FAILED, "cannot append to " + path_ + ": " + std::strerror(errno));
  }

 private:
  static std::string text(const wbem::ClassObject& consumer, std::string_view property) {
    const wbem::Value v = consumer.get(property);
    return v.isNull() ? std::string() : v.asString();
  }

  std::string path_, severity_, template_, batch_;
};

}  // namespace

WBEM_CONSUMER_PLUGIN(wbem::SimpleConsumerProvider<AlertFileSink>)
