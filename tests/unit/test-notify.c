/*
 * test-notify.c: unit tests for src/notify.h: which addresses a tenant's
 * URL may reach, the webhook signature, the backoff, and the URL check
 * on literal addresses (no resolver needed).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "conf.h"
#include "notify.h"

static bool
public_addr(const char *s)
{
	struct sockaddr_in	 v4;
	struct sockaddr_in6	 v6;

	memset(&v4, 0, sizeof(v4));
	memset(&v6, 0, sizeof(v6));
	if (inet_pton(AF_INET, s, &v4.sin_addr) == 1) {
		v4.sin_family = AF_INET;
		return notify_addr_public((struct sockaddr *)&v4);
	}
	assert_int_equal(inet_pton(AF_INET6, s, &v6.sin6_addr), 1);
	v6.sin6_family = AF_INET6;
	return notify_addr_public((struct sockaddr *)&v6);
}

static void
test_every_private_class_is_refused(void **state)
{
	static const char *const no[] = { "0.0.0.0", "0.1.2.3", "10.0.0.1",
	    "10.255.255.255", "100.64.0.1", "100.127.255.254", "127.0.0.1",
	    "127.8.9.10", "169.254.169.254", "172.16.0.1", "172.31.255.255",
	    "192.0.0.8", "192.0.2.1", "192.168.0.1", "198.18.0.1",
	    "198.19.255.255", "198.51.100.7", "203.0.113.9", "224.0.0.1",
	    "239.255.255.250", "240.0.0.1", "255.255.255.255", "::", "::1",
	    "fc00::1", "fd12:3456::1", "fe80::1", "febf::1", "fec0::1",
	    "ff02::1", "2001:db8::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
	    "64:ff9b::a00:1", "::10.0.0.1" };
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (public_addr(no[i]))
			fail_msg("%s passed as public", no[i]);
}

static void
test_public_addresses_pass(void **state)
{
	static const char *const yes[] = { "1.1.1.1", "8.8.8.8",
	    "93.184.215.14", "100.63.255.255", "100.128.0.1", "172.15.255.255",
	    "172.32.0.1", "192.167.255.255", "192.169.0.1", "223.255.255.255",
	    "2606:4700:4700::1111", "2a00:1450:4001::200e",
	    "::ffff:8.8.8.8", "64:ff9b::808:808" };
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!public_addr(yes[i]))
			fail_msg("%s refused", yes[i]);
}

/* The signature of Stripe's scheme: HMAC-SHA256(secret, "t.body"). */
static void
test_signature_is_hmac_of_t_dot_body(void **state)
{
	char	 out[128];

	(void)state;
	notify_sign("secret", 1700000000, "{\"a\":1}", 7, out, sizeof(out));
	/* printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac secret */
	assert_string_equal(out, "t=1700000000,v1=49f24e537407743fa4a0242bb6"
	    "3b94b9a47ee99cbbe071ccd8a22550ae411686");
}

static void
test_backoff_doubles_to_an_hour_with_a_quarter_of_jitter(void **state)
{
	(void)state;
	assert_int_equal(notify_backoff(0, 0), 30);
	assert_int_equal(notify_backoff(1, 0), 60);
	assert_int_equal(notify_backoff(3, 0), 240);
	assert_int_equal(notify_backoff(20, 0), 3600);
	assert_true(notify_backoff(0, 7) == 37);
	assert_true(notify_backoff(20, 999999) <= 3600 + 900);
}

static void
test_urls_are_checked_on_their_scheme_and_addresses(void **state)
{
	struct conf	 c;
	char		 pin[200], err[300];

	(void)state;
	conf_defaults(&c);
	assert_int_equal(notify_url_check(&c, "http://8.8.8.8/x", pin,
	    sizeof(pin), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "https"));
	assert_int_equal(notify_url_check(&c, "https://10.0.0.5/x", pin,
	    sizeof(pin), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a public address"));
	assert_int_equal(notify_url_check(&c, "https://[::1]:8443/x", pin,
	    sizeof(pin), err, sizeof(err)), -1);
	assert_int_equal(notify_url_check(&c, "https://8.8.8.8/x", pin,
	    sizeof(pin), err, sizeof(err)), 0);
	assert_string_equal(pin, "8.8.8.8:443:8.8.8.8");
	assert_int_equal(notify_url_check(&c, "not a url", pin, sizeof(pin),
	    err, sizeof(err)), -1);
	c.alert_allow_private = 1;
	assert_int_equal(notify_url_check(&c, "http://127.0.0.1:9/x", pin,
	    sizeof(pin), err, sizeof(err)), 0);
	assert_string_equal(pin, "127.0.0.1:9:127.0.0.1");
	conf_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_private_class_is_refused),
		cmocka_unit_test(test_public_addresses_pass),
		cmocka_unit_test(test_signature_is_hmac_of_t_dot_body),
		cmocka_unit_test(test_backoff_doubles_to_an_hour_with_a_quarter_of_jitter),
		cmocka_unit_test(test_urls_are_checked_on_their_scheme_and_addresses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
