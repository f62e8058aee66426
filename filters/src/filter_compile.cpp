// QueryFilter::compile from query text: kept apart from the validation so that programs which
// only compile parsed queries do not link the parser.

#include <wbem/filter.hpp>

namespace wbem {

std::shared_ptr<const QueryFilter> QueryFilter::compile(std::string_view query, const Namespace& ns, QueryKind kind,
                                                        const WqlLimits& limits) {
  return compile(parseWql(query, limits), ns, kind);
}

}  // namespace wbem
