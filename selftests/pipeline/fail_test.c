// SPDX-License-Identifier: GPL-2.0
/*
 * A test that fails on purpose, never part of the suite: the pipeline's own
 * check runs it to prove that a failing test fails the whole run.
 */
#include "kselftest_harness.h"

TEST(passes)
{
	ASSERT_EQ(2, 1 + 1);
}

TEST(fails_on_purpose)
{
	ASSERT_EQ(3, 1 + 1);
}

TEST_HARNESS_MAIN
