// RespParser (tools/resp/resp_parser.h): whole requests, pipelines, a stream split at every byte
// (and moved in memory between calls), inline commands, and every limit and malformed header.

#include "tools/resp/resp_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace statelab::resp {
namespace {

using Command = std::vector<std::string>;

std::string Encode(const Command& c) {
  std::string s = "*" + std::to_string(c.size()) + "\r\n";
  for (const std::string& a : c) s += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return s;
}

// Parses a complete stream; the commands, or the error text as a one-element "ERROR:" command.
std::vector<Command> ParseAll(std::string_view stream, const RespLimits& limits = {}) {
  RespParser p(limits);
  std::vector<Command> out;
  while (!stream.empty()) {
    const ParseOutcome r = p.Parse(stream);
    if (r == ParseOutcome::kNeedMore) break;
    if (r == ParseOutcome::kError) {
      out.push_back({"ERROR:" + std::string(p.error())});
      break;
    }
    out.emplace_back(p.args().begin(), p.args().end());
    stream.remove_prefix(p.consumed());
  }
  return out;
}

TEST(RespParser, ArrayOfBulkStrings) {
  RespParser p;
  const std::string req = Encode({"SET", "key", "va\r\nlue"});
  ASSERT_EQ(p.Parse(req), ParseOutcome::kCommand);
  ASSERT_EQ(p.args().size(), 3u);
  EXPECT_EQ(p.args()[0], "SET");
  EXPECT_EQ(p.args()[2], "va\r\nlue");
  EXPECT_EQ(p.consumed(), req.size());
  // Zero-copy: the arguments point into the caller's buffer.
  EXPECT_EQ(p.args()[1].data(), req.data() + req.find("key"));
}

TEST(RespParser, PipelineAndInlineAndEmpty) {
  const std::string stream = Encode({"PING"}) + "SET  a\tb \r\n" + "*0\r\n" + "\r\n" +
                             Encode({"GET", ""}) + "ECHO x\n";
  const std::vector<Command> want = {{"PING"}, {"SET", "a", "b"}, {}, {}, {"GET", ""}, {"ECHO", "x"}};
  EXPECT_EQ(ParseAll(stream), want);
}

// Inline requests split as Redis's sdssplitargs: quotes group words, "..." decodes C escapes,
// a closing quote must end its word, a NUL ends the line.
TEST(RespParser, InlineQuotes) {
  EXPECT_EQ(ParseAll("SET \"a b\" 'c d'\r\n"), (std::vector<Command>{{"SET", "a b", "c d"}}));
  EXPECT_EQ(ParseAll("ECHO \"x\\n\\x41\\\"\" 'it\\'s' \"\"\r\n"),
            (std::vector<Command>{{"ECHO", "x\nA\"", "it's", ""}}));
  EXPECT_EQ(ParseAll("GET a\"b c\"\r\n"), (std::vector<Command>{{"GET", "ab c"}}));
  EXPECT_EQ(ParseAll(std::string("PING\0x\r\n", 8)), (std::vector<Command>{{"PING"}}));
  const Command unbalanced = {"ERROR:Protocol error: unbalanced quotes in request"};
  EXPECT_EQ(ParseAll("set \"\"\"test-key\"\"\" v\r\n"), std::vector<Command>{unbalanced});
  EXPECT_EQ(ParseAll("set \"open\r\n"), std::vector<Command>{unbalanced});
  EXPECT_EQ(ParseAll("set 'open\r\n"), std::vector<Command>{unbalanced});
}

// Feeds the stream one more byte at a time (each call with a fresh copy, so any pointer kept
// from an earlier call would dangle): the same commands come out as from one whole buffer.
TEST(RespParser, SplitAtEveryByte) {
  std::string stream;
  std::vector<Command> want;
  for (const Command& c : std::vector<Command>{{"SET", "k", std::string(300, 'v')},
                                               {"MSET", "a", "1", "b", ""},
                                               {"GET", "k\r\n"},
                                               {"INCRBY", "counter", "-12"}}) {
    stream += Encode(c);
    want.push_back(c);
  }
  stream += "PING hello\r\n";
  want.push_back({"PING", "hello"});
  RespParser p;
  std::vector<Command> got;
  size_t start = 0;
  for (size_t end = start + 1; end <= stream.size(); ++end) {
    const std::string copy = stream.substr(start, end - start);
    const ParseOutcome r = p.Parse(copy);
    ASSERT_NE(r, ParseOutcome::kError) << p.error() << " at byte " << end;
    if (r == ParseOutcome::kCommand) {
      EXPECT_EQ(p.consumed(), copy.size()) << "a command completes on its last byte";
      got.emplace_back(p.args().begin(), p.args().end());
      start = end;
    }
  }
  EXPECT_EQ(got, want);
  EXPECT_EQ(start, stream.size());
}

TEST(RespParser, Limits) {
  RespLimits limits;
  limits.max_bulk_bytes = 10;
  limits.max_args = 3;
  limits.max_inline_bytes = 16;
  limits.max_request_bytes = 40;
  EXPECT_EQ(ParseAll(Encode({"SET", "k", "0123456789"}), limits).size(), 1u);
  EXPECT_EQ(ParseAll(Encode({"SET", "k", "0123456789x"}), limits),
            std::vector<Command>{{"ERROR:Protocol error: invalid bulk length"}});
  EXPECT_EQ(ParseAll(Encode({"DEL", "a", "b", "c"}), limits),
            std::vector<Command>{{"ERROR:Protocol error: invalid multibulk length"}});
  EXPECT_EQ(ParseAll("PING 0123456789abcdef\r\n", limits),
            std::vector<Command>{{"ERROR:Protocol error: too big inline request"}});
  // No newline yet, but already past the limit: refused without waiting for the rest.
  EXPECT_EQ(ParseAll(std::string(17, 'x'), limits),
            std::vector<Command>{{"ERROR:Protocol error: too big inline request"}});
  EXPECT_EQ(ParseAll(Encode({"SET", "0123456789", "0123456789"}), limits),
            std::vector<Command>{{"ERROR:Protocol error: request too large"}});
  EXPECT_EQ(ParseAll("PING a b c\r\n", limits),
            std::vector<Command>{{"ERROR:Protocol error: invalid multibulk length"}});
  // A hostile length is refused on its header, before any of its bytes arrive.
  RespParser p(limits);
  EXPECT_EQ(p.Parse("*1\r\n$99999999999\r\n"), ParseOutcome::kError);
}

TEST(RespParser, MalformedHeaders) {
  const std::string bulk = "ERROR:Protocol error: invalid bulk length";
  const std::string multi = "ERROR:Protocol error: invalid multibulk length";
  EXPECT_EQ(ParseAll("*x\r\n"), std::vector<Command>{{multi}});
  EXPECT_EQ(ParseAll("*1 \r\n"), std::vector<Command>{{multi}});
  EXPECT_EQ(ParseAll("*99999999999999999999\r\n"), std::vector<Command>{{multi}});
  EXPECT_EQ(ParseAll("*1\r\n$-1\r\n"), std::vector<Command>{{bulk}});
  EXPECT_EQ(ParseAll("*1\r\n$\r\n"), std::vector<Command>{{bulk}});
  EXPECT_EQ(ParseAll("*1\r\n$+3\r\nabc\r\n"), std::vector<Command>{{bulk}});
  EXPECT_EQ(ParseAll("*1\r\n:3\r\n"), std::vector<Command>{{"ERROR:Protocol error: expected '$', got ':'"}});
  EXPECT_EQ(ParseAll("*1\r\n$3\r\nabcX\r\n"),
            std::vector<Command>{{"ERROR:Protocol error: bulk string not terminated by CRLF"}});
  EXPECT_EQ(ParseAll("*1\r\n$3" + std::string(40, '1')), std::vector<Command>{{bulk}});
  EXPECT_EQ(ParseAll("*" + std::string(40, '1')), std::vector<Command>{{multi}});
  // "*-1" (a null array) is an empty request, as in Redis.
  EXPECT_EQ(ParseAll("*-1\r\n"), std::vector<Command>{{}});
  // Incomplete input is never an error.
  RespParser p;
  EXPECT_EQ(p.Parse("*2\r\n$3\r\nGET\r\n$1\r\n"), ParseOutcome::kNeedMore);
  EXPECT_EQ(p.Parse("*2\r\n$3\r\nGET\r\n$1\r\nk\r"), ParseOutcome::kNeedMore);
  EXPECT_EQ(p.Parse("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"), ParseOutcome::kCommand);
}

}  // namespace
}  // namespace statelab::resp
