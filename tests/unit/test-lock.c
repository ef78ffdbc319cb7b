/* test-lock.c: the mailbox and sender locks (lock.c) between processes:
 * a child process plays the second daemon. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "postdesk/lock.h"

static char dir[] = "/tmp/pdlock.XXXXXX";
static char db[64];

/* In a child: try mailbox name ("" = the sender role); exit 0 taken,
 * 1 held (and the holder's pid must be want), 2 error or wrong pid. */
static int
child_try(const char *name, pid_t want)
{
	pid_t pid = fork(), holder;
	int st;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct pd_lock *l;
		char *err = NULL;
		int r;

		if (lock_open(db, &l, &err) < 0)
			_exit(2);
		r = *name ? lock_mailbox(l, name, &holder, &err) : lock_sender(l, &holder, &err);
		if (r == 1 && holder != want)
			_exit(2);
		_exit(r < 0 ? 2 : r);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void
mailbox_locks(void **state)
{
	struct pd_lock *l;
	char *err = NULL;
	pid_t holder;
	struct stat sb;

	(void)state;
	assert_int_equal(lock_open(db, &l, &err), 0);
	assert_int_equal(stat(lock_path(l), &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(lock_mailbox(l, "support", &holder, &err), 0);
	assert_int_equal(lock_mailbox(l, "support", &holder, &err), 0);	/* ours already */
	assert_int_equal(child_try("support", getpid()), 1);
	assert_int_equal(child_try("billing", 0), 0);	/* another mailbox is free */
	assert_int_equal(child_try("", 0), 0);		/* and so is the sender role */
	assert_int_equal(lock_sender(l, &holder, &err), 0);
	assert_int_equal(child_try("", getpid()), 1);
	lock_mailbox_release(l, "support");
	assert_int_equal(child_try("support", 0), 0);
	assert_int_equal(child_try("", getpid()), 1);	/* the sender role stays */
	lock_close(&l);
	assert_null(l);
	assert_int_equal(child_try("", 0), 0);		/* gone with the file */
}

static void
memory_database(void **state)
{
	struct pd_lock *l;
	char *err = NULL;
	pid_t holder;

	(void)state;
	assert_int_equal(lock_open(":memory:", &l, &err), 0);
	assert_string_equal(lock_path(l), "");
	assert_int_equal(lock_mailbox(l, "x", &holder, &err), 0);
	assert_int_equal(lock_sender(l, &holder, &err), 0);
	lock_close(&l);
}

static void
unwritable_dir(void **state)
{
	struct pd_lock *l = NULL;
	char *err = NULL;

	(void)state;
	assert_int_equal(lock_open("/nonexistent/dir/postdesk.db", &l, &err), -1);
	assert_null(l);
	assert_non_null(strstr(err, "/nonexistent/dir/postdesk.db.lock"));
	free(err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mailbox_locks),
		cmocka_unit_test(memory_database),
		cmocka_unit_test(unwritable_dir),
	};
	int failed;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(db, sizeof(db), "%s/postdesk.db", dir);
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(strcat(db, ".lock"));
	rmdir(dir);
	return failed;
}
