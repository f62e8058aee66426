// The WMI status table (names and English texts of every status code) and wbem::Error.

#include <wbem/names.hpp>
#include <wbem/status.hpp>

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <string>
#include <utility>

namespace wbem {
namespace {

// Texts convey the meaning WMI documents for each code ("WMI Error Constants", "WMI Non-Error Constants",
// "Event Security Constants"); codes WMI keeps for future use say so. Sorted by code: looked up by binary search.
constexpr StatusInfo kStatuses[] = {
    {WBEM_S_NO_ERROR, "WBEM_S_NO_ERROR", "The operation succeeded"},
    {WBEM_S_FALSE, "WBEM_S_FALSE",
     "No more objects are available: fewer objects than requested were returned, or the enumeration has ended"},
    {WBEM_S_ALREADY_EXISTS, "WBEM_S_ALREADY_EXISTS", "The object or class to create already exists"},
    {WBEM_S_RESET_TO_DEFAULT, "WBEM_S_RESET_TO_DEFAULT",
     "An overridden property was deleted, so its original, non-overridden value is back in effect"},
    {WBEM_S_DIFFERENT, "WBEM_S_DIFFERENT", "The items compared (objects, classes and so on) are not identical"},
    {WBEM_S_TIMEDOUT, "WBEM_S_TIMEDOUT",
     "The call timed out; this is not an error, and some results may have been returned"},
    {WBEM_S_NO_MORE_DATA, "WBEM_S_NO_MORE_DATA",
     "The enumeration has no more data, and the caller must end the enumeration"},
    {WBEM_S_OPERATION_CANCELLED, "WBEM_S_OPERATION_CANCELLED", "The operation was canceled, intentionally or not"},
    {WBEM_S_PENDING, "WBEM_S_PENDING", "The request is still in progress and its results are not available yet"},
    {WBEM_S_DUPLICATE_OBJECTS, "WBEM_S_DUPLICATE_OBJECTS",
     "The result set of an enumeration holds more than one copy of the same object"},
    {WBEM_S_ACCESS_DENIED, "WBEM_S_ACCESS_DENIED", "Access was denied to some, but not all, of the resources"},
    {WBEM_S_PARTIAL_RESULTS, "WBEM_S_PARTIAL_RESULTS",
     "Not all requested objects were returned, because some resources could not be reached for reasons other "
     "than security"},
    {WBEM_S_SOURCE_NOT_AVAILABLE, "WBEM_S_SOURCE_NOT_AVAILABLE", "A source of the requested data is not available"},
    {WBEM_S_LIMITED_SERVICE, "WBEM_S_LIMITED_SERVICE", "The provider can give only limited service"},
    {WBEM_S_INDIRECTLY_UPDATED, "WBEM_S_INDIRECTLY_UPDATED", "Reserved for future use"},
    {WBEM_S_SUBJECT_TO_SDS, "WBEM_S_SUBJECT_TO_SDS",
     "The event provider asks WMI to check the security descriptor of each event before delivering it"},

    {WBEM_E_FAILED, "WBEM_E_FAILED", "The call failed"},
    {WBEM_E_NOT_FOUND, "WBEM_E_NOT_FOUND", "The object was not found"},
    {WBEM_E_ACCESS_DENIED, "WBEM_E_ACCESS_DENIED", "The current user does not have permission to perform the action"},
    {WBEM_E_PROVIDER_FAILURE, "WBEM_E_PROVIDER_FAILURE",
     "The provider failed at some time other than during its initialization"},
    {WBEM_E_TYPE_MISMATCH, "WBEM_E_TYPE_MISMATCH", "A type mismatch occurred"},
    {WBEM_E_OUT_OF_MEMORY, "WBEM_E_OUT_OF_MEMORY", "There is not enough memory for the operation"},
    {WBEM_E_INVALID_CONTEXT, "WBEM_E_INVALID_CONTEXT", "The context object (IWbemContext) is not valid"},
    {WBEM_E_INVALID_PARAMETER, "WBEM_E_INVALID_PARAMETER", "One of the parameters to the call is not correct"},
    {WBEM_E_NOT_AVAILABLE, "WBEM_E_NOT_AVAILABLE",
     "The resource, typically a remote server, is not available at present"},
    {WBEM_E_CRITICAL_ERROR, "WBEM_E_CRITICAL_ERROR", "An internal, critical and unexpected error occurred"},
    {WBEM_E_INVALID_STREAM, "WBEM_E_INVALID_STREAM",
     "One or more network packets were corrupted during a remote session"},
    {WBEM_E_NOT_SUPPORTED, "WBEM_E_NOT_SUPPORTED", "The feature or operation is not supported"},
    {WBEM_E_INVALID_SUPERCLASS, "WBEM_E_INVALID_SUPERCLASS", "The specified parent class is not valid"},
    {WBEM_E_INVALID_NAMESPACE, "WBEM_E_INVALID_NAMESPACE", "The specified namespace was not found"},
    {WBEM_E_INVALID_OBJECT, "WBEM_E_INVALID_OBJECT", "The specified instance is not valid"},
    {WBEM_E_INVALID_CLASS, "WBEM_E_INVALID_CLASS", "The specified class is not valid"},
    {WBEM_E_PROVIDER_NOT_FOUND, "WBEM_E_PROVIDER_NOT_FOUND",
     "A provider named in the schema has no matching registration"},
    {WBEM_E_INVALID_PROVIDER_REGISTRATION, "WBEM_E_INVALID_PROVIDER_REGISTRATION",
     "A provider named in the schema has an incorrect or incomplete registration"},
    {WBEM_E_PROVIDER_LOAD_FAILURE, "WBEM_E_PROVIDER_LOAD_FAILURE",
     "A provider named in the schema could not be located and loaded"},
    {WBEM_E_INITIALIZATION_FAILURE, "WBEM_E_INITIALIZATION_FAILURE",
     "A component, such as a provider, failed to initialize for internal reasons"},
    {WBEM_E_TRANSPORT_FAILURE, "WBEM_E_TRANSPORT_FAILURE",
     "A networking error that prevents normal operation occurred"},
    {WBEM_E_INVALID_OPERATION, "WBEM_E_INVALID_OPERATION",
     "The requested operation is not valid; this usually concerns an attempt to delete a class or property"},
    {WBEM_E_INVALID_QUERY, "WBEM_E_INVALID_QUERY", "The query was not syntactically valid"},
    {WBEM_E_INVALID_QUERY_TYPE, "WBEM_E_INVALID_QUERY_TYPE", "The requested query language is not supported"},
    {WBEM_E_ALREADY_EXISTS, "WBEM_E_ALREADY_EXISTS",
     "A put operation asked to create only (wbemChangeFlagCreateOnly), but the instance already exists"},
    {WBEM_E_OVERRIDE_NOT_ALLOWED, "WBEM_E_OVERRIDE_NOT_ALLOWED",
     "The qualifier cannot be added because the object that owns it does not permit overrides"},
    {WBEM_E_PROPAGATED_QUALIFIER, "WBEM_E_PROPAGATED_QUALIFIER",
     "A qualifier that is not owned, but inherited from a parent class, cannot be deleted"},
    {WBEM_E_PROPAGATED_PROPERTY, "WBEM_E_PROPAGATED_PROPERTY",
     "A property that is not owned, but inherited from a parent class, cannot be deleted"},
    {WBEM_E_UNEXPECTED, "WBEM_E_UNEXPECTED",
     "The client made an unexpected and illegal sequence of calls, such as ending an enumeration before "
     "beginning it"},
    {WBEM_E_ILLEGAL_OPERATION, "WBEM_E_ILLEGAL_OPERATION",
     "An illegal operation was requested, such as spawning a class from an instance"},
    {WBEM_E_CANNOT_BE_KEY, "WBEM_E_CANNOT_BE_KEY",
     "A key qualifier was put on a property that cannot be a key; keys are set by the class definition and "
     "cannot change per instance"},
    {WBEM_E_INCOMPLETE_CLASS, "WBEM_E_INCOMPLETE_CLASS",
     "The object is not a valid class definition: it is incomplete or was never registered with WMI"},
    {WBEM_E_INVALID_SYNTAX, "WBEM_E_INVALID_SYNTAX", "The query is syntactically not valid"},
    {WBEM_E_NONDECORATED_OBJECT, "WBEM_E_NONDECORATED_OBJECT", "Reserved for future use"},
    {WBEM_E_READ_ONLY, "WBEM_E_READ_ONLY", "An attempt was made to modify a read-only property"},
    {WBEM_E_PROVIDER_NOT_CAPABLE, "WBEM_E_PROVIDER_NOT_CAPABLE",
     "The provider cannot perform the requested operation, such as a query that is too complex, retrieving an "
     "instance, creating, updating or deleting a class, or enumerating a class"},
    {WBEM_E_CLASS_HAS_CHILDREN, "WBEM_E_CLASS_HAS_CHILDREN",
     "An attempt was made to make a change that would invalidate a subclass"},
    {WBEM_E_CLASS_HAS_INSTANCES, "WBEM_E_CLASS_HAS_INSTANCES",
     "An attempt was made to delete or modify a class that has instances"},
    {WBEM_E_QUERY_NOT_IMPLEMENTED, "WBEM_E_QUERY_NOT_IMPLEMENTED", "Reserved for future use"},
    {WBEM_E_ILLEGAL_NULL, "WBEM_E_ILLEGAL_NULL",
     "NULL was given for a property that must have a value, such as one marked Key, Indexed or Not_Null"},
    {WBEM_E_INVALID_QUALIFIER_TYPE, "WBEM_E_INVALID_QUALIFIER_TYPE",
     "The value given for a qualifier is not of a legal qualifier type"},
    {WBEM_E_INVALID_PROPERTY_TYPE, "WBEM_E_INVALID_PROPERTY_TYPE", "The CIM type given for a property is not valid"},
    {WBEM_E_VALUE_OUT_OF_RANGE, "WBEM_E_VALUE_OUT_OF_RANGE",
     "A value in the request is out of range or incompatible with its type"},
    {WBEM_E_CANNOT_BE_SINGLETON, "WBEM_E_CANNOT_BE_SINGLETON",
     "The class cannot be made a singleton, for example because it derives from a class that is not one"},
    {WBEM_E_INVALID_CIM_TYPE, "WBEM_E_INVALID_CIM_TYPE", "The specified CIM type is not valid"},
    {WBEM_E_INVALID_METHOD, "WBEM_E_INVALID_METHOD", "The requested method is not available"},
    {WBEM_E_INVALID_METHOD_PARAMETERS, "WBEM_E_INVALID_METHOD_PARAMETERS",
     "The parameters given for the method are not valid"},
    {WBEM_E_SYSTEM_PROPERTY, "WBEM_E_SYSTEM_PROPERTY",
     "An attempt was made to get the qualifiers of a system property"},
    {WBEM_E_INVALID_PROPERTY, "WBEM_E_INVALID_PROPERTY", "The property type is not recognized"},
    {WBEM_E_CALL_CANCELLED, "WBEM_E_CALL_CANCELLED",
     "The asynchronous call was canceled, internally or by the user; because of timing, the operation may not "
     "really have stopped"},
    {WBEM_E_SHUTTING_DOWN, "WBEM_E_SHUTTING_DOWN", "An operation was requested while WMI is shutting down"},
    {WBEM_E_PROPAGATED_METHOD, "WBEM_E_PROPAGATED_METHOD",
     "A method name of a parent class was reused with a signature that does not match"},
    {WBEM_E_UNSUPPORTED_PARAMETER, "WBEM_E_UNSUPPORTED_PARAMETER",
     "One or more parameter values, such as a query text, are too complex or not supported; retry with simpler "
     "parameters"},
    {WBEM_E_MISSING_PARAMETER_ID, "WBEM_E_MISSING_PARAMETER_ID",
     "A parameter is missing from the method call, or a method parameter has no ID qualifier"},
    {WBEM_E_INVALID_PARAMETER_ID, "WBEM_E_INVALID_PARAMETER_ID",
     "A method parameter has an ID qualifier that is not valid"},
    {WBEM_E_NONCONSECUTIVE_PARAMETER_IDS, "WBEM_E_NONCONSECUTIVE_PARAMETER_IDS",
     "The ID qualifiers of one or more method parameters are out of sequence"},
    {WBEM_E_PARAMETER_ID_ON_RETVAL, "WBEM_E_PARAMETER_ID_ON_RETVAL",
     "The return value of a method has an ID qualifier"},
    {WBEM_E_INVALID_OBJECT_PATH, "WBEM_E_INVALID_OBJECT_PATH", "The specified object path is not valid"},
    {WBEM_E_OUT_OF_DISK_SPACE, "WBEM_E_OUT_OF_DISK_SPACE",
     "The disk is out of space, or the repository has reached its size limit"},
    {WBEM_E_BUFFER_TOO_SMALL, "WBEM_E_BUFFER_TOO_SMALL",
     "The buffer supplied is too small to hold all the objects of the enumerator or to read a string property"},
    {WBEM_E_UNSUPPORTED_PUT_EXTENSION, "WBEM_E_UNSUPPORTED_PUT_EXTENSION",
     "The provider does not support the requested put operation"},
    {WBEM_E_UNKNOWN_OBJECT_TYPE, "WBEM_E_UNKNOWN_OBJECT_TYPE",
     "An object of the wrong type or version was met during marshaling"},
    {WBEM_E_UNKNOWN_PACKET_TYPE, "WBEM_E_UNKNOWN_PACKET_TYPE",
     "A packet of the wrong type or version was met during marshaling"},
    {WBEM_E_MARSHAL_VERSION_MISMATCH, "WBEM_E_MARSHAL_VERSION_MISMATCH", "The packet has an unsupported version"},
    {WBEM_E_MARSHAL_INVALID_SIGNATURE, "WBEM_E_MARSHAL_INVALID_SIGNATURE", "The packet appears to be corrupt"},
    {WBEM_E_INVALID_QUALIFIER, "WBEM_E_INVALID_QUALIFIER",
     "Qualifiers were mismatched, such as a key qualifier put on an object instead of a property"},
    {WBEM_E_INVALID_DUPLICATE_PARAMETER, "WBEM_E_INVALID_DUPLICATE_PARAMETER",
     "A parameter was declared twice in a CIM method"},
    {WBEM_E_TOO_MUCH_DATA, "WBEM_E_TOO_MUCH_DATA", "Reserved for future use"},
    {WBEM_E_SERVER_TOO_BUSY, "WBEM_E_SERVER_TOO_BUSY",
     "A call to IWbemObjectSink::Indicate failed; the provider can fire the event again"},
    {WBEM_E_INVALID_FLAVOR, "WBEM_E_INVALID_FLAVOR", "The specified qualifier flavor is not valid"},
    {WBEM_E_CIRCULAR_REFERENCE, "WBEM_E_CIRCULAR_REFERENCE",
     "An attempt was made to create a circular reference, such as deriving a class from itself"},
    {WBEM_E_UNSUPPORTED_CLASS_UPDATE, "WBEM_E_UNSUPPORTED_CLASS_UPDATE",
     "The specified class is not supported for this update"},
    {WBEM_E_CANNOT_CHANGE_KEY_INHERITANCE, "WBEM_E_CANNOT_CHANGE_KEY_INHERITANCE",
     "A key cannot be changed while instances or subclasses use it"},
    {WBEM_E_CANNOT_CHANGE_INDEX_INHERITANCE, "WBEM_E_CANNOT_CHANGE_INDEX_INHERITANCE",
     "An index cannot be changed while instances or subclasses use it"},
    {WBEM_E_TOO_MANY_PROPERTIES, "WBEM_E_TOO_MANY_PROPERTIES",
     "More properties were created than the current version of the class supports"},
    {WBEM_E_UPDATE_TYPE_MISMATCH, "WBEM_E_UPDATE_TYPE_MISMATCH",
     "A derived class redefines a property with a conflicting type"},
    {WBEM_E_UPDATE_OVERRIDE_NOT_ALLOWED, "WBEM_E_UPDATE_OVERRIDE_NOT_ALLOWED",
     "A derived class overrides a qualifier that cannot be overridden"},
    {WBEM_E_UPDATE_PROPAGATED_METHOD, "WBEM_E_UPDATE_PROPAGATED_METHOD",
     "A derived class redeclares a method with a conflicting signature"},
    {WBEM_E_METHOD_NOT_IMPLEMENTED, "WBEM_E_METHOD_NOT_IMPLEMENTED",
     "The method called is not marked [implemented] in any relevant class"},
    {WBEM_E_METHOD_DISABLED, "WBEM_E_METHOD_DISABLED", "The method called is marked [disabled]"},
    {WBEM_E_REFRESHER_BUSY, "WBEM_E_REFRESHER_BUSY", "The refresher is busy with another operation"},
    {WBEM_E_UNPARSABLE_QUERY, "WBEM_E_UNPARSABLE_QUERY", "The filtering query is syntactically not valid"},
    {WBEM_E_NOT_EVENT_CLASS, "WBEM_E_NOT_EVENT_CLASS",
     "The FROM clause of a filtering query names a class that is not an event class (not derived from __Event)"},
    {WBEM_E_MISSING_GROUP_WITHIN, "WBEM_E_MISSING_GROUP_WITHIN",
     "A GROUP BY clause was used without the GROUP WITHIN clause it needs"},
    {WBEM_E_MISSING_AGGREGATION_LIST, "WBEM_E_MISSING_AGGREGATION_LIST",
     "A GROUP BY clause was used, but aggregation on all properties is not supported"},
    {WBEM_E_PROPERTY_NOT_AN_OBJECT, "WBEM_E_PROPERTY_NOT_AN_OBJECT",
     "Dot notation was used on a property that is not an embedded object"},
    {WBEM_E_AGGREGATING_BY_OBJECT, "WBEM_E_AGGREGATING_BY_OBJECT",
     "A GROUP BY clause names an embedded-object property without using dot notation"},
    {WBEM_E_UNINTERPRETABLE_PROVIDER_QUERY, "WBEM_E_UNINTERPRETABLE_PROVIDER_QUERY",
     "An event provider registration query (__EventProviderRegistration) does not name the classes the provider "
     "raises events for"},
    {WBEM_E_BACKUP_RESTORE_WINMGMT_RUNNING, "WBEM_E_BACKUP_RESTORE_WINMGMT_RUNNING",
     "A backup or restore of the repository was requested while the WMI service was using it"},
    {WBEM_E_QUEUE_OVERFLOW, "WBEM_E_QUEUE_OVERFLOW",
     "The asynchronous delivery queue overflowed because the event consumer is too slow"},
    {WBEM_E_PRIVILEGE_NOT_HELD, "WBEM_E_PRIVILEGE_NOT_HELD",
     "The operation failed because the client does not hold the security privilege it needs"},
    {WBEM_E_INVALID_OPERATOR, "WBEM_E_INVALID_OPERATOR", "The operator is not valid for this property type"},
    {WBEM_E_LOCAL_CREDENTIALS, "WBEM_E_LOCAL_CREDENTIALS",
     "A user name, password or authority was given on a local connection, which must use blank credentials and "
     "default security"},
    {WBEM_E_CANNOT_BE_ABSTRACT, "WBEM_E_CANNOT_BE_ABSTRACT",
     "A class was made abstract although its parent class is not abstract"},
    {WBEM_E_AMENDED_OBJECT, "WBEM_E_AMENDED_OBJECT",
     "An amended object was written without the WBEM_FLAG_USE_AMENDED_QUALIFIERS flag"},
    {WBEM_E_CLIENT_TOO_SLOW, "WBEM_E_CLIENT_TOO_SLOW",
     "The client did not retrieve objects from an enumeration quickly enough, so the enumerator's caches backed up"},
    {WBEM_E_NULL_SECURITY_DESCRIPTOR, "WBEM_E_NULL_SECURITY_DESCRIPTOR", "A null security descriptor was used"},
    {WBEM_E_TIMED_OUT, "WBEM_E_TIMED_OUT", "The operation timed out"},
    {WBEM_E_INVALID_ASSOCIATION, "WBEM_E_INVALID_ASSOCIATION", "The association is not valid"},
    {WBEM_E_AMBIGUOUS_OPERATION, "WBEM_E_AMBIGUOUS_OPERATION", "The operation was ambiguous"},
    {WBEM_E_QUOTA_VIOLATION, "WBEM_E_QUOTA_VIOLATION",
     "A quota was exceeded: WMI is taking up too much memory, because little memory is available or WMI "
     "consumes too much"},
    // WMI's documentation names these two WBEM_E_TRANSACTION_CONFLICT and WBEM_E_FORCED_ROLLBACK.
    {WBEM_E_RESERVED_001, "WBEM_E_RESERVED_001", "The operation resulted in a transaction conflict"},
    {WBEM_E_RESERVED_002, "WBEM_E_RESERVED_002", "The transaction forced a rollback"},
    {WBEM_E_UNSUPPORTED_LOCALE, "WBEM_E_UNSUPPORTED_LOCALE", "The locale used in the call is not supported"},
    {WBEM_E_HANDLE_OUT_OF_DATE, "WBEM_E_HANDLE_OUT_OF_DATE", "The object handle is out of date"},
    {WBEM_E_CONNECTION_FAILED, "WBEM_E_CONNECTION_FAILED", "The connection to the SQL database failed"},
    {WBEM_E_INVALID_HANDLE_REQUEST, "WBEM_E_INVALID_HANDLE_REQUEST", "The handle request is not valid"},
    {WBEM_E_PROPERTY_NAME_TOO_WIDE, "WBEM_E_PROPERTY_NAME_TOO_WIDE", "A property name is longer than 255 characters"},
    {WBEM_E_CLASS_NAME_TOO_WIDE, "WBEM_E_CLASS_NAME_TOO_WIDE", "A class name is longer than 255 characters"},
    {WBEM_E_METHOD_NAME_TOO_WIDE, "WBEM_E_METHOD_NAME_TOO_WIDE", "A method name is longer than 255 characters"},
    {WBEM_E_QUALIFIER_NAME_TOO_WIDE, "WBEM_E_QUALIFIER_NAME_TOO_WIDE",
     "A qualifier name is longer than 255 characters"},
    {WBEM_E_RERUN_COMMAND, "WBEM_E_RERUN_COMMAND",
     "The SQL command must be run again because of a deadlock in SQL (only when data is stored in an SQL "
     "database)"},
    {WBEM_E_DATABASE_VER_MISMATCH, "WBEM_E_DATABASE_VER_MISMATCH",
     "The database version does not match the version the repository driver handles"},
    {WBEM_E_VETO_DELETE, "WBEM_E_VETO_DELETE", "The delete operation cannot be done because the provider forbids it"},
    {WBEM_E_VETO_PUT, "WBEM_E_VETO_PUT", "The put operation cannot be done because the provider forbids it"},
    {WBEM_E_INVALID_LOCALE, "WBEM_E_INVALID_LOCALE", "The specified locale identifier is not valid for the operation"},
    {WBEM_E_PROVIDER_SUSPENDED, "WBEM_E_PROVIDER_SUSPENDED", "The provider is suspended"},
    {WBEM_E_SYNCHRONIZATION_REQUIRED, "WBEM_E_SYNCHRONIZATION_REQUIRED",
     "The object must be written to the repository and read back before the operation can succeed, for example to "
     "see a property value"},
    {WBEM_E_NO_SCHEMA, "WBEM_E_NO_SCHEMA", "The operation cannot be completed because no schema is available"},
    {WBEM_E_PROVIDER_ALREADY_REGISTERED, "WBEM_E_PROVIDER_ALREADY_REGISTERED",
     "The provider cannot be registered because it is already registered"},
    {WBEM_E_PROVIDER_NOT_REGISTERED, "WBEM_E_PROVIDER_NOT_REGISTERED", "The provider is not registered"},
    {WBEM_E_FATAL_TRANSPORT_ERROR, "WBEM_E_FATAL_TRANSPORT_ERROR", "A fatal transport error occurred"},
    {WBEM_E_ENCRYPTED_CONNECTION_REQUIRED, "WBEM_E_ENCRYPTED_CONNECTION_REQUIRED",
     "A computer name or domain was set without an encrypted connection"},
    {WBEM_E_PROVIDER_TIMED_OUT, "WBEM_E_PROVIDER_TIMED_OUT",
     "A provider did not report its results within the timeout"},
    {WBEM_E_NO_KEY, "WBEM_E_NO_KEY", "An instance was put without a defined key"},
    {WBEM_E_PROVIDER_DISABLED, "WBEM_E_PROVIDER_DISABLED",
     "A provider instance was registered, but the server process of the provider was unloaded"},

    {WBEMESS_E_REGISTRATION_TOO_BROAD, "WBEMESS_E_REGISTRATION_TOO_BROAD",
     "The provider registration overlaps the events the system raises itself"},
    {WBEMESS_E_REGISTRATION_TOO_PRECISE, "WBEMESS_E_REGISTRATION_TOO_PRECISE",
     "A WITHIN clause was not used in this query"},
    {WBEMESS_E_AUTHZ_NOT_PRIVILEGED, "WBEMESS_E_AUTHZ_NOT_PRIVILEGED",
     "This computer lacks the domain permissions needed for the security functions of the subscription created"},

    {WBEM_E_RETRY_LATER, "WBEM_E_RETRY_LATER", "Reserved for future use"},
    {WBEM_E_RESOURCE_CONTENTION, "WBEM_E_RESOURCE_CONTENTION", "Reserved for future use"},
};

// Strictly ascending: the binary search in findStatus relies on it, and it rules out duplicate codes.
static_assert(std::ranges::adjacent_find(kStatuses, [](const StatusInfo& a, const StatusInfo& b) {
                return a.code >= b.code;
              }) == std::ranges::end(kStatuses));

// "[source:]line:column: message (WBEM_E_NAME 0x8004xxxx)"; the name is left out for a code wbem does not know.
std::string describe(Status status, std::string_view message, const TextPosition* position) {
  std::string text;
  if (position != nullptr) {
    if (!position->source.empty()) text.append(position->source).append(":");
    text.append(std::to_string(position->line)).append(":").append(std::to_string(position->column)).append(": ");
  }
  text.append(message).append(" (");
  if (const StatusInfo* info = findStatus(status)) text.append(info->name).append(" ");
  return text.append(statusHex(status)).append(")");
}

}  // namespace

std::span<const StatusInfo> allStatuses() noexcept { return kStatuses; }

const StatusInfo* findStatus(std::uint32_t code) noexcept {
  const auto* it = std::ranges::lower_bound(kStatuses, code, {},
                                            [](const StatusInfo& s) { return static_cast<std::uint32_t>(s.code); });
  return (it != std::ranges::end(kStatuses) && it->code == code) ? it : nullptr;
}

const StatusInfo* findStatusByName(std::string_view name) noexcept {
  const auto* it = std::ranges::find_if(kStatuses, [name](const StatusInfo& s) { return iequals(s.name, name); });
  return it != std::ranges::end(kStatuses) ? it : nullptr;
}

std::string statusHex(std::uint32_t code) {
  char text[sizeof "0x12345678"];
  std::snprintf(text, sizeof text, "0x%08X", static_cast<unsigned>(code));
  return text;
}

std::string statusName(std::uint32_t code) {
  const StatusInfo* info = findStatus(code);
  return info != nullptr ? std::string(info->name) : statusHex(code);
}

std::string statusText(std::uint32_t code) {
  const StatusInfo* info = findStatus(code);
  return info != nullptr ? std::string(info->text) : "Unknown WMI status code " + statusHex(code);
}

Error::Error(Status status, std::string message)
    : std::runtime_error(describe(status, message, nullptr)), status_(status), message_(std::move(message)) {}

Error::Error(Status status, std::string message, TextPosition position)
    : std::runtime_error(describe(status, message, &position)),
      status_(status),
      message_(std::move(message)),
      position_(std::move(position)) {}

}  // namespace wbem
