/* Hybrid logical clock: monotonic whatever the wall clock does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "error.h"
#include "hlc.h"
#include "store.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

static void test_next_follows_wall_clock(void **state)
{
	(void)state;
	uint64_t h = cts_hlc_next(0, 1000);
	assert_int_equal(CTS_HLC_MS(h), 1000);
	assert_int_equal(h & 0xffff, 0);
	uint64_t h2 = cts_hlc_next(h, 1000); /* same ms: counter */
	assert_int_equal(h2, h + 1);
	uint64_t h3 = cts_hlc_next(h2, 2000);
	assert_int_equal(CTS_HLC_MS(h3), 2000);
}

static void test_wall_clock_backwards_never_decreases(void **state)
{
	(void)state;
	uint64_t last = 0;
	/* A wall clock that jumps around, including far backwards. */
	const uint64_t walls[] = { 5000, 5000, 4000, 1, 6000, 3000, 3000, 0, 7000, 100 };
	for (size_t i = 0; i < sizeof(walls) / sizeof(walls[0]); i++) {
		uint64_t h = cts_hlc_next(last, walls[i]);
		assert_true(h > last);
		last = h;
	}
	assert_true(CTS_HLC_MS(last) >= 7000);
}

static void test_recv_advances(void **state)
{
	(void)state;
	assert_int_equal(cts_hlc_recv(10, 20), 20);
	assert_int_equal(cts_hlc_recv(30, 20), 30);
	/* After receiving a remote stamp, the next local one is above it. */
	uint64_t after = cts_hlc_next(cts_hlc_recv(5, CTS_HLC_FROM_MS(9000) + 7), 1000);
	assert_true(after > CTS_HLC_FROM_MS(9000) + 7);
}

static void test_format_parse(void **state)
{
	(void)state;
	char buf[17];
	uint64_t v;
	cts_hlc_format(0x0193a1b2c3d40001ull, buf);
	assert_string_equal(buf, "0193a1b2c3d40001");
	assert_int_equal(cts_hlc_parse(&v, buf), 0);
	assert_true(v == 0x0193a1b2c3d40001ull);
	assert_int_equal(cts_hlc_parse(&v, "0193A1B2C3D40001"), CTS_EINVAL);
	assert_int_equal(cts_hlc_parse(&v, "0193a1b2c3d4000"), CTS_EINVAL);
	assert_int_equal(cts_hlc_parse(&v, "0193a1b2c3d400012"), CTS_EINVAL);
	assert_int_equal(cts_hlc_parse(&v, NULL), CTS_EINVAL);
}

/* The persisted clock of a store, with an injected wall clock. */
static uint64_t fake_now;
static uint64_t fake_clock(void *ctx)
{
	(void)ctx;
	return fake_now;
}

static void test_store_clock_persisted_and_monotonic(void **state)
{
	(void)state;
	char *dir = tu_tmpdir(), *db = tu_path(dir, "node.db");
	cts_store *st = NULL;
	uint64_t a, b, c;

	assert_int_equal(cts_store_open(&st, db, 1), 0);
	st->clock = fake_clock;
	fake_now = 1700000000000ull;
	assert_int_equal(cts_store_begin(st), 0);
	assert_int_equal(cts_store_hlc_next(st, &a), 0);
	assert_int_equal(cts_store_commit(st), 0);
	cts_store_free(st);

	/* Reopen with the wall clock set back one hour. */
	assert_int_equal(cts_store_open(&st, db, 0), 0);
	st->clock = fake_clock;
	fake_now -= 3600 * 1000;
	assert_int_equal(cts_store_begin(st), 0);
	assert_int_equal(cts_store_hlc_next(st, &b), 0);
	assert_true(b > a);
	/* A remote stamp far ahead pulls the clock forward. */
	assert_int_equal(cts_store_hlc_observe(st, CTS_HLC_FROM_MS(fake_now + 10 * 3600 * 1000)),
	                 0);
	assert_int_equal(cts_store_hlc_next(st, &c), 0);
	assert_true(c > CTS_HLC_FROM_MS(fake_now + 10 * 3600 * 1000));
	assert_int_equal(cts_store_commit(st), 0);
	cts_store_free(st);
	tu_rmtree(dir);
	free(db);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_next_follows_wall_clock),
		cmocka_unit_test(test_wall_clock_backwards_never_decreases),
		cmocka_unit_test(test_recv_advances),
		cmocka_unit_test(test_format_parse),
		cmocka_unit_test(test_store_clock_persisted_and_monotonic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
