// xl's parse_mem_size_kb(): no suffix is MiB, one suffix at most, case blind.
#include "uxl/memory_size.h"

#include <gtest/gtest.h>

namespace {

using uxl::parse_mem_size_kb;

TEST(MemorySize, SuffixesAndTheMiBDefault)
{
    EXPECT_EQ(parse_mem_size_kb("64"), 65536);
    EXPECT_EQ(parse_mem_size_kb("64m"), 65536);
    EXPECT_EQ(parse_mem_size_kb("64M"), 65536);
    EXPECT_EQ(parse_mem_size_kb("512k"), 512);
    EXPECT_EQ(parse_mem_size_kb("1g"), 1048576);
    EXPECT_EQ(parse_mem_size_kb("1T"), 1073741824);
    EXPECT_EQ(parse_mem_size_kb("4096b"), 4);
    EXPECT_EQ(parse_mem_size_kb("1000b"), 0);  // bytes are shifted down, as xl does
}

TEST(MemorySize, WhatXlRefusesAndWhatItLetsThrough)
{
    EXPECT_FALSE(parse_mem_size_kb("64MB").has_value());
    EXPECT_FALSE(parse_mem_size_kb("64x").has_value());
    EXPECT_FALSE(parse_mem_size_kb("12 m").has_value());
    EXPECT_EQ(parse_mem_size_kb(" 8"), 8192);    // strtoll skips leading blanks
    EXPECT_EQ(parse_mem_size_kb("-8"), -8192);   // the caller refuses it
    EXPECT_EQ(parse_mem_size_kb("m"), 0);        // no digits: 0, as strtoll gives
    EXPECT_EQ(parse_mem_size_kb(""), 0);
}

}  // namespace
