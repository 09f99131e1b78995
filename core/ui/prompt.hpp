// Asking the user: on a terminal only, never guessing without one.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace sc {

struct Question {
  enum class Kind { text, yes_no, choice, secret };
  Kind kind = Kind::text;
  std::string prompt;
  std::optional<std::string> default_value;
  std::vector<std::string> choices;  ///< Kind::choice
};

/// Questions go to stderr and answers come from stdin, when both are
/// terminals. Without a terminal, only --yes answers: "yes" to yes/no
/// questions and the default to others that have one; anything else is an
/// error naming the question.
class Prompter {
 public:
  explicit Prompter(bool assume_yes);

  /// stdin and stderr are terminals.
  bool interactive() const { return interactive_; }

  /// On success *answer holds the answer ("yes"/"no" for yes/no).
  bool ask(const Question& q, std::string* answer, std::string* err);

 private:
  bool read_line(bool echo, std::string* line, std::string* err);

  bool assume_yes_;
  bool interactive_;
};

}  // namespace sc
