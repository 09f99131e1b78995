#include "common/fan_out.hpp"

#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "test_support.hpp"

using namespace sc::test;
namespace fan_out = plugin_common::fan_out;
using std::chrono::milliseconds;

namespace {

fan_out::Job sh(const std::string& script, std::vector<std::string> args = {},
                milliseconds deadline = milliseconds(0)) {
  fan_out::Job j;
  j.argv = {"/bin/sh", "-c", script, "sh"};
  j.argv.insert(j.argv.end(), args.begin(), args.end());
  j.deadline = deadline;
  return j;
}

/// True once `pid` is gone or a zombie (killed, waiting for init to reap it).
bool dead(pid_t pid) {
  for (int i = 0; i < 200; ++i) {
    if (::kill(pid, 0) != 0) return true;
    std::string stat;
    try {
      stat = read_text("/proc/" + std::to_string(pid) + "/stat");
    } catch (const std::exception&) {
      return true;
    }
    const size_t close = stat.rfind(')');
    if (close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z') return true;
    std::this_thread::sleep_for(milliseconds(50));
  }
  return false;
}

pid_t pid_in(const fs::path& file) {
  std::string text = read_text(file);
  return static_cast<pid_t>(std::stol(text));
}

size_t open_fds() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

/// The largest number of [start, end] intervals (times the jobs wrote)
/// that overlap at one moment.
size_t max_overlap(const fs::path& dir, size_t jobs) {
  std::vector<std::pair<long long, int>> events;
  for (size_t i = 0; i < jobs; ++i) {
    events.push_back({std::stoll(read_text(dir / ("start." + std::to_string(i)))), +1});
    events.push_back({std::stoll(read_text(dir / ("end." + std::to_string(i)))), -1});
  }
  std::sort(events.begin(), events.end());  // an end before a start at the same instant
  long now = 0, most = 0;
  for (const auto& e : events) most = std::max(most, now += e.second);
  return static_cast<size_t>(most);
}

std::vector<fan_out::Job> timed_jobs(const fs::path& dir, size_t n) {
  std::vector<fan_out::Job> jobs;
  for (size_t i = 0; i < n; ++i)
    jobs.push_back(
        sh("date +%s%N > \"$1/start.$2\"; sleep 0.4; date +%s%N > \"$1/end.$2\"", {dir.string(), std::to_string(i)}));
  return jobs;
}

}  // namespace

TEST_CASE("fan_out: output captured, lines handed on as they come, statuses", "[common][fan_out]") {
  std::vector<fan_out::Job> jobs = {
      sh("echo one; echo two; printf 'no newline'; echo oops >&2; exit 3"),
      sh("printf 'a\\nb\\n' >&2; kill -TERM $$"),
      fan_out::Job{{"/nonexistent/program"}, milliseconds(0)},
      fan_out::Job{{}, milliseconds(0)},
  };
  std::vector<std::string> lines;
  std::vector<size_t> done;
  fan_out::Options o;
  o.on_line = [&](size_t job, fan_out::Stream s, std::string_view line) {
    lines.push_back(std::to_string(job) + (s == fan_out::Stream::out ? " out " : " err ") + std::string(line));
  };
  o.on_done = [&](size_t job, const fan_out::Result& r) {
    done.push_back(job);
    CHECK(r.started == (job < 2));
  };
  const auto results = fan_out::run(jobs, o);
  REQUIRE(results.size() == 4);

  CHECK(results[0].started);
  CHECK(results[0].exit_code == 3);
  CHECK(results[0].term_signal == 0);
  CHECK_FALSE(results[0].timed_out);
  CHECK_FALSE(results[0].ok());
  CHECK(results[0].out == "one\ntwo\nno newline");
  CHECK(results[0].err == "oops\n");
  CHECK(results[0].describe() == "exited with status 3");

  CHECK(results[1].term_signal == SIGTERM);
  CHECK(results[1].err == "a\nb\n");
  CHECK(results[1].describe().rfind("killed by signal 15", 0) == 0);

  CHECK_FALSE(results[2].started);
  CHECK(results[2].describe() == "/nonexistent/program: not found");
  CHECK_FALSE(results[3].started);
  CHECK(results[3].describe() == "empty command");

  // Each job's lines in their order; the last line without '\n' too.
  std::vector<std::string> job0, job1;
  for (const auto& l : lines) (l[0] == '0' ? job0 : job1).push_back(l);
  CHECK(job0 == std::vector<std::string>{"0 out one", "0 out two", "0 err oops", "0 out no newline"});
  CHECK(job1 == std::vector<std::string>{"1 err a", "1 err b"});
  std::sort(done.begin(), done.end());
  CHECK(done == std::vector<size_t>{0, 1, 2, 3});

  auto ok = fan_out::run({sh("true")});
  CHECK(ok[0].ok());
  CHECK(ok[0].describe() == "exited with status 0");
}

TEST_CASE("fan_out: at most `concurrency` jobs run at once, and they do run together", "[common][fan_out]") {
  // Each job writes its start and end time; the intervals show how many ran
  // at once.
  for (size_t limit : {size_t{1}, size_t{3}}) {
    TempDir dir;
    const size_t n = 7;
    fan_out::Options o;
    o.concurrency = limit;
    const auto results = fan_out::run(timed_jobs(dir.path(), n), o);
    for (const auto& r : results) CHECK(r.ok());
    INFO("concurrency " << limit);
    CHECK(max_overlap(dir.path(), n) == limit);
  }
  // 0 is taken as 1, never as "unbounded".
  TempDir dir;
  fan_out::Options o;
  o.concurrency = 0;
  fan_out::run(timed_jobs(dir.path(), 3), o);
  CHECK(max_overlap(dir.path(), 3) == 1);
}

TEST_CASE("fan_out: the deadline kills a job and its children, each job's deadline counts from its own start",
          "[common][fan_out]") {
  TempDir dir;
  const fs::path pid_file = dir.path() / "child.pid";
  std::vector<fan_out::Job> jobs = {
      // `sleep 100` and a child of its own (in its process group).
      sh("sleep 100 & echo $! > \"$1\"; echo started; sleep 100", {pid_file.string()}, milliseconds(1000)),
      sh("echo fine", {}, milliseconds(1000)),
  };
  const auto results = fan_out::run(jobs);
  REQUIRE(results.size() == 2);
  CHECK(results[0].timed_out);
  CHECK(results[0].term_signal == SIGKILL);
  CHECK(results[0].out == "started\n");
  CHECK_FALSE(results[0].ok());
  CHECK(results[0].describe().rfind("timed out after", 0) == 0);
  // Generous: far below the 100 s it would take without the deadline.
  CHECK(results[0].elapsed < milliseconds(30000));
  CHECK(results[0].elapsed >= milliseconds(1000));
  CHECK(dead(pid_in(pid_file)));
  CHECK(results[1].ok());
  CHECK(results[1].out == "fine\n");

  // One at a time, 5 jobs of 0.5 s each with a deadline of 2 s: 2.5 s in
  // all, and none timed out, since each deadline starts with its own job.
  std::vector<fan_out::Job> queue;
  for (int i = 0; i < 5; ++i) queue.push_back(sh("sleep 0.5", {}, milliseconds(2000)));
  fan_out::Options one;
  one.concurrency = 1;
  for (const auto& r : fan_out::run(queue, one)) CHECK(r.ok());
}

TEST_CASE("fan_out: a job ends with its process, not with a grandchild that keeps its pipes", "[common][fan_out]") {
  // The grandchild leaves the process group (setsid) and keeps stdout and
  // stderr open: the job is over when its process is, the run returns
  // while the grandchild still lives.
  TempDir dir;
  const fs::path pid_file = dir.path() / "escaped.pid";
  const auto results = fan_out::run({sh("setsid sleep 60 & echo $! > \"$1\"; echo bye", {pid_file.string()})});
  CHECK(results[0].ok());
  CHECK(results[0].out == "bye\n");
  const pid_t escaped = pid_in(pid_file);
  CHECK(::kill(escaped, 0) == 0);  // still running: we did not wait for it
  ::kill(escaped, SIGKILL);

  // ... and with a deadline, a killed job whose grandchild escaped too.
  const auto killed =
      fan_out::run({sh("setsid sleep 60 & echo $! > \"$1\"; sleep 60", {pid_file.string()}, milliseconds(500))});
  CHECK(killed[0].timed_out);
  const pid_t escaped2 = pid_in(pid_file);
  CHECK(::kill(escaped2, 0) == 0);
  ::kill(escaped2, SIGKILL);
}

TEST_CASE("fan_out: many jobs, every result in its place, no descriptor left open", "[common][fan_out]") {
  const size_t before = open_fds();
  std::vector<fan_out::Job> jobs;
  for (int i = 0; i < 300; ++i) jobs.push_back(sh("echo \"$1\"; echo \"e$1\" >&2", {std::to_string(i)}));
  size_t lines = 0;
  fan_out::Options o;
  o.concurrency = 16;
  o.on_line = [&](size_t, fan_out::Stream, std::string_view) { ++lines; };
  const auto results = fan_out::run(jobs, o);
  REQUIRE(results.size() == 300);
  for (int i = 0; i < 300; ++i) {
    INFO(i);
    CHECK(results[i].ok());
    CHECK(results[i].out == std::to_string(i) + "\n");
    CHECK(results[i].err == "e" + std::to_string(i) + "\n");
  }
  CHECK(lines == 600);
  CHECK(open_fds() == before);
  CHECK(fan_out::run({}).empty());
}

TEST_CASE("fan_out: big output, kept up to max_capture, and a callback that throws kills what runs",
          "[common][fan_out]") {
  fan_out::Options o;
  o.max_capture = 1000;
  size_t seen = 0;
  o.on_line = [&](size_t, fan_out::Stream, std::string_view line) { seen += line.size() + 1; };
  const auto results = fan_out::run({sh("yes 0123456789 | head -n 100000")}, o);
  CHECK(results[0].ok());
  CHECK(results[0].out.size() == 1000);
  CHECK(results[0].truncated);
  CHECK(seen == 1100000);  // every line, 11 bytes each with its newline

  TempDir dir;
  const fs::path pid_file = dir.path() / "sleeper.pid";
  fan_out::Options thrower;
  thrower.on_line = [](size_t, fan_out::Stream, std::string_view line) {
    if (line == "boom") throw std::runtime_error("stop");
  };
  CHECK_THROWS_AS(fan_out::run({sh("echo $$ > \"$1\"; exec sleep 100", {pid_file.string()}),
                                sh("while [ ! -s \"$1\" ]; do sleep 0.05; done; echo boom", {pid_file.string()})},
                               thrower),
                  std::runtime_error);
  // Killed and reaped before run() let the exception go.
  CHECK(::kill(pid_in(pid_file), 0) != 0);
}

TEST_CASE("fan_out: self_exe is the running program", "[common][fan_out]") {
  CHECK(fs::equivalent(fan_out::self_exe(), "/proc/self/exe"));
}
