#include "ui/prompt.hpp"

#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "base/fd.hpp"

namespace sc {
namespace {

void say(const std::string& text) {
  write_all(STDERR_FILENO, text);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// Restores the terminal's echo on every path out.
class EchoOff {
 public:
  EchoOff() {
    if (::tcgetattr(STDIN_FILENO, &saved_) == 0) {
      termios t = saved_;
      t.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      active_ = ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) == 0;
    }
  }
  ~EchoOff() {
    if (active_) {
      ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_);
      say("\n");
    }
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  termios saved_{};
  bool active_ = false;
};

}  // namespace

Prompter::Prompter(bool assume_yes)
    : assume_yes_(assume_yes), interactive_(::isatty(STDIN_FILENO) && ::isatty(STDERR_FILENO)) {}

bool Prompter::read_line(bool echo, std::string* line, std::string* err) {
  (void)echo;  // the caller turns echo off before it shows the prompt
  line->clear();
  for (;;) {
    char c = 0;
    ssize_t r = ::read(STDIN_FILENO, &c, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      *err = "no answer (end of input)";
      return false;
    }
    if (c == '\n') return true;
    if (c != '\r') line->push_back(c);
  }
}

bool Prompter::ask(const Question& q, std::string* answer, std::string* err) {
  if (!interactive_) {
    if (assume_yes_ && q.kind == Question::Kind::yes_no) {
      *answer = "yes";
      return true;
    }
    if (assume_yes_ && q.default_value && q.kind != Question::Kind::secret) {
      *answer = *q.default_value;
      return true;
    }
    *err = "cannot ask \"" + q.prompt + "\": no terminal" +
           (q.kind == Question::Kind::yes_no ? "; run on a terminal or add --yes"
                                             : "; run on a terminal, or give the value on the command line");
    return false;
  }
  for (int attempt = 0; attempt < 5; ++attempt) {
    std::string text = q.prompt;
    switch (q.kind) {
      case Question::Kind::yes_no: {
        bool def_yes = q.default_value && lower(*q.default_value) == "yes";
        text += def_yes ? " [Y/n] " : " [y/N] ";
        break;
      }
      case Question::Kind::choice:
        for (size_t i = 0; i < q.choices.size(); ++i) text += "\n  " + std::to_string(i + 1) + ") " + q.choices[i];
        text += "\nChoice" + (q.default_value ? " [" + *q.default_value + "]" : std::string()) + ": ";
        break;
      default:
        text += q.default_value && q.kind != Question::Kind::secret ? " [" + *q.default_value + "]: " : ": ";
    }
    // Echo goes off before the prompt shows: a secret typed as soon as the
    // prompt appears is neither echoed nor flushed away with the pending input.
    std::optional<EchoOff> quiet;
    if (q.kind == Question::Kind::secret) quiet.emplace();
    say(text);
    std::string line;
    bool got = read_line(q.kind != Question::Kind::secret, &line, err);
    quiet.reset();
    if (!got) return false;
    if (line.empty() && q.default_value) line = *q.default_value;
    switch (q.kind) {
      case Question::Kind::yes_no: {
        std::string l = lower(line);
        if (l.empty()) l = "no";
        if (l == "y" || l == "yes") {
          *answer = "yes";
          return true;
        }
        if (l == "n" || l == "no") {
          *answer = "no";
          return true;
        }
        say("Please answer yes or no.\n");
        break;
      }
      case Question::Kind::choice: {
        auto it = std::find(q.choices.begin(), q.choices.end(), line);
        if (it != q.choices.end()) {
          *answer = *it;
          return true;
        }
        char* end = nullptr;
        long n = std::strtol(line.c_str(), &end, 10);
        if (!line.empty() && end && *end == '\0' && n >= 1 && static_cast<size_t>(n) <= q.choices.size()) {
          *answer = q.choices[static_cast<size_t>(n - 1)];
          return true;
        }
        say("Please answer with one of the numbers or values listed.\n");
        break;
      }
      default:
        if (!line.empty()) {
          *answer = line;
          return true;
        }
        say("An answer is required.\n");
    }
  }
  *err = "no valid answer to \"" + q.prompt + "\"";
  return false;
}

}  // namespace sc
