#include <doctest/doctest.h>

#include "atlas/router/form_decode.hpp"

using atlas::router::decode_form;
using atlas::router::form_unescape;

TEST_CASE("router form: + is a space and %XX a byte, in names and values") {
  CHECK(form_unescape("a+b") == "a b");
  CHECK(form_unescape("%2Fatlas") == "/atlas");
  CHECK(form_unescape("%2fatlas") == "/atlas");
  CHECK(form_unescape("100%25") == "100%");
  CHECK(form_unescape("%2B") == "+");
  CHECK(form_unescape("caf%C3%A9") == "caf\xC3\xA9");
  CHECK(form_unescape("") == "");
  CHECK(form_unescape("%00") == std::string(1, '\0'));

  const auto r = decode_form("command=%2Fatlas&text=design+a+CI%2BCD+pipeline&a+b=c%26d");
  REQUIRE(r.ok());
  CHECK(r.form.value("command") == "/atlas");
  CHECK(r.form.value("text") == "design a CI+CD pipeline");
  CHECK(r.form.value("a b") == "c&d");
  CHECK(r.form.fields.size() == 3);
}

TEST_CASE("router form: malformed %-escapes are rejected, naming the field") {
  for (std::string_view bad : {"%", "%2", "%zz", "%2g", "abc%", "a%-1"}) {
    CAPTURE(bad);
    CHECK_FALSE(form_unescape(bad).has_value());
  }
  const auto r = decode_form("command=%2Fatlas&text=50%&x=1");
  CHECK_FALSE(r.ok());
  CHECK(r.error == "malformed %-escape in form field 2");
  CHECK(r.form.fields.empty());
  CHECK_FALSE(decode_form("%zz=1").ok());
}

TEST_CASE("router form: empty fields are skipped, missing '=' means an empty value, duplicates kept") {
  const auto r = decode_form("&a=1&&b&c=&a=2&");
  REQUIRE(r.ok());
  REQUIRE(r.form.fields.size() == 4);
  CHECK(r.form.get("a") == std::optional<std::string_view>("1"));  // the first wins
  CHECK(r.form.get("b") == std::optional<std::string_view>(""));
  CHECK(r.form.get("c") == std::optional<std::string_view>(""));
  CHECK_FALSE(r.form.get("d").has_value());
  CHECK(r.form.value("d").empty());
  CHECK(r.form.fields[3] == std::pair<std::string, std::string>("a", "2"));
  CHECK(decode_form("").ok());
  CHECK(decode_form("").form.fields.empty());
  // Only the first '=' splits.
  CHECK(decode_form("k=a=b").form.value("k") == "a=b");
}
