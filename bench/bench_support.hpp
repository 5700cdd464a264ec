// Helpers shared by the benchmarks in bench/ (rag_bench, router_bench,
// worker_bench): command-line flags, number formatting, percentiles, the load
// average, Markdown tables and rewriting one "## ..." section of
// docs/benchmarks.md.
//
// Header-only on purpose: bench/CMakeLists.txt turns every bench/*.cpp into
// an executable of its own, so a shared .cpp would become a (broken)
// benchmark. Everything here is `inline`.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace atlas::bench {

// ---- command line ---------------------------------------------------------------

// Walks argv one flag at a time:
//
//   Args args(argc, argv);
//   while (args.next()) {
//     if (args.flag() == "--tasks") o.tasks = std::stoul(args.value());
//     else if (args.flag() == "--no-write") o.write = false;
//     else args.reject();
//   }
//
// value() consumes the word after the flag; both it and reject() throw
// std::invalid_argument, which the benchmarks print as a usage error.
class Args {
 public:
  Args(int argc, char** argv) : argc_(argc), argv_(argv) {}

  // Moves to the next flag; false once all are read.
  bool next() {
    if (++i_ >= argc_) return false;
    flag_ = argv_[i_];
    return true;
  }
  [[nodiscard]] const std::string& flag() const { return flag_; }

  // The value of the current flag (the next word), e.g. "100" of "--tasks 100".
  std::string value() {
    if (i_ + 1 >= argc_) throw std::invalid_argument(flag_ + " needs a value");
    return argv_[++i_];
  }

  [[noreturn]] void reject() const { throw std::invalid_argument("unknown argument " + flag_); }

 private:
  int argc_;
  char** argv_;
  int i_ = 0;  // argv[0] is the program
  std::string flag_;
};

// ---- numbers ------------------------------------------------------------------

// `x` with exactly `digits` decimals ("12.30").
inline std::string fixed(double x, int digits) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << x;
  return s.str();
}

// The p-th percentile (p from 0 to 100) of `values`, in any order, linearly
// interpolated between the two nearest ranks; 0 for no values.
inline double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double rank = p / 100.0 * double(values.size() - 1);
  const auto lo = std::size_t(std::floor(rank));
  const auto hi = std::size_t(std::ceil(rank));
  return values[lo] + (values[hi] - values[lo]) * (rank - double(lo));
}

// ---- the machine ----------------------------------------------------------------

// The whole file at `path` ("" when it cannot be read).
inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The 1-minute load average as /proc/loadavg writes it ("1.37"), or
// "unknown". Other work on the machine skews every figure, so each report
// says how busy it was.
inline std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one;
  in >> one;
  return one.empty() ? "unknown" : one;
}

// The same as a number (0 when unknown).
inline double load_average_value() {
  std::ifstream in("/proc/loadavg");
  double one = 0;
  in >> one;
  return one;
}

// ---- Markdown ---------------------------------------------------------------------

// One table row: "| a | b | c |\n".
inline std::string table_row(const std::vector<std::string>& cells) {
  std::string row = "|";
  for (const std::string& cell : cells) row += " " + cell + " |";
  return row + "\n";
}

// A table's header row and its separator: "| a | b |\n|---|---|\n".
inline std::string table_header(const std::vector<std::string>& columns) {
  std::string separator = "|";
  for (std::size_t i = 0; i < columns.size(); ++i) separator += "---|";
  return table_row(columns) + separator + "\n";
}

// Replaces the section of the Markdown file `path` whose heading starts with
// `heading` (e.g. "## Router"), at the start of a line, up to the next "## "
// heading or the end, with `section`; appends `section` when there is no such
// heading, and creates the file with a title when it is missing or empty.
// Other sections belong to other benchmarks and stay byte for byte as they
// are, including the blank line before the section that follows. The file is
// read just before it is written (a section another benchmark wrote meanwhile
// is kept) and replaced by a rename, so a reader never sees half of it.
inline void write_section(const std::string& path, const std::string& heading,
                          const std::string& section) {
  std::string text = read_file(path);
  if (text.empty()) {
    text = "# Benchmarks\n\nResults of the programs in `bench/`, run by hand on the development "
           "machine (2 shared cores). Each section is rewritten by its benchmark.\n";
  }
  std::size_t start = std::string::npos;
  for (std::size_t at = text.find(heading); at != std::string::npos;
       at = text.find(heading, at + 1)) {
    if (at == 0 || text[at - 1] == '\n') {
      start = at;
      break;
    }
  }
  if (start == std::string::npos) {
    if (text.back() != '\n') text += '\n';
    text += "\n" + section;
  } else {
    std::size_t end = text.find("\n## ", start + heading.size());
    end = end == std::string::npos ? text.size() : end + 1;
    std::string replacement = section;
    if (end < text.size() && !replacement.empty() && replacement.back() == '\n') {
      replacement += '\n';  // the blank line before the next section
    }
    text.replace(start, end - start, replacement);
  }
  const std::string tmp = path + "." + std::to_string(::getpid()) + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace atlas::bench
