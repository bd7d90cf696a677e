// is_valid_utf8() accepts exactly what JSON readers accept (RFC 3629).
#include "utf8.h"

#include <gtest/gtest.h>

namespace {

using uxl::detail::is_valid_utf8;

TEST(Utf8, AsciiAndWellFormedSequencesAreValid)
{
    EXPECT_TRUE(is_valid_utf8(""));
    EXPECT_TRUE(is_valid_utf8("plain"));
    EXPECT_TRUE(is_valid_utf8("d\xc3\xb6m"));              // U+00F6
    EXPECT_TRUE(is_valid_utf8("\xe2\x82\xac"));            // U+20AC
    EXPECT_TRUE(is_valid_utf8("\xf0\x9f\x98\x80"));        // U+1F600
    EXPECT_TRUE(is_valid_utf8("\xf4\x8f\xbf\xbf"));        // U+10FFFF
    EXPECT_TRUE(is_valid_utf8(std::string_view("a\0b", 3)));
}

TEST(Utf8, StrayAndTruncatedBytesAreInvalid)
{
    EXPECT_FALSE(is_valid_utf8("caf\xe9"));                // Latin-1
    EXPECT_FALSE(is_valid_utf8("\x80"));                   // a lone continuation byte
    EXPECT_FALSE(is_valid_utf8("\xc3"));                   // truncated
    EXPECT_FALSE(is_valid_utf8("\xe2\x82"));               // truncated
    EXPECT_FALSE(is_valid_utf8("\xff"));
}

TEST(Utf8, OverlongsSurrogatesAndBeyondUnicodeAreInvalid)
{
    EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));               // overlong '/'
    EXPECT_FALSE(is_valid_utf8("\xe0\x80\xaf"));           // overlong '/'
    EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));           // U+D800
    EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));       // U+110000
    EXPECT_FALSE(is_valid_utf8("\xf5\x80\x80\x80"));
}

}  // namespace
