// The repository behind an EventService: write-through of changes, loading at start, backup and
// restore (IWbemBackupRestore).

#include "persistence.hpp"

#include <spdlog/spdlog.h>

#include "service_impl.hpp"

namespace wbem {
namespace detail {
namespace {

class RepositoryWriter final : public NamespaceObserver {
 public:
  explicit RepositoryWriter(std::shared_ptr<Repository> repository) : repository_(std::move(repository)) {}

  void classChanged(const Namespace& ns, const ObjectPtr& before, const ObjectPtr& after) override {
    store(ns, [&] {
      if (after)
        repository_->putClass(ns.name(), *after);
      else
        repository_->deleteClass(ns.name(), before->className());
    });
  }

  void instanceChanged(const Namespace& ns, const ObjectPtr& before, const ObjectPtr& after) override {
    store(ns, [&] {
      if (after)
        repository_->putInstance(ns.name(), *after);
      else
        repository_->deleteInstance(ns.name(), *before);
    });
  }

 private:
  // The change is already made in memory, which stays the source of truth: a failed write (a
  // full disk) is reported, and the next write of the same object repairs the stored copy.
  template <typename Write>
  void store(const Namespace& ns, Write write) {
    try {
      write();
    } catch (const std::exception& e) {
      spdlog::error("repository {}: a change in namespace {} was not stored: {}", repository_->path().string(),
                    ns.name(), e.what());
    }
  }

  std::shared_ptr<Repository> repository_;
};

}  // namespace

std::shared_ptr<NamespaceObserver> makeRepositoryWriter(std::shared_ptr<Repository> repository) {
  return std::make_shared<RepositoryWriter>(std::move(repository));
}

}  // namespace detail

void EventService::Impl::loadRepository() {
  Repository& repository = *options_.repository;
  repository.putNamespace("root");
  for (const std::string& name : repository.namespaces()) {
    auto it = namespaces_.find(name);
    if (it == namespaces_.end()) it = namespaces_.emplace(name, makeNamespace(name)).first;
    repository.load(name, *it->second->ns);
  }
}

void EventService::backup(const std::filesystem::path& file) const {
  if (!impl_->options_.repository) throw Error(WBEM_E_INVALID_OPERATION, "this event service has no repository");
  impl_->options_.repository->backup(file);
}

void EventService::restore(const std::filesystem::path& file) {
  if (!impl_->options_.repository) throw Error(WBEM_E_INVALID_OPERATION, "this event service has no repository");
  Repository& repository = *impl_->options_.repository;
  repository.restore(file);  // checks the backup first: a bad one changes nothing

  std::vector<SubscriptionId> ids;
  {
    std::shared_lock table(impl_->tableMutex_);
    for (const auto& [id, sub] : impl_->table_) ids.push_back(id);
  }
  for (SubscriptionId id : ids) impl_->cancel(id, WBEM_E_SHUTTING_DOWN);

  // Everything in memory is replaced. The old namespaces (root included) are retired like deleted
  // ones, so neither the repository writer nor any observer sees them emptied.
  std::vector<detail::NamespaceState*> retired;
  std::vector<Namespace*> loaded;
  std::vector<std::shared_ptr<ServiceObserver>> observers;
  {
    std::lock_guard lock(impl_->mutex_);
    for (auto& [name, state] : impl_->namespaces_) {
      retired.push_back(state.get());
      impl_->deletedNamespaces_.push_back(std::move(state));
    }
    impl_->namespaces_.clear();
    auto root = impl_->makeNamespace("root");
    impl_->root_ = root.get();
    impl_->namespaces_.emplace("root", std::move(root));
    impl_->loadRepository();
    for (auto& [name, state] : impl_->namespaces_) {
      impl_->attachObservers(*state);
      loaded.push_back(state->ns.get());
    }
    observers = impl_->observers_;
  }
  for (detail::NamespaceState* state : retired) impl_->retireNamespace(*state);
  for (const auto& o : observers) {
    for (detail::NamespaceState* state : retired) o->namespaceDeleted(*state->ns);
    for (Namespace* ns : loaded) o->namespaceCreated(*ns);
  }
}

}  // namespace wbem
