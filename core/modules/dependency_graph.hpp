// Ordering modules by their "requires": dependencies first.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "modules/manifest.hpp"

namespace sc {

/// Looks a module's manifest up; null with *err when it cannot be had.
using ManifestLookup = std::function<std::shared_ptr<const Manifest>(const std::string& name, std::string* err)>;

/// The transitive requirements of `name` followed by `name` itself, each
/// after everything it requires. A missing or broken dependency and a cycle
/// are errors naming the whole chain, e.g.
/// `backup -> sshlink -> crontask: module "crontask" is not installed ...`
/// or `dependency cycle: a -> b -> a`.
bool resolve_dependencies(const std::string& name, const ManifestLookup& lookup,
                          std::vector<std::shared_ptr<const Manifest>>* order, std::string* err);

/// Orders a set of manifests so that each comes after every module of the
/// set it requires, directly or through modules outside the set; ties are
/// broken by name. Modules that cannot be resolved are left out and
/// reported in *errors.
std::vector<std::shared_ptr<const Manifest>> order_modules(const std::vector<std::shared_ptr<const Manifest>>& modules,
                                                           const ManifestLookup& lookup,
                                                           std::vector<std::string>* errors);

}  // namespace sc
