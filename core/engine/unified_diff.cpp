// The line matching follows GNU diffutils step by step, because "the same
// hunks as diff -u" depends on every tie-break, not only on minimality:
//  1. identical leading and trailing bytes are set aside, keeping `context`
//     lines of them in the comparison (diff's "horizon");
//  2. lines that occur only in one file are discarded before the search,
//     and so are runs of very frequent lines (discard_confusing_lines);
//  3. Myers' O(ND) bisection with diff's tie-breaks and its TOO_EXPENSIVE
//     cut-off (Myers 1986, section 4.2);
//  4. runs of changes are slid down, then back up to line up with changes in
//     the other file (shift_boundaries);
//  5. hunks are changes less than 2*context+1 unchanged lines apart.
// The code is ours; the algorithm and its constants are diff's.
#include "engine/unified_diff.hpp"

#include <algorithm>
#include <cstddef>
#include <limits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace sc {
namespace {

using Index = std::ptrdiff_t;
constexpr Index kIndexMax = std::numeric_limits<Index>::max();

// One input as diff sees it: a newline is appended to an incomplete last
// line for the byte scans, but the line itself stays distinct from a
// complete one.
struct Text {
  std::string_view bytes;
  bool missing_newline = false;
  Index size = 0;                       // bytes plus the appended newline
  std::vector<std::string_view> lines;  // each with its '\n' (not the incomplete last)
  std::vector<Index> starts;            // offset of each line, then `size`

  explicit Text(std::string_view s) : bytes(s) {
    missing_newline = !s.empty() && s.back() != '\n';
    size = static_cast<Index>(s.size()) + (missing_newline ? 1 : 0);
    size_t pos = 0;
    while (pos < s.size()) {
      size_t nl = s.find('\n', pos);
      size_t end = nl == std::string_view::npos ? s.size() : nl + 1;
      starts.push_back(static_cast<Index>(pos));
      lines.push_back(s.substr(pos, end - pos));
      pos = end;
    }
    starts.push_back(size);
  }
  char at(Index k) const { return k < static_cast<Index>(bytes.size()) ? bytes[k] : '\n'; }
  Index line_at(Index offset) const { return std::lower_bound(starts.begin(), starts.end(), offset) - starts.begin(); }
  Index line_count() const { return static_cast<Index>(lines.size()); }
};

// Lines [prefix, end[f]) of each file take part in the comparison.
struct Window {
  Index prefix = 0;
  Index end[2] = {0, 0};
};

Window find_identical_ends(const Text& a, const Text& b, Index horizon) {
  const Index n0 = a.size, n1 = b.size;
  Index p = 0;
  const Index m = std::min(n0, n1);
  while (p < m && a.at(p) == b.at(p)) ++p;
  // The appended newline of an incomplete line is not part of the prefix.
  if ((n0 - a.missing_newline < p) != (n1 - b.missing_newline < p)) --p;
  // Back to a line start, then `horizon` more lines.
  Index hor = horizon;
  while (p != 0 && (a.at(p - 1) != '\n' || hor-- != 0)) --p;
  Window w;
  const Index prefix_end = p;
  Index s0 = n0, s1 = n1;
  if (a.missing_newline == b.missing_newline) {
    Index p0 = n0, p1 = n1;
    Index beg0 = prefix_end + (n0 < n1 ? 0 : n0 - n1);
    while (p0 != beg0) {
      --p0;
      --p1;
      if (a.at(p0) != b.at(p1)) {
        ++p0;
        ++p1;
        beg0 = p0;
        break;
      }
    }
    bool line_start = (p0 == 0 || a.at(p0 - 1) == '\n') && (p1 == 0 || b.at(p1 - 1) == '\n');
    Index i = horizon + (line_start ? 0 : 1);
    while (i-- != 0 && p0 != n0) {
      while (a.at(p0++) != '\n') {
      }
    }
    p1 += p0 - beg0;
    s0 = p0;
    s1 = p1;
  }
  w.prefix = a.line_at(prefix_end);
  w.end[0] = a.line_at(s0);
  w.end[1] = b.line_at(s1);
  return w;
}

// Changed-line flags with a zero sentinel before the first and after the
// last line, as the scans below rely on.
class Flags {
 public:
  explicit Flags(Index n) : v_(static_cast<size_t>(n) + 2, 0) {}
  char& operator[](Index i) { return v_[static_cast<size_t>(i + 1)]; }

 private:
  std::vector<char> v_;
};

// Marks lines matching nothing in the other file (and runs of lines
// matching very many) as changed, and returns the others for the search.
void discard_confusing_lines(const std::vector<Index> (&equivs)[2], Index equiv_max, Flags* changed[2],
                             std::vector<Index> (&kept)[2], std::vector<Index> (&real)[2]) {
  std::vector<Index> count[2];
  for (int f = 0; f < 2; ++f) {
    count[f].assign(static_cast<size_t>(equiv_max), 0);
    for (Index e : equivs[f]) ++count[f][static_cast<size_t>(e)];
  }
  std::vector<char> discards[2];
  for (int f = 0; f < 2; ++f) {
    const Index end = static_cast<Index>(equivs[f].size());
    discards[f].assign(static_cast<size_t>(end), 0);
    Index many = 5;
    for (Index tem = end >> 6; (tem = tem >> 2) > 0;) many *= 2;
    for (Index i = 0; i < end; ++i) {
      Index nmatch = count[1 - f][static_cast<size_t>(equivs[f][static_cast<size_t>(i)])];
      if (nmatch == 0)
        discards[f][static_cast<size_t>(i)] = 1;
      else if (nmatch > many)
        discards[f][static_cast<size_t>(i)] = 2;
    }
  }
  for (int f = 0; f < 2; ++f) {
    const Index end = static_cast<Index>(equivs[f].size());
    auto d = [&](Index k) -> char& { return discards[f][static_cast<size_t>(k)]; };
    for (Index i = 0; i < end; ++i) {
      if (d(i) == 2) {
        d(i) = 0;  // a provisional discard must sit inside a run
        continue;
      }
      if (d(i) == 0) continue;
      Index j = i;
      Index provisional = 0;
      for (; j < end && d(j) != 0; ++j)
        if (d(j) == 2) ++provisional;
      while (j > i && d(j - 1) == 2) {
        d(--j) = 0;
        --provisional;
      }
      const Index length = j - i;
      if (provisional * 4 > length) {
        while (j > i)
          if (d(--j) == 2) d(j) = 0;
        continue;
      }
      Index minimum = 1;
      for (Index tem = length >> 2; 0 < (tem >>= 2);) minimum <<= 1;
      ++minimum;
      // Cancel every sub-run of `minimum` or more provisionals.
      Index consec = 0;
      for (j = 0; j < length; ++j) {
        if (d(i + j) != 2)
          consec = 0;
        else if (minimum == ++consec)
          j -= consec;
        else if (minimum < consec)
          d(i + j) = 0;
      }
      // Keep provisionals only after 3 nonprovisionals in a row (or 8
      // lines) from each end of the run.
      consec = 0;
      for (j = 0; j < length; ++j) {
        if (j >= 8 && d(i + j) == 1) break;
        if (d(i + j) == 2) {
          consec = 0;
          d(i + j) = 0;
        } else if (d(i + j) == 0) {
          consec = 0;
        } else {
          ++consec;
        }
        if (consec == 3) break;
      }
      i += length - 1;
      consec = 0;
      for (j = 0; j < length; ++j) {
        if (j >= 8 && d(i - j) == 1) break;
        if (d(i - j) == 2) {
          consec = 0;
          d(i - j) = 0;
        } else if (d(i - j) == 0) {
          consec = 0;
        } else {
          ++consec;
        }
        if (consec == 3) break;
      }
    }
  }
  for (int f = 0; f < 2; ++f) {
    for (Index i = 0; i < static_cast<Index>(equivs[f].size()); ++i) {
      if (discards[f][static_cast<size_t>(i)] == 0) {
        kept[f].push_back(equivs[f][static_cast<size_t>(i)]);
        real[f].push_back(i);
      } else {
        (*changed[f])[i] = 1;
      }
    }
  }
}

struct Partition {
  Index xmid, ymid;
  bool lo_minimal, hi_minimal;
};

// Myers' linear-space bisection over the kept lines.
class Myers {
 public:
  Myers(const std::vector<Index>& xv, const std::vector<Index>& yv, const std::vector<Index>& xreal,
        const std::vector<Index>& yreal, Flags* xchanged, Flags* ychanged)
      : xv_(xv), yv_(yv), xreal_(xreal), yreal_(yreal), xchanged_(xchanged), ychanged_(ychanged) {
    const Index nx = static_cast<Index>(xv.size()), ny = static_cast<Index>(yv.size());
    Index diags = nx + ny + 3;
    fbuf_.assign(static_cast<size_t>(diags), 0);
    bbuf_.assign(static_cast<size_t>(diags), 0);
    fd_ = fbuf_.data() + ny + 1;
    bd_ = bbuf_.data() + ny + 1;
    // About the square root of the input size, at least 4096 (diff's value).
    Index te = 1;
    for (; diags != 0; diags >>= 2) te <<= 1;
    too_expensive_ = std::max<Index>(4096, te);
  }

  void compare_all() {
    // An explicit stack instead of recursion, visiting the halves in the
    // same order as diff does.
    struct Range {
      Index xoff, xlim, yoff, ylim;
      bool minimal;
    };
    std::vector<Range> todo{{0, static_cast<Index>(xv_.size()), 0, static_cast<Index>(yv_.size()), false}};
    while (!todo.empty()) {
      Range r = todo.back();
      todo.pop_back();
      while (r.xoff < r.xlim && r.yoff < r.ylim && x(r.xoff) == y(r.yoff)) ++r.xoff, ++r.yoff;
      while (r.xoff < r.xlim && r.yoff < r.ylim && x(r.xlim - 1) == y(r.ylim - 1)) --r.xlim, --r.ylim;
      if (r.xoff == r.xlim) {
        for (Index k = r.yoff; k < r.ylim; ++k) (*ychanged_)[yreal_[static_cast<size_t>(k)]] = 1;
      } else if (r.yoff == r.ylim) {
        for (Index k = r.xoff; k < r.xlim; ++k) (*xchanged_)[xreal_[static_cast<size_t>(k)]] = 1;
      } else {
        Partition p = diag(r.xoff, r.xlim, r.yoff, r.ylim, r.minimal);
        todo.push_back({p.xmid, r.xlim, p.ymid, r.ylim, p.hi_minimal});
        todo.push_back({r.xoff, p.xmid, r.yoff, p.ymid, p.lo_minimal});
      }
    }
  }

 private:
  Index x(Index i) const { return xv_[static_cast<size_t>(i)]; }
  Index y(Index i) const { return yv_[static_cast<size_t>(i)]; }

  // Finds the middle snake of the shortest edit script of the range; when
  // that costs too much, settles for the furthest-reaching diagonal.
  Partition diag(Index xoff, Index xlim, Index yoff, Index ylim, bool find_minimal) {
    Index* const fd = fd_;
    Index* const bd = bd_;
    const Index dmin = xoff - ylim, dmax = xlim - yoff;
    const Index fmid = xoff - yoff, bmid = xlim - ylim;
    Index fmin = fmid, fmax = fmid, bmin = bmid, bmax = bmid;
    const bool odd = ((fmid - bmid) & 1) != 0;
    fd[fmid] = xoff;
    bd[bmid] = xlim;
    for (Index c = 1;; ++c) {
      if (fmin > dmin)
        fd[--fmin - 1] = -1;
      else
        ++fmin;
      if (fmax < dmax)
        fd[++fmax + 1] = -1;
      else
        --fmax;
      for (Index d = fmax; d >= fmin; d -= 2) {
        Index tlo = fd[d - 1], thi = fd[d + 1];
        Index x0 = tlo < thi ? thi : tlo + 1;
        Index xx = x0, yy = x0 - d;
        while (xx < xlim && yy < ylim && x(xx) == y(yy)) ++xx, ++yy;
        fd[d] = xx;
        if (odd && bmin <= d && d <= bmax && bd[d] <= xx) return {xx, yy, true, true};
      }
      if (bmin > dmin)
        bd[--bmin - 1] = kIndexMax;
      else
        ++bmin;
      if (bmax < dmax)
        bd[++bmax + 1] = kIndexMax;
      else
        --bmax;
      for (Index d = bmax; d >= bmin; d -= 2) {
        Index tlo = bd[d - 1], thi = bd[d + 1];
        Index x0 = tlo < thi ? tlo : thi - 1;
        Index xx = x0, yy = x0 - d;
        while (xoff < xx && yoff < yy && x(xx - 1) == y(yy - 1)) --xx, --yy;
        bd[d] = xx;
        if (!odd && fmin <= d && d <= fmax && xx <= fd[d]) return {xx, yy, true, true};
      }
      if (find_minimal || c < too_expensive_) continue;

      Index fxybest = -1, fxbest = 0;
      for (Index d = fmax; d >= fmin; d -= 2) {
        Index xx = std::min(fd[d], xlim), yy = xx - d;
        if (ylim < yy) xx = ylim + d, yy = ylim;
        if (fxybest < xx + yy) fxybest = xx + yy, fxbest = xx;
      }
      Index bxybest = kIndexMax, bxbest = 0;
      for (Index d = bmax; d >= bmin; d -= 2) {
        Index xx = std::max(xoff, bd[d]), yy = xx - d;
        if (yy < yoff) xx = yoff + d, yy = yoff;
        if (xx + yy < bxybest) bxybest = xx + yy, bxbest = xx;
      }
      if ((xlim + ylim) - bxybest < fxybest - (xoff + yoff)) return {fxbest, fxybest - fxbest, true, false};
      return {bxbest, bxybest - bxbest, false, true};
    }
  }

  const std::vector<Index>& xv_;
  const std::vector<Index>& yv_;
  const std::vector<Index>& xreal_;
  const std::vector<Index>& yreal_;
  Flags* xchanged_;
  Flags* ychanged_;
  std::vector<Index> fbuf_, bbuf_;
  Index* fd_ = nullptr;
  Index* bd_ = nullptr;
  Index too_expensive_ = 4096;
};

// Slides each run of changes so that it merges with neighbouring runs, ends
// as late as possible, and then lines up with a run in the other file.
void shift_boundaries(const std::vector<Index> (&equivs)[2], Flags* flags[2]) {
  for (int f = 0; f < 2; ++f) {
    Flags& changed = *flags[f];
    Flags& other = *flags[1 - f];
    auto eq = [&](Index k) { return equivs[f][static_cast<size_t>(k)]; };
    const Index i_end = static_cast<Index>(equivs[f].size());
    Index i = 0, j = 0;
    for (;;) {
      while (i < i_end && !changed[i]) {
        while (other[j++]) {
        }
        ++i;
      }
      if (i == i_end) break;
      Index start = i;
      while (changed[++i]) {
      }
      while (other[j]) ++j;
      Index runlength, corresponding;
      do {
        runlength = i - start;
        while (start != 0 && eq(start - 1) == eq(i - 1)) {
          changed[--start] = 1;
          changed[--i] = 0;
          while (changed[start - 1]) --start;
          while (other[--j]) {
          }
        }
        corresponding = other[j - 1] ? i : i_end;
        while (i != i_end && eq(start) == eq(i)) {
          changed[start++] = 0;
          changed[i++] = 1;
          while (changed[i]) ++i;
          while (other[++j]) corresponding = i;
        }
      } while (runlength != i - start);
      while (corresponding < i) {
        changed[--start] = 1;
        changed[--i] = 0;
        while (other[--j]) {
        }
      }
    }
  }
}

struct Change {
  Index line0, line1, deleted, inserted;  // whole-file line numbers, from 0
};

void append_line(std::string* out, char mark, std::string_view line) {
  *out += mark;
  *out += line;
  if (line.empty() || line.back() != '\n') *out += "\n\\ No newline at end of file\n";
}

void append_range(std::string* out, Index first, Index last) {
  // As diff: 1-based start and a count; an empty range names the line
  // before it; a count of 1 is left out.
  Index a = first + 1, b = last + 1;
  if (b < a)
    *out += std::to_string(b) + ",0";
  else if (b == a)
    *out += std::to_string(b);
  else
    *out += std::to_string(a) + "," + std::to_string(b - a + 1);
}

}  // namespace

std::string unified_diff(std::string_view old_text, std::string_view new_text, std::string_view old_label,
                         std::string_view new_label, int context) {
  if (old_text == new_text) return {};
  if (old_text.find('\0') != std::string_view::npos || new_text.find('\0') != std::string_view::npos)
    return "Binary files " + std::string(old_label) + " and " + std::string(new_label) + " differ\n";
  const Index ctx = std::max(context, 0);
  const Text text[2] = {Text(old_text), Text(new_text)};
  const Window w = find_identical_ends(text[0], text[1], ctx);

  // Equivalence classes of the lines in the window (an incomplete last line
  // keeps its missing newline, so it only equals another incomplete line).
  std::unordered_map<std::string_view, Index> classes;
  std::vector<Index> equivs[2];
  Index next_class = 1;
  for (int f = 0; f < 2; ++f) {
    for (Index k = w.prefix; k < w.end[f]; ++k) {
      auto [it, added] = classes.try_emplace(text[f].lines[static_cast<size_t>(k)], next_class);
      if (added) ++next_class;
      equivs[f].push_back(it->second);
    }
  }
  Flags changed0(static_cast<Index>(equivs[0].size()));
  Flags changed1(static_cast<Index>(equivs[1].size()));
  Flags* changed[2] = {&changed0, &changed1};
  std::vector<Index> kept[2], real[2];
  discard_confusing_lines(equivs, next_class, changed, kept, real);
  Myers(kept[0], kept[1], real[0], real[1], changed[0], changed[1]).compare_all();
  shift_boundaries(equivs, changed);

  std::vector<Change> script;
  for (Index i0 = 0, i1 = 0; i0 < static_cast<Index>(equivs[0].size()) || i1 < static_cast<Index>(equivs[1].size());
       ++i0, ++i1) {
    if (changed0[i0] || changed1[i1]) {
      Index l0 = i0, l1 = i1;
      while (changed0[i0]) ++i0;
      while (changed1[i1]) ++i1;
      script.push_back({w.prefix + l0, w.prefix + l1, i0 - l0, i1 - l1});
    }
  }
  if (script.empty()) return {};  // unreachable: the texts differ

  std::string out;
  out += "--- ";
  out += old_label;
  out += "\n+++ ";
  out += new_label;
  out += '\n';
  const Index n0 = text[0].line_count(), n1 = text[1].line_count();
  for (size_t h = 0; h < script.size();) {
    // A hunk takes every following change that starts less than
    // 2*context+1 unchanged lines after the previous one.
    size_t e = h;
    while (e + 1 < script.size() && script[e + 1].line0 - (script[e].line0 + script[e].deleted) < 2 * ctx + 1) ++e;
    Index first0 = std::max<Index>(script[h].line0 - ctx, 0);
    Index first1 = std::max<Index>(script[h].line1 - ctx, 0);
    Index last0 = std::min(script[e].line0 + script[e].deleted - 1 + ctx, n0 - 1);
    Index last1 = std::min(script[e].line1 + script[e].inserted - 1 + ctx, n1 - 1);
    out += "@@ -";
    append_range(&out, first0, last0);
    out += " +";
    append_range(&out, first1, last1);
    out += " @@\n";
    Index i = first0, j = first1;
    size_t next = h;
    while (i <= last0 || j <= last1) {
      if (next > e || i < script[next].line0) {
        append_line(&out, ' ', text[0].lines[static_cast<size_t>(i++)]);
        ++j;
        continue;
      }
      for (Index k = 0; k < script[next].deleted; ++k) append_line(&out, '-', text[0].lines[static_cast<size_t>(i++)]);
      for (Index k = 0; k < script[next].inserted; ++k) append_line(&out, '+', text[1].lines[static_cast<size_t>(j++)]);
      ++next;
    }
    h = e + 1;
  }
  return out;
}

}  // namespace sc
