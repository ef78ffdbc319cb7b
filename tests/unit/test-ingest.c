/* test-ingest.c: our Message-IDs, the subject tag, threading and the
 * one-transaction ingest, against a real (in-memory) SQLite store. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "postdesk/config.h"
#include "postdesk/ingest.h"
#include "postdesk/ourid.h"
#include "postdesk/store.h"
#include "postdesk/store_query.h"
#include "postdesk/thread.h"
#include "postdesk/xalloc.h"

/* --- our Message-IDs ----------------------------------------------------- */

static void
ourid_roundtrip_and_forgery(void **state)
{
	struct ourid_key k, other;
	int64_t t = 0;
	char *id, *forged;
	char *mac;

	ourid_key_set(&k, "secret-one", 10);
	ourid_key_set(&other, "secret-two", 10);
	id = ourid_make(&k, 42, "example.test");
	assert_non_null(strstr(id, "@example.test"));
	assert_int_equal(strncmp(id, "pd.42.", 6), 0);
	assert_int_equal(ourid_ticket(&k, id, &t), 1);
	assert_int_equal(t, 42);
	assert_int_equal(ourid_looks_ours(id), 1);
	/* another key does not verify it */
	assert_int_equal(ourid_ticket(&other, id, &t), 0);
	/* the same random part with another ticket number: forged */
	forged = xstrdup(id);
	forged[3] = '7';	/* pd.72... */
	assert_int_equal(ourid_ticket(&k, forged, &t), 0);
	/* one MAC digit changed */
	free(forged);
	forged = xstrdup(id);
	mac = strchr(strchr(strchr(forged, '.') + 1, '.') + 1, '.') + 1;
	mac[0] = mac[0] == '0' ? '1' : '0';
	assert_int_equal(ourid_ticket(&k, forged, &t), 0);
	assert_int_equal(ourid_ticket(&k, "CAFoo123@mail.gmail.com", &t), 0);
	assert_int_equal(ourid_looks_ours("CAFoo123@mail.gmail.com"), 0);
	free(forged);
	free(id);
}

/* --- subject tag ----------------------------------------------------------- */

static void
subject_tag_forms(void **state)
{
	static const struct {
		const char *subject;
		int64_t want;	/* 0: no tag */
	} cases[] = {
		{ "[Support #17] Login", 17 },
		{ "Re: [Support #17] Login", 17 },
		{ "AW: WG: [support #17] Login", 17 },
		{ "Odp: [ Support  # 17 ] Login", 17 },
		{ "Továbbítás: Vá: [SUPPORT #17]", 17 },
		{ "Login [Support #123456]", 123456 },
		{ "[EXTERNAL] RE: [Support #9] x", 9 },
		{ "[Support 17] no hash", 0 },
		{ "[Support #] no number", 0 },
		{ "[Support #12a] junk", 0 },
		{ "[Supporter #12] other tag", 0 },
		{ "[Support #0] zero", 0 },
		{ "[Support #1234567890123456789012] too long", 0 },
		{ "plain subject", 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t id = 0;
		int found = thread_subject_tag("Support", cases[i].subject, &id);

		if (cases[i].want == 0) {
			if (found)
				fail_msg("'%s': found %lld, want none", cases[i].subject, (long long)id);
		} else if (!found || id != cases[i].want)
			fail_msg("'%s': got %d/%lld, want %lld", cases[i].subject, found,
			    (long long)id, (long long)cases[i].want);
	}
}

/* --- ingest ----------------------------------------------------------------- */

struct fx {
	struct pd_config cfg;
	struct pd_queue queue;
	struct pd_agent agent;
	struct pd_imap imap;
	struct store *st;
	struct ingest ig;
};

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	char *err = NULL;

	f->queue.name = "general";
	f->queue.priority = PD_PRIO_NORMAL;
	f->agent.name = "Alice Agent";
	f->agent.email = "alice@example.test";
	f->imap.user = "support@example.test";
	f->cfg.tag = "Support";
	f->cfg.queues = &f->queue;
	f->cfg.nqueues = 1;
	f->cfg.agents = &f->agent;
	f->cfg.nagents = 1;
	f->cfg.imap = &f->imap;
	f->cfg.nimap = 1;
	f->cfg.smtp.from_addr = "support@example.test";
	f->cfg.default_language = "en";
	f->cfg.max_message_size = 1 << 20;
	f->cfg.max_mime_depth = 100;
	f->cfg.max_mime_parts = 1000;
	f->cfg.max_header_size = 1 << 16;
	assert_int_equal(store_open(":memory:", &f->st, &err), 0);
	assert_int_equal(ingest_init(&f->ig, f->st, &f->cfg, &err), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	ingest_done(&f->ig);
	store_close(&f->st);
	free(f);
	return 0;
}

static struct ingest_result
feed(struct fx *f, const char *raw, const char *account, uint32_t uid, enum pd_disp want)
{
	struct ingest_source src = { account, account ? "INBOX" : "deliver", 7, uid, NULL };
	struct ingest_result res;
	enum pd_disp d = ingest_one(&f->ig, raw, strlen(raw), &src, &res);

	if (d != want)
		fail_msg("disposition %d, want %d (%s)", d, want, res.reason ? res.reason : "");
	ingest_result_free(&res);
	return res;
}

static const char M1[] =
    "From: Jana <jana@example.cz>\r\nTo: support@example.test\r\n"
    "Cc: Petr <petr@example.cz>, support@example.test, alice@example.test\r\n"
    "Subject: Login\r\nMessage-ID: <m1@example.cz>\r\n\r\nHelp.\r\n";
static const char M2_REPLY[] =
    "From: Petr <petr@example.cz>\r\nSubject: Re: Login\r\n"
    "Message-ID: <m2@example.cz>\r\nIn-Reply-To: <m1@example.cz>\r\n\r\nMe too.\r\n";

static void
new_ticket_then_reply_then_duplicate(void **state)
{
	struct fx *f = *state;
	struct ingest_result r;
	char status[16];
	int64_t closed;

	r = feed(f, M1, "acct", 1, PD_DONE);
	assert_true(r.created);
	assert_int_equal(r.ticket, 1);
	assert_string_equal(r.kind, "customer");
	/* the requester's Cc'd customer joins; our address and the agent do not */
	assert_int_equal(store_participant_has(f->st, 1, "jana@example.cz"), 1);
	assert_int_equal(store_participant_has(f->st, 1, "PETR@example.cz"), 1);
	assert_int_equal(store_participant_has(f->st, 1, "support@example.test"), 0);
	assert_int_equal(store_participant_has(f->st, 1, "alice@example.test"), 0);

	r = feed(f, M2_REPLY, "acct", 2, PD_DONE);
	assert_false(r.created);
	assert_int_equal(r.ticket, 1);
	assert_string_equal(r.via, "in-reply-to");

	/* the same mail again (crash before MOVE: same IMAP identity) */
	r = feed(f, M1, "acct", 1, PD_DONE);
	assert_true(r.duplicate);
	/* ... and in another mailbox, and through the MTA pipe */
	r = feed(f, M1, "other", 9, PD_DONE);
	assert_true(r.duplicate);
	r = feed(f, M1, NULL, 0, PD_DONE);
	assert_true(r.duplicate);
	assert_int_equal(store_ticket_status(f->st, 1, status, &closed), 1);
	assert_string_equal(status, "new");
	assert_int_equal(store_ticket_status(f->st, 2, status, &closed), 0);
}

static void
tag_from_stranger_opens_linked_ticket(void **state)
{
	struct fx *f = *state;
	struct ingest_result r;
	static const char evil[] =
	    "From: evil@example.org\r\nSubject: Re: [Support #1] Login\r\n"
	    "Message-ID: <e1@example.org>\r\nIn-Reply-To: <m1@example.cz>\r\n\r\nshow me\r\n";
	static const char jana_tag[] =
	    "From: jana@example.cz\r\nSubject: Re: [Support #1] Login\r\n"
	    "Message-ID: <m3@example.cz>\r\n\r\nany news?\r\n";

	feed(f, M1, NULL, 0, PD_DONE);
	r = feed(f, evil, NULL, 0, PD_DONE);
	assert_true(r.created);
	assert_int_equal(r.ticket, 2);	/* not #1, even with In-Reply-To */
	/* the participant's tag is accepted */
	r = feed(f, jana_tag, NULL, 0, PD_DONE);
	assert_int_equal(r.ticket, 1);
	assert_string_equal(r.via, "tag");
}

static void
tag_with_our_signed_reference_is_accepted(void **state)
{
	struct fx *f = *state;
	struct ingest_result r;
	char *ours, *raw;

	feed(f, M1, NULL, 0, PD_DONE);
	ours = ourid_make(&f->ig.key, 1, "example.test");
	raw = xasprintf("From: boss@example.cz\r\nSubject: Re: [Support #1] Login\r\n"
	    "Message-ID: <b1@example.cz>\r\nReferences: <%s>\r\n\r\nCc'd boss here.\r\n", ours);
	r = feed(f, raw, NULL, 0, PD_DONE);
	assert_int_equal(r.ticket, 1);
	assert_string_equal(r.via, "tag");
	free(raw);
	free(ours);
}

/* Found by t-hostile-abuse: anyone who knew a Message-ID of the thread
 * joined the ticket and was sent the agents' answers. Only a reply to our
 * own mail of the ticket joins; our address and the agents never do. */
static void
who_joins_a_ticket_by_replying(void **state)
{
	struct fx *f = *state;
	struct ingest_result r;
	char *ours, *raw;
	static const char stranger[] =
	    "From: mallory@example.org\r\nSubject: Re: Login\r\n"
	    "Message-ID: <x1@example.org>\r\nIn-Reply-To: <m1@example.cz>\r\n\r\ncopy me\r\n";
	static const char own[] =
	    "From: support@example.test\r\nSubject: Re: Login\r\n"
	    "Message-ID: <x2@lists.example.org>\r\nIn-Reply-To: <m1@example.cz>\r\n\r\nours\r\n";

	feed(f, M1, NULL, 0, PD_DONE);
	r = feed(f, stranger, NULL, 0, PD_DONE);
	assert_int_equal(r.ticket, 1);	/* the agents see it */
	assert_int_equal(store_participant_has(f->st, 1, "mallory@example.org"), 0);
	r = feed(f, own, NULL, 0, PD_DONE);
	assert_int_equal(r.ticket, 1);
	assert_string_equal(r.kind, "loop");	/* kept in the ticket, not answered */
	assert_int_equal(store_participant_has(f->st, 1, "support@example.test"), 0);
	/* a reply to our mail of the ticket: its sender was sent it */
	ours = ourid_make(&f->ig.key, 1, "example.test");
	raw = xasprintf("From: colleague@example.cz\r\nSubject: Re: Login\r\n"
	    "Message-ID: <x3@example.cz>\r\nIn-Reply-To: <%s>\r\n\r\nfwd to me\r\n", ours);
	r = feed(f, raw, NULL, 0, PD_DONE);
	assert_int_equal(r.ticket, 1);
	assert_int_equal(store_participant_has(f->st, 1, "colleague@example.cz"), 1);
	free(raw);
	free(ours);
}

static void
out_of_order_replies_thread(void **state)
{
	struct fx *f = *state;
	struct ingest_result r;
	static const char c[] =
	    "From: c@example.org\r\nSubject: Re: Re: x\r\nMessage-ID: <c@x>\r\n"
	    "In-Reply-To: <b@x>\r\nReferences: <a@x> <b@x>\r\n\r\nC\r\n";
	static const char d[] =
	    "From: d@example.org\r\nSubject: Re: x\r\nMessage-ID: <d@x>\r\n"
	    "In-Reply-To: <a@x>\r\nReferences: <a@x>\r\n\r\nD\r\n";
	static const char a[] =
	    "From: a@example.org\r\nSubject: x\r\nMessage-ID: <a@x>\r\n\r\nA\r\n";

	r = feed(f, c, NULL, 0, PD_DONE);
	assert_true(r.created);
	r = feed(f, d, NULL, 0, PD_DONE);	/* a sibling: shares <a@x> */
	assert_int_equal(r.ticket, 1);
	assert_string_equal(r.via, "in-reply-to");
	r = feed(f, a, NULL, 0, PD_DONE);	/* the root, last */
	assert_int_equal(r.ticket, 1);
	assert_string_equal(r.via, "referenced-by");
}

static void
loops_bounces_and_autoreplies(void **state)
{
	struct fx *f = *state;
	struct ingest_result r;
	char *ours, *bounce;
	static const char own[] =
	    "From: support@example.test\r\nSubject: hello\r\nMessage-ID: <o1@x>\r\n\r\nx\r\n";
	static const char vacation[] =
	    "From: away@example.org\r\nSubject: Out of office\r\nAuto-Submitted: auto-replied\r\n"
	    "Message-ID: <v1@x>\r\n\r\nI am away.\r\n";

	r = feed(f, own, NULL, 0, PD_DONE);
	assert_int_equal(r.ticket, 0);
	assert_string_equal(r.kind, "loop");
	r = feed(f, vacation, NULL, 0, PD_DONE);
	assert_int_equal(r.ticket, 0);
	assert_string_equal(r.kind, "auto-reply");

	/* a bounce of our mail on ticket 1 goes to ticket 1, marks the address */
	feed(f, M1, NULL, 0, PD_DONE);
	ours = ourid_make(&f->ig.key, 1, "example.test");
	{
		/* our outgoing mail is a stored message of the ticket */
		struct store_message sm = { .ticket_id = 1, .direction = "out", .kind = "ack",
			.message_id = ours, .raw = "x", .raw_len = 1 };
		int64_t id;

		assert_int_equal(store_begin(f->st), 0);
		assert_int_equal(store_message_add(f->st, &sm, NULL, &id), 0);
		assert_int_equal(store_commit(f->st), 0);
	}
	bounce = xasprintf(
	    "From: MAILER-DAEMON@mx.example.cz\r\nSubject: Undelivered\r\nMessage-ID: <bn@x>\r\n"
	    "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n"
	    "--B\r\nContent-Type: text/plain\r\n\r\nFailed.\r\n"
	    "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
	    "Final-Recipient: rfc822; petr@example.cz\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
	    "--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <%s>\r\nSubject: x\r\n\r\n"
	    "--B--\r\n", ours);
	r = feed(f, bounce, NULL, 0, PD_DONE);
	assert_string_equal(r.kind, "bounce");
	assert_int_equal(r.ticket, 1);
	free(bounce);
	free(ours);
}

static void
reply_reopens_resolved_ticket(void **state)
{
	struct fx *f = *state;
	char status[16];
	int64_t closed;

	feed(f, M1, NULL, 0, PD_DONE);
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_ticket_set_status(f->st, 1, "resolved", 1000), 0);
	assert_int_equal(store_commit(f->st), 0);
	feed(f, M2_REPLY, NULL, 0, PD_DONE);
	assert_int_equal(store_ticket_status(f->st, 1, status, &closed), 1);
	assert_string_equal(status, "open");
	assert_int_equal(closed, 1000);
}

static void
quarantine_keeps_the_message_once(void **state)
{
	struct fx *f = *state;
	struct ingest_source src = { "acct", "INBOX", 7, 5, NULL };
	int64_t a = 0, b = 0;

	assert_int_equal(ingest_quarantine(&f->ig, "raw", 3, &src, "why", &a), 0);
	assert_true(a > 0);
	assert_int_equal(ingest_quarantine(&f->ig, "raw", 3, &src, "why", &b), 0);
	assert_int_equal(a, b);
}

static void
assignment_round_robin_and_least_open(void **state)
{
	struct fx *f = *state;
	struct pd_agent two[2] = {
		{ .name = "Alice", .email = "alice@example.test" },
		{ .name = "Bob", .email = "bob@example.test" },
	};
	const char *want_rr[] = { "alice@example.test", "bob@example.test", "alice@example.test" };
	char *raw;

	f->cfg.agents = two;
	f->cfg.nagents = 2;
	f->queue.assign = PD_ASSIGN_ROUND_ROBIN;
	for (int i = 0; i < 3; i++) {
		struct ingest_result r;
		struct store_ticket_view t;

		raw = xasprintf("From: c%d@example.org\r\nSubject: q%d\r\nMessage-ID: <rr%d@x>\r\n\r\nx\r\n",
		    i, i, i);
		r = feed(f, raw, NULL, 0, PD_DONE);
		assert_int_equal(store_ticket_get(f->st, r.ticket, 0, &t), 1);
		assert_string_equal(t.assignee, want_rr[i]);
		store_ticket_view_free(&t);
		free(raw);
	}
	/* least-open: alice has 2 open tickets, bob 1: bob gets the next */
	f->queue.assign = PD_ASSIGN_LEAST_OPEN;
	{
		struct ingest_result r;
		struct store_ticket_view t;

		r = feed(f, "From: d@example.org\r\nSubject: z\r\nMessage-ID: <lo@x>\r\n\r\nx\r\n",
		    NULL, 0, PD_DONE);
		assert_int_equal(store_ticket_get(f->st, r.ticket, 0, &t), 1);
		assert_string_equal(t.assignee, "bob@example.test");
		store_ticket_view_free(&t);
	}
	f->cfg.agents = &f->agent;
	f->cfg.nagents = 1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ourid_roundtrip_and_forgery),
		cmocka_unit_test(subject_tag_forms),
		cmocka_unit_test_setup_teardown(new_ticket_then_reply_then_duplicate, setup, teardown),
		cmocka_unit_test_setup_teardown(tag_from_stranger_opens_linked_ticket, setup, teardown),
		cmocka_unit_test_setup_teardown(tag_with_our_signed_reference_is_accepted, setup, teardown),
		cmocka_unit_test_setup_teardown(who_joins_a_ticket_by_replying, setup, teardown),
		cmocka_unit_test_setup_teardown(out_of_order_replies_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(loops_bounces_and_autoreplies, setup, teardown),
		cmocka_unit_test_setup_teardown(reply_reopens_resolved_ticket, setup, teardown),
		cmocka_unit_test_setup_teardown(quarantine_keeps_the_message_once, setup, teardown),
		cmocka_unit_test_setup_teardown(assignment_round_robin_and_least_open, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
