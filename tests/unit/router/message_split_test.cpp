#include <doctest/doctest.h>

#include <string>

#include "atlas/router/message_split.hpp"
#include "atlas/utf8.hpp"

using atlas::router::split_message;
using atlas::router::SplitOptions;
using atlas::router::truncate_message;

namespace {

SplitOptions opts(std::size_t size, std::size_t parts = 10, std::string note = "") {
  SplitOptions o;
  o.max_part_size = size;
  o.max_parts = parts;
  o.truncation_note = std::move(note);
  return o;
}

std::string paragraphs(int n, std::size_t each) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    if (i) out += "\n\n";
    out += "P" + std::to_string(i) + " " + std::string(each - 3, 'x');
  }
  return out;
}

}  // namespace

TEST_CASE("router split: short text is one part, unchanged") {
  const auto r = split_message("hello\n\nworld", opts(100));
  REQUIRE(r.parts.size() == 1);
  CHECK(r.parts[0] == "hello\n\nworld");
  CHECK_FALSE(r.truncated);
  CHECK(split_message("", opts(100)).parts.empty());
}

TEST_CASE("router split: long text is cut at paragraph boundaries, every part within the limit") {
  const std::string text = paragraphs(10, 100);  // ~1,018 bytes
  const auto r = split_message(text, opts(250));
  CHECK_FALSE(r.truncated);
  REQUIRE(r.parts.size() == 5);
  std::string joined;
  for (const auto& p : r.parts) {
    CHECK(p.size() <= 250);
    CHECK(p.front() == 'P');  // each part starts at a paragraph
    joined += (joined.empty() ? "" : "\n\n") + p;
  }
  CHECK(joined == text);  // nothing lost, nothing added
}

TEST_CASE("router split: without blank lines it cuts at line ends, then spaces, then anywhere") {
  std::string lines;
  for (int i = 0; i < 20; ++i) lines += "line " + std::to_string(i) + " " + std::string(30, 'y') + "\n";
  for (const auto& p : split_message(lines, opts(120)).parts) {
    CHECK(p.size() <= 120);
    CHECK(p.rfind("line ", 0) == 0);
  }
  const std::string words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu";
  for (const auto& p : split_message(words, opts(20)).parts) {
    CHECK(p.size() <= 20);
    CHECK(p.front() != ' ');
    CHECK(p.back() != ' ');
  }
  const auto hard = split_message(std::string(95, 'z'), opts(30));
  CHECK(hard.parts.size() == 4);
  for (const auto& p : hard.parts) CHECK(p.size() <= 30);
}

TEST_CASE("router split: never cuts inside a UTF-8 sequence") {
  std::string text;
  for (int i = 0; i < 200; ++i) text += "\xE2\x82\xAC";  // 600 bytes of euro signs, no spaces
  const auto r = split_message(text, opts(64));
  std::size_t total = 0;
  for (const auto& p : r.parts) {
    CHECK(p.size() <= 64);
    CHECK_FALSE(atlas::validate_utf8(p));
    total += p.size();
  }
  CHECK(total == text.size());
}

TEST_CASE("router split: a code fence open at a cut is closed and reopened with its language") {
  std::string text = "Intro\n\n```yaml\n";
  for (int i = 0; i < 30; ++i) text += "key" + std::to_string(i) + ": value\n";
  text += "```\n\nOutro";
  const auto r = split_message(text, opts(120));
  REQUIRE(r.parts.size() > 2);
  for (std::size_t i = 0; i < r.parts.size(); ++i) {
    const auto& p = r.parts[i];
    CAPTURE(p);
    CHECK(p.size() <= 120);
    // Every part has balanced fences.
    std::size_t fences = 0;
    for (std::size_t pos = p.find("```"); pos != std::string::npos; pos = p.find("```", pos + 3)) ++fences;
    CHECK(fences % 2 == 0);
  }
  CHECK(r.parts[1].rfind("```yaml\n", 0) == 0);  // reopened in the next part
}

TEST_CASE("router split: past max_parts the rest is dropped and the note added to the last part") {
  const std::string text = paragraphs(20, 100);
  const auto r = split_message(text, opts(250, 3, "(truncated: see task X)"));
  CHECK(r.truncated);
  REQUIRE(r.parts.size() == 3);
  for (const auto& p : r.parts) CHECK(p.size() <= 250);
  CHECK(r.parts.back().size() >= 23);
  CHECK(r.parts.back().substr(r.parts.back().size() - 23) == "(truncated: see task X)");
}

TEST_CASE("router split: a custom cost (escaped size) bounds the measured size, not the bytes") {
  SplitOptions o = opts(100, 20);
  o.cost = [](std::string_view s) {
    std::size_t n = 0;
    for (char c : s) n += c == '<' ? 4 : 1;
    return n;
  };
  const std::string text(300, '<');
  const auto r = split_message(text, o);
  for (const auto& p : r.parts) CHECK(p.size() * 4 <= 100);
  CHECK(r.parts.size() == 13);  // 12 parts of 24 characters (cost 96), then 12 left
}

TEST_CASE("router truncate: text within the limit is untouched - longer text gets the note") {
  CHECK(truncate_message("short", 100, "NOTE") == "short");
  const std::string text = paragraphs(10, 100);
  const auto cut = truncate_message(text, 300, "NOTE");
  CHECK(cut.size() <= 300);
  CHECK(cut.substr(cut.size() - 4) == "NOTE");
  CHECK(cut.rfind("P0 ", 0) == 0);
}
