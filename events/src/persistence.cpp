// The repository behind an EventService: write-through of changes, loading at start, backup and
// restore (IWbemBackupRestore).

#include "persistence.hpp"

#include <filesystem>
#include <functional>
#include <spdlog/spdlog.h>
#include <string>

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
    if (const auto sddl = repository.namespaceSecurity(name))
      it->second->ownSecurity = SecurityDescriptor::parse(*sddl);
    // Loaded without observers: the scheduler and the providers read their instances afresh.
    it->second->timersDirty.store(true);
    it->second->registrationsDirty.store(true);
  }
}

namespace {

// Throws unless `file` opens as a repository this build reads and every namespace in it loads,
// so that a restore never starts on a backup it cannot finish. Works on a copy: opening may
// migrate an older file.
void checkBackup(const std::filesystem::path& file) {
  if (!std::filesystem::is_regular_file(file))
    throw Error(WBEM_E_NOT_FOUND, "backup " + file.string() + " does not exist or is not a file");
  const auto scratch = std::filesystem::temp_directory_path() /
                       ("wbem-restore-check-" + std::to_string(std::hash<std::string>{}(file.string())) + ".db");
  struct Cleanup {
    std::filesystem::path path;
    ~Cleanup() {
      std::error_code ignored;
      for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix, ignored);
    }
  } cleanup{scratch};
  std::filesystem::copy_file(file, scratch, std::filesystem::copy_options::overwrite_existing);
  Repository staged(scratch);
  for (const std::string& name : staged.namespaces()) {
    Namespace trial(name);
    staged.load(name, trial);
  }
}

}  // namespace

void EventService::backup(const std::filesystem::path& file) const {
  if (!impl_->options_.repository) throw Error(WBEM_E_INVALID_OPERATION, "this event service has no repository");
  impl_->options_.repository->backup(file);
}

void EventService::restore(const std::filesystem::path& file) {
  if (!impl_->options_.repository) throw Error(WBEM_E_INVALID_OPERATION, "this event service has no repository");
  Repository& repository = *impl_->options_.repository;
  checkBackup(file);         // every namespace of it loads
  repository.restore(file);  // checks it again as it copies: a bad one changes nothing

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
    impl_->applySecurityLocked();
    for (auto& [name, state] : impl_->namespaces_) {
      impl_->attachObservers(*state);
      loaded.push_back(state->ns.get());
    }
    observers = impl_->observers_;
  }
  for (detail::NamespaceState* state : retired) impl_->retireNamespace(*state);
  impl_->wakeScheduler();  // the restored timer instructions
  for (const auto& o : observers) {
    for (detail::NamespaceState* state : retired) o->namespaceDeleted(*state->ns);
    for (Namespace* ns : loaded) o->namespaceCreated(*ns);
  }
}

}  // namespace wbem
