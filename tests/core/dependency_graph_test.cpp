#include "modules/dependency_graph.hpp"

#include <catch2/catch.hpp>
#include <map>

namespace {

struct Graph {
  std::map<std::string, std::shared_ptr<const sc::Manifest>> modules;
  int lookups = 0;

  void add(const std::string& name, std::vector<std::string> reqs) {
    auto m = std::make_shared<sc::Manifest>();
    m->name = name;
    m->requires_ = std::move(reqs);
    modules[name] = m;
  }
  sc::ManifestLookup lookup() {
    return [this](const std::string& n, std::string* err) -> std::shared_ptr<const sc::Manifest> {
      ++lookups;
      auto it = modules.find(n);
      if (it == modules.end()) {
        *err = "module \"" + n + "\" is not installed";
        return nullptr;
      }
      return it->second;
    };
  }
};

std::vector<std::string> names(const std::vector<std::shared_ptr<const sc::Manifest>>& v) {
  std::vector<std::string> out;
  for (const auto& m : v) out.push_back(m->name);
  return out;
}

}  // namespace

TEST_CASE("dependencies come first, each once", "[deps]") {
  Graph g;
  g.add("backup", {"sshlink", "crontask", "db"});
  g.add("sshlink", {"crontask"});
  g.add("crontask", {"aptpackage"});
  g.add("db", {"aptpackage"});
  g.add("aptpackage", {});
  std::vector<std::shared_ptr<const sc::Manifest>> order;
  std::string err;
  REQUIRE(sc::resolve_dependencies("backup", g.lookup(), &order, &err));
  CHECK(names(order) == std::vector<std::string>{"aptpackage", "crontask", "sshlink", "db", "backup"});
}

TEST_CASE("a missing dependency names the chain", "[deps]") {
  Graph g;
  g.add("backup", {"sshlink"});
  g.add("sshlink", {"crontask"});
  std::vector<std::shared_ptr<const sc::Manifest>> order;
  std::string err;
  REQUIRE_FALSE(sc::resolve_dependencies("backup", g.lookup(), &order, &err));
  CHECK(err == "backup -> sshlink -> crontask: module \"crontask\" is not installed");
}

TEST_CASE("a cycle names every module in it", "[deps]") {
  Graph g;
  g.add("a", {"b"});
  g.add("b", {"c"});
  g.add("c", {"a"});
  std::vector<std::shared_ptr<const sc::Manifest>> order;
  std::string err;
  REQUIRE_FALSE(sc::resolve_dependencies("a", g.lookup(), &order, &err));
  CHECK_THAT(err, Catch::StartsWith("dependency cycle: a -> b -> c -> a"));
}

TEST_CASE("ordering a set keeps dependency order through modules outside it", "[deps]") {
  Graph g;
  g.add("zeta", {});
  g.add("mid", {"zeta"});
  g.add("alpha", {"mid"});
  g.add("lonely", {});
  g.add("broken", {"absent"});
  std::vector<std::string> errors;
  auto out = sc::order_modules({g.modules["alpha"], g.modules["zeta"], g.modules["lonely"], g.modules["broken"]},
                               g.lookup(), &errors);
  CHECK(names(out) == std::vector<std::string>{"zeta", "alpha", "lonely"});
  REQUIRE(errors.size() == 1);
  CHECK_THAT(errors[0], Catch::Contains("broken -> absent"));
}
