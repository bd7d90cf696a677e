// The names uxld accepts for a domain (create, rename) and how a qualifier is told apart.
#include "uxl/domain_name.h"

#include <gtest/gtest.h>

namespace {

using namespace uxl;

TEST(DomainName, OrdinaryNamesAreAccepted)
{
    EXPECT_TRUE(check_domain_name("web-1").has_value());
    EXPECT_TRUE(check_domain_name("Domain-1").has_value());
    EXPECT_TRUE(check_domain_name("7up").has_value());
}

TEST(DomainName, EmptyNameIsRefusedWithXlsMessage)
{
    auto r = check_domain_name("");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
    EXPECT_EQ(r.error().message, "Domain name must be specified.");
}

TEST(DomainName, DomainZeroIsTakenAlready)
{
    auto r = check_domain_name("Domain-0");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::already_exists);
}

TEST(DomainName, AllDigitsWouldBeADomid)
{
    EXPECT_FALSE(check_domain_name("42").has_value());
}

TEST(DomainName, BlanksSlashesAndControlCharactersAreRefused)
{
    using namespace std::string_view_literals;
    for (std::string_view name : {"a b"sv, "a/b"sv, "a\tb"sv, "a\0b"sv, "a\x1b" "b"sv})
        EXPECT_FALSE(check_domain_name(name).has_value()) << name;
}

TEST(DomainName, DomidTextIsDigitsOnly)
{
    EXPECT_TRUE(is_domid_text("0"));
    EXPECT_TRUE(is_domid_text("12"));
    EXPECT_FALSE(is_domid_text(""));
    EXPECT_FALSE(is_domid_text("1a"));
    EXPECT_FALSE(is_domid_text("-1"));
}

}  // namespace
