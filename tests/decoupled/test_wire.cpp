// Tests of the wire codec of the daemon protocol (wbem/wire.hpp): frames and their incremental
// decoder, the Hello handshake, and the per-connection object codec (class records once, then
// slot-ordered instances), with every CIM type, classes with methods and qualifiers, and hostile
// input of every kind the decoders must refuse.

#include <wbem/classobject.hpp>
#include <wbem/mof.hpp>
#include <wbem/namespace.hpp>
#include <wbem/status.hpp>
#include <wbem/wire.hpp>

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support.hpp"

using namespace wbem;
using namespace wbem::wire;
using wbemtest::errorOf;

namespace {

// Bytes packed by `f` (for hand-made, hostile records).
Bytes packed(const std::function<void(Packer&)>& f) {
  Bytes out;
  ByteSink sink(out);
  Packer packer(sink);
  f(packer);
  return out;
}

// A raw frame: length prefix and payload as given, so that tests can lie about both.
Bytes rawFrame(std::uint32_t length, const Bytes& payload) {
  Bytes out{static_cast<std::uint8_t>(length), static_cast<std::uint8_t>(length >> 8),
            static_cast<std::uint8_t>(length >> 16), static_cast<std::uint8_t>(length >> 24)};
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

Bytes rawFrame(const Bytes& payload) { return rawFrame(static_cast<std::uint32_t>(payload.size()), payload); }

// Every frame a decoder fed `stream` in one piece gives.
std::vector<Frame> framesOf(FrameDecoder& decoder, const Bytes& stream) {
  decoder.feed(stream);
  std::vector<Frame> frames;
  while (auto frame = decoder.next()) frames.push_back(std::move(*frame));
  return frames;
}

// Encodes with a fresh encoder and decodes with a fresh decoder.
ClassObject roundTrip(const ClassObject& object) {
  ObjectEncoder encoder;
  ObjectDecoder decoder;
  return decoder.decode(encoder.encode(object));
}

const PropertyType kSInt32 = scalarType(CimType::SInt32);
const PropertyType kString = scalarType(CimType::String);

// A class with one property of each CIM type, scalar and array, and an object property of class Point.
ClassObject allTypesClass() {
  ClassObject c = ClassObject::createClass("AllTypes");
  for (CimType t : {CimType::SInt8, CimType::UInt8, CimType::SInt16, CimType::UInt16, CimType::SInt32, CimType::UInt32,
                    CimType::SInt64, CimType::UInt64, CimType::Real32, CimType::Real64, CimType::Boolean,
                    CimType::String, CimType::DateTime, CimType::Reference, CimType::Char16, CimType::Object}) {
    const std::string name(cimTypeName(t));
    c.putProperty("S_" + name, scalarType(t));
    c.putProperty("A_" + name, arrayType(t));
  }
  c.putProperty("Point", scalarType(CimType::Object, "Point"));
  c.putProperty("Fixed", PropertyType{CimType::UInt8, true, 4, {}});
  return c;
}

ClassObject pointClass() {
  ClassObject p = ClassObject::createClass("Point");
  p.putProperty("X", kSInt32);
  p.putProperty("Y", kSInt32);
  return p;
}

ObjectPtr point(std::int32_t x, std::int32_t y) {
  ClassObject p = pointClass().spawnInstance();
  p.put("X", Value(x));
  p.put("Y", Value(y));
  return share(std::move(p));
}

// An instance of allTypesClass() with extreme values everywhere.
ClassObject allTypesInstance(std::size_t longString = 70000) {
  ClassObject i = allTypesClass().spawnInstance();
  i.put("S_sint8", Value(std::int8_t{-128}));
  i.put("S_uint8", Value(std::uint8_t{255}));
  i.put("S_sint16", Value(std::int16_t{-32768}));
  i.put("S_uint16", Value(std::uint16_t{65535}));
  i.put("S_sint32", Value(std::int32_t{std::numeric_limits<std::int32_t>::min()}));
  i.put("S_uint32", Value(std::uint32_t{4294967295u}));
  i.put("S_sint64", Value(std::numeric_limits<long long>::min()));
  i.put("S_uint64", Value(std::numeric_limits<unsigned long long>::max()));
  i.put("S_real32", Value(1.5e-45f));  // the smallest denormal
  i.put("S_real64", Value(std::numeric_limits<double>::quiet_NaN()));
  i.put("S_boolean", Value(false));
  i.put("S_string", Value(std::string("tab\t, quote \", nul ") + std::string(1, '\0') + " and é"));
  i.put("S_datetime", Value(DateTime::parse("20240229235959.999999-330")));
  i.put("S_ref", Value::reference("\\\\host\\root\\cimv2:Disk.Name=\"C:\",Id=7"));
  i.put("S_char16", Value(char16_t{0xFFFF}));
  i.put("S_object", Value(point(1, -2)));
  i.put("A_sint8", Value(CimType::SInt8, {Value(std::int8_t{127}), Value(), Value(std::int8_t{-1})}));
  i.put("A_uint8", Value(CimType::UInt8, {Value(std::uint8_t{0}), Value(std::uint8_t{1}), Value(std::uint8_t{255})}));
  i.put("A_sint16", Value(CimType::SInt16, {}));
  i.put("A_uint16", Value::null(CimType::UInt16, true));
  i.put("A_sint32", Value(CimType::SInt32, {Value(std::int32_t{0})}));
  i.put("A_uint32", Value(CimType::UInt32, {Value(std::uint32_t{7}), Value()}));
  i.put("A_sint64", Value(CimType::SInt64, {Value(std::numeric_limits<long long>::max())}));
  i.put("A_uint64", Value(CimType::UInt64, {Value(0ull), Value(18446744073709551615ull)}));
  i.put("A_real32", Value(CimType::Real32, {Value(std::numeric_limits<float>::infinity()), Value(-0.0f),
                                            Value(std::numeric_limits<float>::quiet_NaN()), Value(3.25f)}));
  i.put("A_real64", Value(CimType::Real64, {Value(-std::numeric_limits<double>::infinity()), Value(0.1),
                                            Value(std::numeric_limits<double>::denorm_min())}));
  i.put("A_boolean", Value(CimType::Boolean, {Value(true), Value(), Value(false)}));
  i.put("A_string", Value(CimType::String, {Value(""), Value(), Value(std::string(longString, 'x'))}));
  i.put("A_datetime", Value(CimType::DateTime, {Value(DateTime::parse("00000001020304.000005:000")),
                                                Value(DateTime::timestamp(1, 1, 1, 0, 0, 0, 0, 840))}));
  i.put("A_ref", Value(CimType::Reference, {Value::reference("Point.X=1"), Value()}));
  i.put("A_char16", Value(CimType::Char16, {Value(u'a'), Value(char16_t{0})}));
  i.put("A_object", Value(CimType::Object, {Value(point(3, 4)), Value(), Value(point(5, 6))}));
  i.put("Point", Value(point(7, 8)));
  i.put("Fixed", Value(CimType::UInt8, {Value(std::uint8_t{9}), Value()}));  // a uint8[] with a NULL: not bin
  return i;
}

}  // namespace

// --- values and objects ---------------------------------------------------------------------------

TEST_CASE("every CIM type round-trips exactly, NULLs, NaN, infinities and extremes included", "[wire][object]") {
  const ClassObject original = allTypesInstance();
  const ClassObject decoded = roundTrip(original);
  CHECK(decoded == original);
  CHECK(decoded.getObjectText() == original.getObjectText());
  CHECK(std::signbit(decoded.get("A_real32").asArray()[1].asReal()));  // -0 stays -0
  CHECK(decoded.get("S_string").asString() == original.get("S_string").asString());
  CHECK(decoded.get("S_uint64").asUInt64() == std::numeric_limits<std::uint64_t>::max());

  // The class itself, with its defaults, and an instance of it left at those defaults.
  ClassObject cls = allTypesClass();
  cls.put("S_sint32", Value(std::int32_t{42}));
  cls.put("A_string", Value(CimType::String, {Value("default")}));
  cls.put("Point", Value(point(0, 0)));
  CHECK(roundTrip(cls) == cls);
  CHECK(roundTrip(cls.spawnInstance()) == cls.spawnInstance());
}

TEST_CASE("NULLs keep the type they carry, typed or not", "[wire][object]") {
  ClassObject cls = ClassObject::createClass("Nulls");
  cls.putProperty("A", kSInt32);
  cls.putProperty("B", arrayType(CimType::String));
  cls.putProperty("C", kString);
  ClassObject i = cls.spawnInstance();
  i.putExact(0, Value());                             // untyped NULL
  i.putExact(1, Value::null(CimType::String));        // a scalar NULL in an array property
  i.putExact(2, Value::null(CimType::SInt64, true));  // a NULL of another type
  const ClassObject decoded = roundTrip(i);
  CHECK(decoded == i);
  CHECK(decoded.get(0).type() == CimType::Empty);
  CHECK_FALSE(decoded.get(1).isArray());
  CHECK(decoded.get(2).type() == CimType::SInt64);
}

TEST_CASE("origin, instance qualifiers and property qualifiers of instances round-trip", "[wire][object]") {
  ClassObject cls = ClassObject::createClass("Q");
  cls.putProperty("P", kString);
  cls.putProperty("R", kSInt32);
  cls.putQualifier("Shown", Value("class"), WBEM_FLAVOR_FLAG_PROPAGATE_TO_INSTANCE);
  cls.putPropertyQualifier("P", "Units", Value("Bytes"), WBEM_FLAVOR_FLAG_PROPAGATE_TO_INSTANCE);
  ClassObject i = cls.spawnInstance();
  i.put("P", Value("p"));
  i.putQualifier("Own", Value(CimType::SInt32, {Value(1), Value(2)}), WBEM_FLAVOR_AMENDED);
  i.putQualifier("Shown", Value("overridden"));
  i.putPropertyQualifier("R", "Note", Value(true));
  i.putPropertyQualifier("P", "Units", Value("KB"), WBEM_FLAVOR_NOT_OVERRIDABLE);
  i.setOrigin("server1", "root\\cimv2");
  const ClassObject decoded = roundTrip(i);
  CHECK(decoded == i);
  CHECK(decoded.server() == "server1");
  CHECK(decoded.namespacePath() == "root\\cimv2");
  CHECK(decoded.getPropertyQualifierSet("P").get("Units") == Value("KB"));

  ClassObject originOnly = cls.spawnInstance();
  originOnly.setOrigin("", "root\\x");  // a namespace without a server
  CHECK(roundTrip(originOnly) == originOnly);
}

TEST_CASE("classes with inheritance, qualifier flavors, overrides and methods round-trip", "[wire][class]") {
  Namespace ns("root\\wiretest");
  MofCompiler compiler([&](const std::string&) { return &ns; }, MofOptions{"root\\wiretest"});
  const MofResult result = compiler.compileText(R"(
Qualifier Priority : uint16 = 0, Scope(class, property), Flavor(DisableOverride, ToSubclass);
[Priority(5), Description("Base class"): ToInstance ToSubclass Amended, Abstract]
class W_Base
{
  [key : DisableOverride] string Id;
  [Description("Restricted") : Restricted] string Note = "n";
  [Units("Bytes") : ToInstance EnableOverride] uint64 Size = 10;
  sint64 Limits[3] = {-1, 0, 9223372036854775807};
  datetime When = "20240101000000.000000+000";
  W_Base ref Parent;
  [Description("Runs it")] uint32 Run([in] string Arg, [in, out] uint32 Count, [out] string Result);
  void Stop();
};
class W_Point { sint32 X; sint32 Y; };
[Description("Derived")]
class W_Derived : W_Base
{
  [Units("KiloBytes")] uint64 Size = 20;
  W_Point Origin = instance of W_Point { X = 1; Y = 2; };
  W_Point Path[];
  object Anything;
  [Static] uint32 Make([in] sint32 X, [out] W_Point Result);
};
class W_Leaf : W_Derived { char16 Sep = ','; };
instance of W_Leaf { Id = "a"; Size = 1; Origin = instance of W_Point { X = 5; Y = 6; }; Sep = ';'; };
)",
                                                "wire.mof");
  REQUIRE(result.ok());
  // Every class of the namespace, the system classes included, sent over one connection in turn.
  ObjectEncoder encoder;
  ObjectDecoder decoder;
  std::size_t classes = 0;
  for (const ObjectPtr& cls : ns.enumClasses()) {
    const ClassObject decoded = decoder.decode(encoder.encode(*cls));
    CHECK(decoded == *cls);
    CHECK(decoded.getObjectText() == cls->getObjectText());
    ++classes;
  }
  CHECK(classes > 20);
  CHECK(encoder.classCount() == decoder.classCount());
  for (const ObjectPtr& instance : ns.enumInstances("W_Leaf")) {
    const ClassObject decoded = decoder.decode(encoder.encode(*instance));
    CHECK(decoded == *instance);
    CHECK(decoded.getMethod("Run").inSignature->compareTo(*instance->getMethod("Run").inSignature));
  }

  // Inherited methods changed in a subclass: qualifiers put on them, and signatures restated.
  ClassObject derived = ns.getClass("W_Derived")->spawnDerivedClass("W_Changed");
  derived.putMethodQualifier("Stop", "Note", Value("local"));
  const MethodDef& run = derived.getMethod("Run");
  ClassObject in = *run.inSignature;
  in.putPropertyQualifier("Arg", "Description", Value("restated"));
  QualifierSet q;
  q.put("Implemented", Value(true));
  derived.putMethod("Run", &in, run.outSignature.get(), q);
  derived.putQualifier("Description", Value("overridden"));
  derived.putPropertyQualifier("Note", "Extra", Value(1), WBEM_FLAVOR_FLAG_PROPAGATE_TO_DERIVED_CLASS);
  derived.put("Size", Value(30ull));
  derived.setOrigin("h", "root\\wiretest");
  CHECK(roundTrip(derived) == derived);
  CHECK(roundTrip(derived.spawnDerivedClass("W_Grandchild")) == derived.spawnDerivedClass("W_Grandchild"));
}

TEST_CASE("a class is sent once per connection; later instances refer to its id", "[wire][class]") {
  Namespace ns("root\\once");
  const ObjectPtr eventClass = ns.getClass("__InstanceCreationEvent");
  ClassObject target = ClassObject::createClass("Target");
  for (int p = 0; p < 10; ++p) target.putProperty("P" + std::to_string(p), kSInt32);
  const auto event = [&](std::int32_t n) {
    ClassObject t = target.spawnInstance();
    for (PropertySlot s = 0; s < 10; ++s) t.putExact(s, Value(n + static_cast<std::int32_t>(s)));
    ClassObject e = eventClass->spawnInstance();
    e.put("TargetInstance", Value(share(std::move(t))));
    return e;
  };
  ObjectEncoder encoder;
  ObjectDecoder decoder;
  const Bytes first = encoder.encode(event(1));
  const std::size_t classes = encoder.classCount();
  const Bytes second = encoder.encode(event(2));
  const Bytes third = encoder.encode(event(1000));
  CHECK(classes >= 3);  // the event class, its ancestors and Target
  CHECK(encoder.classCount() == classes);
  CHECK(second.size() * 5 < first.size());
  CHECK(third.size() < 60);
  CHECK(decoder.decode(first) == event(1));
  CHECK(decoder.decode(second) == event(2));
  CHECK(decoder.decode(third) == event(1000));
  CHECK(decoder.classCount() == classes);

  // A second connection starts from scratch, and the class object itself refers to the same id.
  ObjectEncoder other;
  CHECK(other.encode(event(2)).size() == first.size());
  CHECK(encoder.encode(target).size() < 10);
  CHECK(decoder.decode(encoder.encode(target)) == target);

  // A changed class (a new definition) is sent again; the old one stays known.
  ClassObject changed = target;
  changed.putProperty("P10", kString);
  const Bytes changedBytes = encoder.encode(changed.spawnInstance());
  CHECK(encoder.classCount() == classes + 1);
  CHECK(decoder.decode(changedBytes) == changed.spawnInstance());
  CHECK(decoder.decode(encoder.encode(target.spawnInstance())) == target.spawnInstance());
}

TEST_CASE("the encoder refuses what the decoder would, and then records nothing as sent", "[wire][object]") {
  // putExact() can store an embedded object of the wrong class; the encoder catches it.
  ClassObject holder = ClassObject::createClass("Holder");
  holder.putProperty("Pt", scalarType(CimType::Object, "Point"));
  ClassObject wrong = holder.spawnInstance();
  ClassObject other = ClassObject::createClass("Other");
  wrong.putExact(0, Value(share(other.spawnInstance())));
  ObjectEncoder encoder;
  Bytes out{1, 2, 3};
  const Error e = errorOf([&] { encoder.encode(wrong, out); });
  CHECK(e.status() == WBEM_E_TYPE_MISMATCH);
  CHECK_THAT(e.message(), Catch::Contains("Pt") && Catch::Contains("Other"));
  CHECK(out == Bytes{1, 2, 3});
  CHECK(encoder.classCount() == 0);
  // Encoding goes on normally afterwards, the classes planned by the failed call included.
  ObjectDecoder decoder;
  CHECK(decoder.decode(encoder.encode(holder.spawnInstance())) == holder.spawnInstance());
  CHECK(encoder.classCount() == 1);

  // Objects nested deeper than the limit are refused before anything is packed.
  ClassObject box = ClassObject::createClass("Box");
  box.putProperty("Inner", scalarType(CimType::Object));
  ObjectPtr nested = share(box.spawnInstance());
  for (int depth = 1; depth < 70; ++depth) {
    ClassObject outer = box.spawnInstance();
    outer.putExact(0, Value(nested));
    nested = share(std::move(outer));
  }
  CHECK_STATUS(WBEM_E_QUOTA_VIOLATION, encoder.encode(*nested));
  CHECK(encoder.classCount() == 1);

  // Past the class limit nothing is half-recorded: the same call fails the same way again.
  ObjectEncoder limited(ObjectLimits{.maxClasses = 2});
  const ClassObject grandchild = box.spawnDerivedClass("Child").spawnDerivedClass("Grandchild");
  CHECK_STATUS(WBEM_E_QUOTA_VIOLATION, limited.encode(grandchild));
  CHECK_STATUS(WBEM_E_QUOTA_VIOLATION, limited.encode(grandchild));
  CHECK(limited.classCount() == 0);
  CHECK_NOTHROW(limited.encode(box));
  CHECK(limited.classCount() == 1);
  ObjectEncoder deep(ObjectLimits{.maxDepth = 100});
  CHECK(ObjectDecoder(ObjectLimits{.maxDepth = 100}).decode(deep.encode(*nested)) == *nested);
}

// --- frames ---------------------------------------------------------------------------------------

TEST_CASE("frames carry type, request id and body; FrameWriter builds them in place", "[wire][frame]") {
  const Bytes body = packed([](Packer& p) { p.pack(std::vector<int>{1, 2, 3}); });
  Bytes stream = encodeFrame(7, 0x1122334455667788ull, body);
  FrameWriter writer(stream, 255, 0);
  writer.body().pack_str(2);
  writer.body().pack_str_body("hi", 2);
  writer.finish();
  encodeFrame(stream, 1, 3, packed([](Packer& p) { p.pack_nil(); }));

  FrameDecoder decoder;
  const std::vector<Frame> frames = framesOf(decoder, stream);
  REQUIRE(frames.size() == 3);
  CHECK(frames[0].type() == 7);
  CHECK(frames[0].requestId() == 0x1122334455667788ull);
  CHECK(frames[0].offset() == 0);
  CHECK(frames[0].body().as<std::vector<int>>() == std::vector<int>{1, 2, 3});
  CHECK(frames[1].type() == 255);
  CHECK(frames[1].offset() == frames[0].size() + kLengthPrefixSize);
  CHECK(frames[1].body().as<std::string>() == "hi");
  CHECK(frames[2].body().is_nil());
  CHECK(decoder.offset() == stream.size());
  CHECK(decoder.buffered() == 0);
  CHECK_NOTHROW(decoder.finish());

  // A body that is not exactly one value is refused at the sender.
  Bytes out;
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, encodeFrame(out, 1, 1, Bytes{}));
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, encodeFrame(out, 1, 1, Bytes{0xc0, 0xc0}));
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, encodeFrame(out, 1, 1, Bytes{0x92, 0x01}));
  CHECK(out.empty());
  // A frame over the peer's limit is refused and removed.
  {
    FrameWriter big(out, 1, 1);
    big.body().pack_bin(1000);
    big.body().pack_bin_body(std::string(1000, 'b').data(), 1000);
    CHECK_STATUS(WBEM_E_QUOTA_VIOLATION, big.finish(999));
  }
  CHECK(out.empty());
  {
    FrameWriter abandoned(out, 1, 1);  // destroyed unfinished: removed
    abandoned.body().pack_nil();
  }
  CHECK(out.empty());
}

TEST_CASE("a stream split at every byte boundary decodes the same", "[wire][frame]") {
  Bytes stream = encodeHello(Hello{kProtocolVersion, "test", kDefaultMaxFrameSize});
  ObjectEncoder encoder;
  const ClassObject objects[] = {allTypesInstance(5), allTypesInstance(6), allTypesClass()};
  for (std::size_t i = 0; i < std::size(objects); ++i) {
    FrameWriter writer(stream, 3, i + 1);
    encoder.encode(writer.body(), objects[i]);
    writer.finish();
  }
  const auto check = [&](const std::vector<std::size_t>& cuts) {
    FrameDecoder frames;
    ObjectDecoder decoder;
    std::size_t decoded = 0;
    std::size_t from = 0;
    bool hello = false;
    std::vector<std::size_t> all = cuts;
    all.push_back(stream.size());
    for (std::size_t to : all) {
      frames.feed(std::span(stream).subspan(from, to - from));
      from = to;
      while (auto frame = frames.next()) {
        if (!hello) {
          checkHello(decodeHello(*frame));
          hello = true;
          continue;
        }
        CHECK(frame->requestId() == decoded + 1);
        CHECK(decoder.decode(frame->body()) == objects[decoded]);
        ++decoded;
      }
    }
    frames.finish();
    CHECK(decoded == std::size(objects));
  };
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) check({cut});
  for (std::size_t cut = 0; cut + 7 <= stream.size(); cut += 13) check({cut, cut + 7});
  // Byte by byte, through prepare()/commit() as a socket reader would.
  FrameDecoder frames;
  ObjectDecoder decoder;
  std::size_t count = 0;
  for (std::uint8_t byte : stream) {
    frames.prepare(16)[0] = byte;
    frames.commit(1);
    while (auto frame = frames.next())
      if (frame->type() == 3) CHECK(decoder.decode(frame->body()) == objects[count++]);
  }
  CHECK(count == std::size(objects));
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, frames.commit(1));  // nothing prepared
}

TEST_CASE("oversized, empty, truncated and garbage frames are refused with their offset", "[wire][frame]") {
  const Bytes good = encodeFrame(1, 1, packed([](Packer& p) { p.pack_nil(); }));
  const auto failing = [&](const Bytes& bad, FrameLimits limits = {}) {
    FrameDecoder decoder(limits);
    Bytes stream = good;
    stream.insert(stream.end(), bad.begin(), bad.end());
    decoder.feed(stream);
    CHECK(decoder.next().has_value());
    const Error e = errorOf([&] {
      while (decoder.next()) {
      }
    });
    CHECK(decoder.failed());
    CHECK_THAT(e.message(), Catch::Contains("byte offset " + std::to_string(good.size())));
    // The decoder stays failed: the connection must close.
    CHECK(wbemtest::statusOf([&] { decoder.next(); }) == e.status());
    CHECK(wbemtest::statusOf([&] { decoder.finish(); }) == e.status());
    return e;
  };

  SECTION("oversized") {
    const Error e = failing(rawFrame(kDefaultMaxFrameSize + 1, {}));
    CHECK(e.status() == WBEM_E_QUOTA_VIOLATION);
    CHECK(failing(rawFrame(101, Bytes(101, 0xc0)), FrameLimits{.maxFrameSize = 100}).status() ==
          WBEM_E_QUOTA_VIOLATION);
  }
  SECTION("empty payload") { CHECK(failing(rawFrame(0, {})).status() == WBEM_E_INVALID_STREAM); }
  SECTION("not msgpack") { CHECK(failing(rawFrame({0x93, 0x01, 0x01, 0xc1})).status() == WBEM_E_INVALID_STREAM); }
  SECTION("msgpack but no envelope") {
    CHECK(failing(rawFrame({0xa1, 'x'})).status() == WBEM_E_INVALID_STREAM);
    CHECK(failing(rawFrame({0x92, 0x01, 0x01})).status() == WBEM_E_INVALID_STREAM);
    CHECK(failing(rawFrame({0x93, 0xcd, 0x01, 0x00, 0x01, 0xc0})).status() == WBEM_E_INVALID_STREAM);  // type 256
    CHECK(failing(rawFrame({0x93, 0x01, 0xff, 0xc0})).status() == WBEM_E_INVALID_STREAM);              // negative id
  }
  SECTION("trailing bytes in the payload") {
    const Error e = failing(rawFrame({0x93, 0x01, 0x01, 0xc0, 0xc0}));
    CHECK(e.status() == WBEM_E_INVALID_STREAM);
    CHECK_THAT(e.message(), Catch::Contains("1 bytes after"));
  }
  SECTION("a payload shorter than its msgpack value") {
    CHECK(failing(rawFrame({0x93, 0x01, 0x01, 0xa5, 'a'})).status() == WBEM_E_INVALID_STREAM);
  }
  SECTION("huge declared array or map") {
    const Error e = failing(rawFrame({0x93, 0x01, 0x01, 0xdd, 0xff, 0xff, 0xff, 0xff}));
    CHECK(e.status() == WBEM_E_INVALID_STREAM);
    CHECK_THAT(e.message(), Catch::Contains("4294967295 elements"));
    CHECK(failing(rawFrame({0x93, 0x01, 0x01, 0xdf, 0x7f, 0xff, 0xff, 0xff})).status() == WBEM_E_INVALID_STREAM);
  }
  SECTION("nesting bomb") {
    Bytes deep{0x93, 0x01, 0x01};
    deep.insert(deep.end(), 100000, 0x91);
    deep.push_back(0xc0);
    CHECK(failing(rawFrame(deep)).status() == WBEM_E_INVALID_STREAM);
  }
  SECTION("too many values") {
    Bytes many{0x93, 0x01, 0x01, 0xdc, 0x03, 0xe8};  // 1000 nils
    many.insert(many.end(), 1000, 0xc0);
    CHECK(failing(rawFrame(many), FrameLimits{.maxValues = 999}).status() == WBEM_E_QUOTA_VIOLATION);
    FrameDecoder enough(FrameLimits{.maxValues = 1004});  // the root, the envelope's 3, the 1000
    CHECK(framesOf(enough, rawFrame(many)).size() == 1);
  }
  SECTION("truncated at close") {
    FrameDecoder decoder;
    Bytes stream = good;
    stream.insert(stream.end(), good.begin(), good.end() - 1);
    CHECK(framesOf(decoder, stream).size() == 1);
    const Error e = errorOf([&] { decoder.finish(); });
    CHECK(e.status() == WBEM_E_INVALID_STREAM);
    CHECK_THAT(e.message(),
               Catch::Contains("byte offset " + std::to_string(good.size())) &&
                   Catch::Contains(std::to_string(good.size() - 1) + " of its " + std::to_string(good.size())));
    FrameDecoder prefix;
    prefix.feed(Bytes{5, 0});
    CHECK_FALSE(prefix.next());
    CHECK_THAT(errorOf([&] { prefix.finish(); }).message(), Catch::Contains("length prefix"));
  }
}

TEST_CASE("a decoder keeps a small buffer once a big frame is gone", "[wire][frame]") {
  FrameDecoder decoder;
  const Bytes big = encodeFrame(1, 1, packed([](Packer& p) {
                                  const std::string s(1u << 20, 's');
                                  p.pack_str(static_cast<std::uint32_t>(s.size()));
                                  p.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
                                }));
  for (int round = 0; round < 3; ++round) {
    const auto frames = framesOf(decoder, big);
    REQUIRE(frames.size() == 1);
    CHECK(frames[0].body().via.str.size == 1u << 20);
  }
  const Bytes small = encodeFrame(2, 2, packed([](Packer& p) { p.pack_true(); }));
  CHECK(framesOf(decoder, small)[0].body().as<bool>());
  CHECK(decoder.offset() == 3 * big.size() + small.size());
}

// --- handshake ------------------------------------------------------------------------------------

TEST_CASE("Hello: round trip, version mismatch, wrong first frame", "[wire][hello]") {
  FrameDecoder decoder;
  const auto frames = framesOf(decoder, encodeHello(Hello{kProtocolVersion, "wbemd 0.1.0", 1u << 20}));
  REQUIRE(frames.size() == 1);
  const Hello hello = decodeHello(frames[0]);
  CHECK(hello.protocolVersion == kProtocolVersion);
  CHECK(hello.software == "wbemd 0.1.0");
  CHECK(hello.maxFrameSize == 1u << 20);
  CHECK_NOTHROW(checkHello(hello));

  // Another major version: its Hello may look different beyond the version; the error names both.
  FrameDecoder other;
  const Bytes future = encodeFrame(kHelloMessage, 0, packed([](Packer& p) {
                                     p.pack_array(2);
                                     p.pack_uint32(2);
                                     p.pack(std::string("wbemd 9"));
                                   }));
  const Error mismatch = errorOf([&] { checkHello(decodeHello(framesOf(other, future)[0])); });
  CHECK(mismatch.status() == WBEM_E_MARSHAL_VERSION_MISMATCH);
  CHECK_THAT(mismatch.message(),
             Catch::Contains("version 2") && Catch::Contains("version 1") && Catch::Contains("wbemd 9"));

  // Newer fields after ours are ignored.
  FrameDecoder extended;
  const Bytes longer = encodeFrame(kHelloMessage, 0, packed([](Packer& p) {
                                     p.pack_array(4);
                                     p.pack_uint32(kProtocolVersion);
                                     p.pack(std::string("x"));
                                     p.pack_uint32(kMinMaxFrameSize);
                                     p.pack(std::string("future field"));
                                   }));
  CHECK_NOTHROW(checkHello(decodeHello(framesOf(extended, longer)[0])));

  FrameDecoder wrong;
  const auto notHello = framesOf(wrong, encodeFrame(9, 1, packed([](Packer& p) { p.pack_nil(); })));
  CHECK_STATUS(WBEM_E_UNKNOWN_PACKET_TYPE, decodeHello(notHello[0]));
  FrameDecoder malformed;
  const auto bad = framesOf(malformed, encodeFrame(kHelloMessage, 0, packed([](Packer& p) {
                                                     p.pack_array(3);
                                                     p.pack_uint32(kProtocolVersion);
                                                     p.pack_uint32(5);
                                                     p.pack_uint32(5);
                                                   })));
  CHECK_STATUS(WBEM_E_INVALID_STREAM, decodeHello(bad[0]));
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, checkHello(Hello{kProtocolVersion, "tiny", 1000}));
  CHECK_STATUS(WBEM_E_INVALID_PARAMETER, encodeHello(Hello{kProtocolVersion, std::string(2000, 'x'), 1u << 20}));
}

// --- hostile object records -----------------------------------------------------------------------

namespace {

// A record defining class 0 "C" { sint32 A; string B; } then the object `object`.
Bytes recordWithClass(const std::function<void(Packer&)>& object) {
  return packed([&](Packer& p) {
    p.pack_array(2);
    p.pack_array(1);
    p.pack_array(6);
    p.pack_uint32(0);
    p.pack(std::string("C"));
    p.pack_nil();
    p.pack_array(0);
    p.pack_array(2);
    for (const auto& [name, type] : {std::pair{"A", CimType::SInt32}, std::pair{"B", CimType::String}}) {
      p.pack_array(4);
      p.pack(std::string(name));
      p.pack_array(3);
      p.pack_uint16(static_cast<std::uint16_t>(type));
      p.pack(std::string());
      p.pack_nil();
      p.pack_nil();
      p.pack_array(0);
    }
    p.pack_array(0);
    object(p);
  });
}

// An instance [2, classId, values].
std::function<void(Packer&)> instance(std::uint32_t classId, const std::function<void(Packer&)>& values) {
  return [=](Packer& p) {
    p.pack_array(3);
    p.pack_uint8(2);
    p.pack_uint32(classId);
    values(p);
  };
}

}  // namespace

TEST_CASE("hostile object records are refused with the right status; the decoder stays usable",
          "[wire][object][hostile]") {
  ObjectDecoder decoder;
  // Each call on a fresh decoder: the records below all define class 0.
  const auto statusOf = [](const Bytes& record) { return wbemtest::statusOf([&] { ObjectDecoder().decode(record); }); };
  const auto valid = instance(0, [](Packer& p) {
    p.pack_array(2);
    p.pack_int32(-5);
    p.pack(std::string("b"));
  });

  SECTION("unknown class id") {
    const Bytes unknown = packed([](Packer& p) {
      p.pack_array(2);
      p.pack_array(0);
      instance(7, [](Packer& q) { q.pack_array(0); })(p);
    });
    const Error e = errorOf([&] { decoder.decode(unknown); });
    CHECK(e.status() == WBEM_E_INVALID_CLASS);
    CHECK_THAT(e.message(), Catch::Contains("unknown class id 7"));
    // Usable afterwards: a valid record decodes, and defines class 0.
    const ClassObject ok = decoder.decode(recordWithClass(valid));
    CHECK(ok.get("A") == Value(std::int32_t{-5}));
    CHECK(decoder.classCount() == 1);
  }
  SECTION("wrong value count") {
    const Bytes few = recordWithClass(instance(0, [](Packer& p) {
      p.pack_array(1);
      p.pack_int32(1);
    }));
    const Error e = errorOf([&] { decoder.decode(few); });
    CHECK(e.status() == WBEM_E_INVALID_STREAM);
    CHECK_THAT(e.message(), Catch::Contains("2 properties, not 1"));
    CHECK(decoder.classCount() == 1);  // the class record itself was fine and is kept
  }
  SECTION("wrong types") {
    const auto withValues = [&](const std::function<void(Packer&)>& a, const std::function<void(Packer&)>& b) {
      return recordWithClass(instance(0, [=](Packer& p) {
        p.pack_array(2);
        a(p);
        b(p);
      }));
    };
    const auto str = [](Packer& p) { p.pack(std::string("s")); };
    CHECK(statusOf(withValues(str, str)) == WBEM_E_TYPE_MISMATCH);
    CHECK(statusOf(withValues([](Packer& p) { p.pack_uint64(1ull << 31); }, str)) == WBEM_E_TYPE_MISMATCH);
    CHECK(statusOf(withValues([](Packer& p) { p.pack_float(1.5f); }, str)) == WBEM_E_TYPE_MISMATCH);
    CHECK(statusOf(withValues([](Packer& p) { p.pack_array(0); }, str)) == WBEM_E_TYPE_MISMATCH);
    CHECK(statusOf(withValues([](Packer& p) { p.pack_int32(1); }, [](Packer& p) { p.pack_int32(1); })) ==
          WBEM_E_TYPE_MISMATCH);
    // A tagged value is accepted only as a NULL.
    CHECK(statusOf(withValues(
              [](Packer& p) {
                p.pack_map(1);
                p.pack_uint16(static_cast<std::uint16_t>(CimType::String));
                p.pack(std::string("x"));
              },
              str)) == WBEM_E_TYPE_MISMATCH);
    CHECK(statusOf(withValues(
              [](Packer& p) {
                p.pack_map(1);
                p.pack_uint16(static_cast<std::uint16_t>(CimType::String));
                p.pack_nil();
              },
              str)) == WBEM_S_NO_ERROR);
    CHECK(statusOf(withValues(
              [](Packer& p) {
                p.pack_map(1);
                p.pack_uint16(999);
                p.pack_nil();
              },
              str)) == WBEM_E_INVALID_STREAM);
  }
  SECTION("class records out of order, malformed or refused by the object model") {
    const auto classRecord = [](std::uint32_t id, std::string name, const std::function<void(Packer&)>& super) {
      return packed([=](Packer& p) {
        p.pack_array(2);
        p.pack_array(1);
        p.pack_array(6);
        p.pack_uint32(id);
        p.pack(name);
        super(p);
        p.pack_array(0);
        p.pack_array(0);
        p.pack_array(0);
        p.pack_array(2);
        p.pack_uint8(1);
        p.pack_uint32(id);
      });
    };
    const auto nil = [](Packer& p) { p.pack_nil(); };
    CHECK(statusOf(classRecord(1, "X", nil)) == WBEM_E_INVALID_STREAM);
    CHECK(statusOf(classRecord(0, "9bad", nil)) == WBEM_E_INVALID_PARAMETER);
    CHECK(statusOf(classRecord(0, "X", [](Packer& p) { p.pack_uint32(0); })) == WBEM_E_INVALID_CLASS);
    const Error e = errorOf([&] { decoder.decode(classRecord(0, "9bad", nil)); });
    CHECK_THAT(e.message(), Catch::StartsWith("class record 0 (9bad)"));
    CHECK(decoder.classCount() == 0);
    CHECK(decoder.decode(classRecord(0, "Fine", nil)).className() == "Fine");
  }
  SECTION("too many classes") {
    ObjectDecoder limited(ObjectLimits{.maxClasses = 1});
    CHECK(limited.decode(recordWithClass(valid)).className() == "C");
    CHECK_STATUS(WBEM_E_QUOTA_VIOLATION, limited.decode(recordWithClass(valid)));
  }
  SECTION("deep nesting bomb") {
    // 70 nested objects of a class whose one property is an object.
    const Bytes bomb = packed([](Packer& p) {
      p.pack_array(2);
      p.pack_array(1);
      p.pack_array(6);
      p.pack_uint32(0);
      p.pack(std::string("Box"));
      p.pack_nil();
      p.pack_array(0);
      p.pack_array(1);
      p.pack_array(4);
      p.pack(std::string("Inner"));
      p.pack_array(3);
      p.pack_uint16(static_cast<std::uint16_t>(CimType::Object));
      p.pack(std::string());
      p.pack_nil();
      p.pack_nil();
      p.pack_array(0);
      p.pack_array(0);
      for (int i = 0; i < 70; ++i) {
        p.pack_array(3);
        p.pack_uint8(2);
        p.pack_uint32(0);
        p.pack_array(1);
      }
      p.pack_nil();
    });
    const Error e = errorOf([&] { decoder.decode(bomb); });
    CHECK(e.status() == WBEM_E_QUOTA_VIOLATION);
    CHECK_THAT(e.message(), Catch::Contains("deeper than the limit of 64"));
    CHECK(decoder.classCount() == 1);
    CHECK(ObjectDecoder(ObjectLimits{.maxDepth = 80}).decode(bomb).className() == "Box");
  }
  SECTION("huge declared array") {
    Bytes huge = recordWithClass(instance(0, [](Packer& p) { p.pack_array(2); }));
    huge.pop_back();  // the values array header, replaced by a huge one
    huge.insert(huge.end(), {0xdd, 0xff, 0xff, 0xff, 0xfe});
    const Error e = errorOf([&] { decoder.decode(huge); });
    CHECK(e.status() == WBEM_E_INVALID_STREAM);
    CHECK_THAT(e.message(), Catch::Contains("more than its"));
  }
  SECTION("not a record at all") {
    CHECK(statusOf(Bytes{0xc0}) == WBEM_E_INVALID_STREAM);
    CHECK(statusOf(Bytes{0x92, 0x90}) == WBEM_E_INVALID_STREAM);
    CHECK(statusOf(Bytes{0x92, 0x90, 0x92, 0x03, 0x00}) == WBEM_E_INVALID_STREAM);  // genus 3
    CHECK(statusOf(Bytes{0x92, 0x90, 0xd4, 0x01, 0x00}) == WBEM_E_INVALID_STREAM);  // ext
    CHECK(statusOf(Bytes{}) == WBEM_E_INVALID_STREAM);
  }
}

TEST_CASE("a class with thousands of properties and key qualifiers decodes in linear time", "[wire][class]") {
  // A hostile peer can send classes at the property limit; building them must not be quadratic.
  ClassObject wide = ClassObject::createClass("Wide");
  for (int p = 0; p < 4096; ++p) {
    const std::string name = "P" + std::to_string(p);
    wide.putProperty(name, kString);
    wide.putPropertyQualifier(name, "key", Value(true));
  }
  const Bytes bytes = ObjectEncoder().encode(wide);
  const auto start = std::chrono::steady_clock::now();
  const ClassObject decoded = ObjectDecoder().decode(bytes);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(decoded == wide);
  CHECK(decoded.definition().keySlots().size() == 4096);
  CHECK(elapsed < std::chrono::seconds(2));
  CHECK_STATUS(WBEM_E_QUOTA_VIOLATION, ObjectDecoder(ObjectLimits{.maxProperties = 4095}).decode(bytes));
  CHECK_STATUS(WBEM_E_QUOTA_VIOLATION, ObjectEncoder(ObjectLimits{.maxProperties = 4095}).encode(wide));
}

// --- fuzz seeds -----------------------------------------------------------------------------------

TEST_CASE("the fuzz_wire seeds are streams of the current format", "[wire][corpus]") {
  // Read as fuzz_wire reads them: a first byte, then frames. Refused ones are named so.
  const std::filesystem::path folder = std::filesystem::path(WBEM_TEST_DATA_DIR) / ".." / "fuzz" / "corpus" / "wire";
  std::size_t seeds = 0;
  for (const auto& file : std::filesystem::directory_iterator(folder)) {
    std::ifstream in(file.path(), std::ios::binary);
    const Bytes bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    REQUIRE(bytes.size() > 1);
    FrameDecoder frames;
    ObjectDecoder decoder;
    const bool refused = file.path().filename().string().find("refused") != std::string::npos;
    std::size_t objects = 0;
    for (const Frame& frame : framesOf(frames, Bytes(bytes.begin() + 1, bytes.end()))) {
      if (frame.type() == kHelloMessage) {
        CHECK(wbemtest::statusOf([&] { checkHello(decodeHello(frame)); }) ==
              (refused ? WBEM_E_MARSHAL_VERSION_MISMATCH : WBEM_S_NO_ERROR));
      } else if (refused) {
        CHECK_STATUS(WBEM_E_INVALID_CLASS, decoder.decode(frame.body()));
      } else {
        CHECK_NOTHROW(decoder.decode(frame.body()));
        ++objects;
      }
    }
    CHECK_NOTHROW(frames.finish());
    CHECK((objects > 0 || refused));
    ++seeds;
  }
  CHECK(seeds >= 6);
}

// Writes the seed corpus of fuzz_wire (tests/fuzz/corpus/wire) when WBEM_WRITE_WIRE_CORPUS names a
// folder: streams of frames as a connection carries them. Hidden; run it after changing the format:
//   WBEM_WRITE_WIRE_CORPUS=tests/fuzz/corpus/wire build/debug/tests/decoupled_test_wire "[.corpus]"
TEST_CASE("write the fuzz_wire seed corpus", "[.corpus]") {
  const char* folder = std::getenv("WBEM_WRITE_WIRE_CORPUS");
  REQUIRE(folder != nullptr);
  std::uint8_t reads = 0;  // the fuzzer's first byte: bytes per read (0: all at once)
  const auto write = [&](const std::string& name, const std::vector<ClassObject>& objects) {
    Bytes stream{reads};
    reads = static_cast<std::uint8_t>(reads + 3);
    const Bytes hello = encodeHello(Hello{kProtocolVersion, "seed", kDefaultMaxFrameSize});
    stream.insert(stream.end(), hello.begin(), hello.end());
    ObjectEncoder encoder;
    std::uint64_t id = 0;
    for (const ClassObject& object : objects) {
      FrameWriter writer(stream, 3, ++id);
      encoder.encode(writer.body(), object);
      writer.finish();
    }
    std::ofstream(std::filesystem::path(folder) / name, std::ios::binary)
        .write(reinterpret_cast<const char*>(stream.data()), static_cast<std::streamsize>(stream.size()));
  };
  Namespace ns("root\\seed");
  ClassObject target = ClassObject::createClass("Target");
  for (int p = 0; p < 10; ++p) target.putProperty("P" + std::to_string(p), p % 2 ? kSInt32 : kString);
  ClassObject event = ns.getClass("__InstanceCreationEvent")->spawnInstance();
  event.put("TargetInstance", Value(share(target.spawnInstance())));
  write("01_all_types", {allTypesInstance(5)});
  write("02_event_twice", {event, event});
  write("03_classes", {*ns.getClass("__EventFilter"), *ns.getClass("__Namespace"), allTypesClass()});
  ClassObject q = ClassObject::createClass("Q");
  q.putProperty("P", kString);
  ClassObject qi = q.spawnInstance();
  qi.putQualifier("Own", Value(1));
  qi.putPropertyQualifier("P", "Note", Value("n"));
  qi.setOrigin("host", "root\\seed");
  write("04_qualifiers_origin", {qi});
  Namespace methods("root\\m");
  MofCompiler compiler([&](const std::string&) { return &methods; }, MofOptions{"root\\m"});
  REQUIRE(compiler
              .compileText("class M { [key] string K; uint32 Run([in] string A, [out] uint32 B); };"
                           "class N : M { [Description(\"d\")] string More; };",
                           "seed.mof")
              .ok());
  write("05_methods", {*methods.getClass("N")});
  // Refused input: another protocol version, then an object of a class never defined.
  Bytes refused{1};
  encodeFrame(refused, kHelloMessage, 0, packed([](Packer& p) {
                p.pack_array(3);
                p.pack_uint32(2);
                p.pack(std::string("future"));
                p.pack_uint32(kDefaultMaxFrameSize);
              }));
  encodeFrame(refused, 3, 1, packed([](Packer& p) {
                p.pack_array(2);
                p.pack_array(0);
                instance(5, [](Packer& q) { q.pack_array(0); })(p);
              }));
  std::ofstream(std::filesystem::path(folder) / "06_refused", std::ios::binary)
      .write(reinterpret_cast<const char*>(refused.data()), static_cast<std::streamsize>(refused.size()));
}
