#pragma once
// Writing namespace changes through to the repository, and loading them back (persistence.cpp).

#include <wbem/namespace.hpp>
#include <wbem/repository.hpp>

#include <memory>

namespace wbem::detail {

/// An observer that stores every class and instance change of the namespaces it watches in
/// `repository`, under the namespace's write lock, so the stored order is the order of changes.
std::shared_ptr<NamespaceObserver> makeRepositoryWriter(std::shared_ptr<Repository> repository);

}  // namespace wbem::detail
