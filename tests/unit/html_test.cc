#include "extract/html.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace gfi {
namespace {

constexpr size_t kBig = 8u << 20;

bool HasUrl(const HtmlContent& c, const std::string& url) {
  return std::find(c.urls.begin(), c.urls.end(), url) != c.urls.end();
}

}  // namespace

TEST_CASE("html: href entities are decoded by the parser") {
  HtmlContent c = ExtractHtml(
      "<a href=\"https://www.google.com/url?q=http://hidden.example/x&amp;sa=D\">x</a>"
      "<a href='http://&#101;vil.example/&#x61;'>y</a>",
      kBig);
  CHECK(HasUrl(c, "https://www.google.com/url?q=http://hidden.example/x&sa=D"));
  CHECK(HasUrl(c, "http://evil.example/a"));
  CHECK_FALSE(c.truncated);
}

TEST_CASE("html: every URL-bearing attribute is read, relative references are not") {
  HtmlContent c = ExtractHtml(
      "<img src=http://img.example/1.png>"
      "<form action=\"https://post.example/submit\"><button formaction=\"//fa.example/x\">"
      "</button></form>"
      "<table background=\"http://bg.example/b.gif\"><tr><td>t</td></tr></table>"
      "<video poster=\"http://poster.example/p.jpg\"></video>"
      "<object data=\"http://obj.example/o.swf\"></object>"
      "<blockquote cite=\"http://cite.example/\">q</blockquote>"
      "<img longdesc=\"http://longdesc.example/\">"
      "<a href=\"/relative/path\">r</a><a href=\"page.html\">p</a><a href=\"#top\">t</a>"
      "<a href=\"mailto:x@mail.example\">m</a><img src=\"cid:image001.png@01D\">"
      "<a href=\"javascript:window.location='http://js.example/go'\">j</a>",
      kBig);
  CHECK(HasUrl(c, "http://img.example/1.png"));
  CHECK(HasUrl(c, "https://post.example/submit"));
  CHECK(HasUrl(c, "//fa.example/x"));
  CHECK(HasUrl(c, "http://bg.example/b.gif"));
  CHECK(HasUrl(c, "http://poster.example/p.jpg"));
  CHECK(HasUrl(c, "http://obj.example/o.swf"));
  CHECK(HasUrl(c, "http://cite.example/"));
  CHECK(HasUrl(c, "http://longdesc.example/"));
  CHECK(HasUrl(c, "http://js.example/go"));
  CHECK(c.urls.size() == 9);
}

TEST_CASE("html: <base href> makes relative references absolute") {
  HtmlContent c = ExtractHtml(
      "<head><base href=\"https://evil.example/kit/index.html\"></head>"
      "<a href=\"login.php\">a</a><a href=\"/root\">b</a><a href=\"?q=1\">c</a>",
      kBig);
  CHECK(HasUrl(c, "https://evil.example/kit/login.php"));
  CHECK(HasUrl(c, "https://evil.example/root"));
  CHECK(HasUrl(c, "https://evil.example/kit/index.html?q=1"));
}

TEST_CASE("html: meta refresh") {
  HtmlContent c = ExtractHtml(
      "<html><head><meta http-equiv=\"Refresh\" content=\"0; URL='http://refresh.example/x'\">"
      "</head><body>hi</body></html>",
      kBig);
  CHECK(HasUrl(c, "http://refresh.example/x"));
  HtmlContent d = ExtractHtml("<meta http-equiv=refresh content=\"5;url=http://r2.example/\">", kBig);
  CHECK(HasUrl(d, "http://r2.example/"));
  HtmlContent e = ExtractHtml("<meta name=description content=\"http://not-refresh.example/\">",
                              kBig);
  CHECK(e.urls.empty());
}

TEST_CASE("html: srcset is split into its candidates") {
  HtmlContent c = ExtractHtml(
      "<img srcset=\"http://a.example/1.jpg 1x, http://b.example/2.jpg 2x,"
      "http://c.example/3,4.jpg 640w\">",
      kBig);
  CHECK(HasUrl(c, "http://a.example/1.jpg"));
  CHECK(HasUrl(c, "http://b.example/2.jpg"));
  CHECK(HasUrl(c, "http://c.example/3,4.jpg"));
  CHECK(c.urls.size() == 3);
}

TEST_CASE("html: url() in style attributes and style elements") {
  HtmlContent c = ExtractHtml(
      "<style>td { background: url('http://css.example/a.png') }</style>"
      "<div style=\"background-image:URL( http://inline.example/b.png )\">x</div>",
      kBig);
  CHECK(HasUrl(c, "http://css.example/a.png"));
  CHECK(HasUrl(c, "http://inline.example/b.png"));
  CHECK(c.text == "x");
}

TEST_CASE("html: visible text excludes script, style, head; white space collapsed") {
  HtmlContent c = ExtractHtml(
      "<html><head><title>Title here</title><style>a{}</style>"
      "<script>var u=\"http://in-script.example/\";</script></head>"
      "<body><p>Caf&eacute;   visible\n\ttext&nbsp;&nbsp;here</p><script>hidden()</script>"
      "<div>next&amp;block</div><!-- a comment --><p>www.visible.example</p></body></html>",
      kBig);
  CHECK(c.text == "Café visible text here next&block www.visible.example");
  CHECK(c.text.find("in-script") == std::string::npos);
  CHECK(c.text.find("Title") == std::string::npos);
  CHECK(c.urls.empty());  // URLs in scripts are not attribute URLs
}

TEST_CASE("html: inline elements do not split words, blocks and breaks do") {
  HtmlContent c = ExtractHtml("<p>pay<b>pal</b>.com</p><p>a<br>b</p><td>c</td>", kBig);
  CHECK(c.text == "paypal.com a b c");
}

TEST_CASE("html: broken markup is read as a browser reads it") {
  HtmlContent c = ExtractHtml(
      "<div><a href=http://unquoted.example/x>one<p>two</div></a><b><i>three</b></i>"
      "<a href=\"http://unterminated.example/", kBig);
  CHECK(HasUrl(c, "http://unquoted.example/x"));
  CHECK_FALSE(HasUrl(c, "http://unterminated.example/"));  // EOF inside a tag: no tag
  CHECK(c.text == "one two three");
  HtmlContent d = ExtractHtml("<a href=\"http://a.example/\" href=\"http://dup.example/\">x", kBig);
  CHECK(d.urls == std::vector<std::string>{"http://a.example/"});  // first attribute wins
}

TEST_CASE("html: input beyond max_bytes is not parsed and is reported") {
  std::string html = "<a href=\"http://in.example/\">in</a>";
  const size_t limit = html.size();
  html += "<a href=\"http://out.example/\">out</a>";
  HtmlContent c = ExtractHtml(html, limit);
  CHECK(c.truncated);
  CHECK(HasUrl(c, "http://in.example/"));
  CHECK_FALSE(HasUrl(c, "http://out.example/"));
  CHECK(c.text == "in");
  HtmlContent whole = ExtractHtml(html, html.size());
  CHECK_FALSE(whole.truncated);
  CHECK(HasUrl(whole, "http://out.example/"));
  // A cut inside a UTF-8 character backs off to the character boundary.
  HtmlContent utf = ExtractHtml("ab\xC3\xA9", 3);
  CHECK(utf.truncated);
  CHECK(utf.text == "ab");
}

TEST_CASE("html: deep nesting is bounded and what is inside is still read") {
  std::string html;
  for (int i = 0; i < 200000; ++i) html += "<div>";
  html += "<a href=\"http://deep.example/\">deep text</a>";
  HtmlContent c = ExtractHtml(html, kBig);
  CHECK(HasUrl(c, "http://deep.example/"));
  CHECK(c.text == "deep text");

  // Formatting elements that gumbo re-opens after each paragraph.
  std::string fmt;
  for (int i = 0; i < 50000; ++i) fmt += "<p><b id=" + std::to_string(i) + "></p>x";
  fmt += "<a href=\"http://after-fmt.example/\">end</a>";
  HtmlContent f = ExtractHtml(fmt, kBig);
  CHECK(HasUrl(f, "http://after-fmt.example/"));
  CHECK(f.text.size() > 50000);

  // Misnested end tags that gumbo ignores must not fool the guard.
  std::string mis;
  for (int i = 0; i < 100000; ++i) mis += "<span><div></span>";
  mis += "<img src=\"http://after-mis.example/\">";
  CHECK(HasUrl(ExtractHtml(mis, kBig), "http://after-mis.example/"));

  // SVG: "void" HTML names nest there.
  std::string svg = "<svg>";
  for (int i = 0; i < 100000; ++i) svg += "<input>";
  svg += "<a href=\"http://after-svg.example/\">s</a>";
  CHECK(HasUrl(ExtractHtml(svg, kBig), "http://after-svg.example/"));
}

TEST_CASE("html: ordinary documents with many unclosed p, li, td keep their structure") {
  std::string html = "<table>";
  for (int i = 0; i < 1000; ++i) html += "<tr><td>c" + std::to_string(i) + "<td><p>p<li>l";
  html += "</table><p><a href=\"http://last.example/\">last</a>";
  HtmlContent c = ExtractHtml(html, kBig);
  CHECK(HasUrl(c, "http://last.example/"));
  CHECK(c.text.find("c999 p l last") != std::string::npos);
}

TEST_CASE("html: many attributes on one tag are bounded") {
  std::string html = "<a";
  for (int i = 0; i < 200000; ++i) html += " a" + std::to_string(i);
  html += " href=\"http://late-attr.example/\">x</a><img src=\"http://next.example/\">";
  HtmlContent c = ExtractHtml(html, kBig);
  CHECK_FALSE(HasUrl(c, "http://late-attr.example/"));  // past the attribute limit
  CHECK(HasUrl(c, "http://next.example/"));
  CHECK(c.text == "x");
}

TEST_CASE("html: raw text elements and comments hide tags from the guard as from gumbo") {
  HtmlContent c = ExtractHtml(
      "<textarea><a href=\"http://in-textarea.example/\"></textarea>"
      "<!--><a href=\"http://after-empty-comment.example/\">a</a>"
      "<!-- <a href=\"http://in-comment.example/\"> -->"
      "<title><a href=\"http://in-title.example/\"></title>",
      kBig);
  CHECK_FALSE(HasUrl(c, "http://in-textarea.example/"));
  CHECK(HasUrl(c, "http://after-empty-comment.example/"));
  CHECK_FALSE(HasUrl(c, "http://in-comment.example/"));
  CHECK_FALSE(HasUrl(c, "http://in-title.example/"));
  CHECK(c.text.find("<a href=\"http://in-textarea.example/\">") != std::string::npos);
}

TEST_CASE("html: input that aborts gumbo 0.10.1 by itself is defused") {
  // On its own this makes gumbo fail an assert() (abort() in the packaged build).
  HtmlContent c = ExtractHtml(
      "<table><td><svg><select><foreignObject><table><table>"
      "<a href=\"http://after-abort.example/\">ok</a>",
      kBig);
  CHECK(HasUrl(c, "http://after-abort.example/"));
  CHECK(c.text.find("ok") != std::string::npos);
}

TEST_CASE("html: SVG links are read") {
  HtmlContent c = ExtractHtml(
      "<svg><a xlink:href=\"http://svg-link.example/\"><text>t</text></a>"
      "<image href=\"http://svg-image.example/i.png\"/></svg>",
      kBig);
  CHECK(HasUrl(c, "http://svg-link.example/"));
  CHECK(HasUrl(c, "http://svg-image.example/i.png"));
}

TEST_CASE("html: empty and non-HTML input") {
  HtmlContent c = ExtractHtml("", kBig);
  CHECK(c.urls.empty());
  CHECK(c.text.empty());
  CHECK_FALSE(c.truncated);
  HtmlContent d = ExtractHtml(std::string("plain \0 text \xFF", 15), kBig);
  CHECK(d.text.find("plain") == 0);
}

TEST_CASE("html: tabs and newlines inside a URL attribute are removed, as browsers do") {
  HtmlContent c = ExtractHtml(
      "<a href=\"ht&#10;tp://evil.example/a\">a</a><a href='http://ev&#9;il.example/b'>b</a>"
      "<a href=\"https://evil\n.example/c\">c</a><img src=\"\n  ht\r\ntps://evil.example/d\">",
      kBig);
  CHECK(HasUrl(c, "http://evil.example/a"));
  CHECK(HasUrl(c, "http://evil.example/b"));
  CHECK(HasUrl(c, "https://evil.example/c"));
  CHECK(HasUrl(c, "https://evil.example/d"));
}

TEST_CASE("html: a <base href> after the links still applies to them, the first one wins") {
  HtmlContent c = ExtractHtml(
      "<a href=\"login.php\">a</a><a href=\"/root\">b</a>"
      "<base href=\"https://evil.example/kit/\"><base href=\"https://other.example/\">"
      "<a href=\"after\">c</a>",
      kBig);
  CHECK(HasUrl(c, "https://evil.example/kit/login.php"));
  CHECK(HasUrl(c, "https://evil.example/root"));
  CHECK(HasUrl(c, "https://evil.example/kit/after"));
  CHECK_FALSE(HasUrl(c, "https://other.example/after"));
  CHECK_FALSE(HasUrl(c, "https://other.example/login.php"));
  HtmlContent tabbed =
      ExtractHtml("<a href=x>x</a><base href=\"ht&#9;tps://evil.example/\">", kBig);
  CHECK(HasUrl(tabbed, "https://evil.example/x"));
}

}  // namespace gfi
