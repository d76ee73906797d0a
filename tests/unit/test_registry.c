/* Reads of the registry table (registry.h), through an authority node that
 * enrols and revokes a territory node, and the texts region.c builds on
 * them (allowed_signers, the readable registry). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "error.h"
#include "key.h"
#include "region.h"
#include "registry.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *g_root;
static cts_node *g_auth;
static char *g_key; /* public key line of t-one */

static int setup(void **state)
{
	cts_node *t;
	char *auth = NULL;
	int already = -1;

	(void)state;
	setenv("CTSNODE_KDF_FAST", "1", 1);
	g_root = tu_tmpdir();
	g_auth = tu_node(g_root, "region", "region", CTS_ROLE_AUTHORITY, NULL);
	if (cts_store_meta_get(g_auth->store, "public_key", &auth) < 0)
		return -1;
	t = tu_node(g_root, "t-one", "ter1", CTS_ROLE_TERRITORY, auth);
	free(auth);
	if (cts_store_meta_get(t->store, "public_key", &g_key) < 0 ||
	    cts_region_enroll(g_auth, "t-one", "ter1", g_key, &already) < 0 || already != 0)
		return -1;
	cts_node_free(t);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cts_node_free(g_auth);
	tu_rmtree(g_root);
	free(g_root);
	free(g_key);
	return 0;
}

static void test_lookups(void **state)
{
	unsigned char pk[32];
	char *node = NULL;

	(void)state;
	assert_int_equal(cts_registry_authority(g_auth, &node), 0);
	assert_string_equal(node, "region");
	free(node);
	assert_int_equal(cts_registry_key_owner(g_auth, g_key, &node), 0);
	assert_string_equal(node, "t-one");
	free(node);
	assert_int_equal(cts_registry_key_owner(g_auth, "ssh-ed25519 AAAAnone", &node),
	                 CTS_ENOTFOUND);
	assert_null(node);
	assert_int_equal(cts_key_parse_public_line(pk, g_key), 0);
	assert_int_equal(cts_registry_node_of_pk(g_auth, pk, &node), 0);
	assert_string_equal(node, "t-one");
	free(node);
	pk[0] ^= 1;
	assert_int_equal(cts_registry_node_of_pk(g_auth, pk, &node), CTS_ENOTFOUND);
	assert_null(node);
}

static void test_list_orders(void **state)
{
	json_t *rows = NULL;

	(void)state;
	assert_int_equal(cts_registry_list(g_auth, 0, &rows), 0);
	assert_int_equal(json_array_size(rows), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "node")),
	                    "region");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(rows, 1), "territory_code")), "ter1");
	json_decref(rows);
	assert_int_equal(cts_registry_list(g_auth, 1, &rows), 0);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "role")),
	                    "authority");
	json_decref(rows);
}

static void test_revocation(void **state)
{
	int64_t after = 0;
	uint64_t hlc = 1;
	const char *st = NULL;
	char *text = NULL, want[600];

	(void)state;
	assert_int_equal(cts_registry_revocation(g_auth, "t-one", &after, &hlc), 0);
	assert_int_equal(after, -1);
	assert_int_equal(hlc, 0);
	assert_int_equal(cts_region_revoke(g_auth, "t-one", 5), 0);
	assert_int_equal(cts_registry_revocation(g_auth, "t-one", &after, &hlc), 0);
	assert_int_equal(after, 5);
	assert_true(hlc > 0);
	assert_int_equal(cts_registry_revocation(g_auth, "t-two", &after, NULL), CTS_ENOTFOUND);
	assert_int_equal(cts_region_self_state(g_auth, &st, &after), 0);
	assert_string_equal(st, "enrolled");

	assert_int_equal(cts_region_allowed_signers(g_auth, &text), 0);
	snprintf(want, sizeof(want), "\nt-one namespaces=\"git,cts-changeset\" %s\n", g_key);
	assert_non_null(strstr(text, want));
	assert_true(strncmp(text, "region namespaces=", 18) == 0);
	free(text);
	assert_int_equal(cts_region_registry_text(g_auth, &text), 0);
	snprintf(want, sizeof(want), "| t-one | ter1 | territoire | après le n°5 | `%s` |\n",
	         g_key);
	assert_non_null(strstr(text, want));
	assert_non_null(strstr(text, "| region | region | autorité | — | `ssh-ed25519 "));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookups),
		cmocka_unit_test(test_list_orders),
		cmocka_unit_test(test_revocation),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
