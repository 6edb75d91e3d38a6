/*
 * t_creds: credentials from the shared credentials file and the
 * environment, in the order creds.h documents; errors that name the fix and
 * never carry a secret.
 */
#include "unit.h"

#include <ctype.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "creds.h"

/* Every secret written below contains this, so one search finds a leak. */
#define SECRET "SeCrEt"

static char dir[64];
static char *files[32];
static size_t nfiles;

/* A new file in the test directory holding text; its path, or NULL. */
static const char *file_with(const char *text)
{
	char path[128];
	size_t len = strlen(text);
	int fd;

	if (nfiles == sizeof(files) / sizeof(files[0]))
		return NULL;
	snprintf(path, sizeof(path), "%s/credentials.XXXXXX", dir);
	fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	if (write(fd, text, len) != (ssize_t)len) {
		close(fd);
		return NULL;
	}
	close(fd);
	files[nfiles] = strdup(path);
	return files[nfiles++];
}

static void clear_env(void)
{
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_PROFILE");
	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
	setenv("HOME", dir, 1);
}

/* An error message as the style asks: non-empty, lower-case first, and
 * without any secret. */
static void check_error(const char *err, const char *must_contain)
{
	UNIT_CHECK(err[0] && islower((unsigned char)err[0]));
	UNIT_CHECK(strstr(err, SECRET) == NULL);
	if (must_contain && !strstr(err, must_contain))
		unit_fail(__FILE__, __LINE__, "'%s' not in error '%s'",
			  must_contain, err);
}

static int is_empty(const struct creds *c)
{
	return !c->access_key && !c->secret_key && !c->session_token && !c->origin;
}

static const char main_file[] =
	"# shared credentials, as 'aws configure' writes them\n"
	"; another comment style\n"
	"\n"
	"[default]\n"
	"aws_access_key_id = AKIDDEFAULT\n"
	"aws_secret_access_key = " SECRET "default/abc+def\n"
	"\n"
	"[work]\r\n"
	"aws_access_key_id=AKIDWORK   \r\n"
	"   aws_secret_access_key  =   " SECRET "work   \r\n"
	"aws_session_token = " SECRET "token==   ; an inline comment\r\n"
	"region = eu-west-1\r\n"
	"\n"
	"[upper]\n"
	"AWS_ACCESS_KEY_ID = AKIDUPPER\n"
	"Aws_Secret_Access_Key = " SECRET "upper\n"
	"aws_session_token =\n"
	"\n"
	"[nosecret]\n"
	"aws_access_key_id = AKIDNOSECRET\n"
	"\n"
	"[twice]\n"
	"aws_access_key_id = AKIDFIRST\n"
	"aws_secret_access_key = " SECRET "first\n"
	"aws_access_key_id = AKIDSECOND\n";

static void test_file(void)
{
	const char *path = file_with(main_file);
	char err[512], want[256];
	struct creds c;

	unit_case("file: [default] read, comments and blank lines skipped");
	UNIT_CHECK(path != NULL);
	UNIT_CHECK_INT(creds_from_file(&c, path, "default", err, sizeof(err)), 0);
	UNIT_CHECK_STR(c.access_key, "AKIDDEFAULT");
	UNIT_CHECK_STR(c.secret_key, SECRET "default/abc+def");
	UNIT_CHECK(c.session_token == NULL);
	snprintf(want, sizeof(want), "profile 'default' in %s", path);
	UNIT_CHECK_STR(c.origin, want);
	creds_release(&c);
	UNIT_CHECK(is_empty(&c));

	unit_case("file: profile selected; blanks, CRLF and comment trimmed");
	UNIT_CHECK_INT(creds_from_file(&c, path, "work", err, sizeof(err)), 0);
	UNIT_CHECK_STR(c.access_key, "AKIDWORK");
	UNIT_CHECK_STR(c.secret_key, SECRET "work");
	UNIT_CHECK_STR(c.session_token, SECRET "token==");
	creds_release(&c);

	unit_case("file: key names in any case; empty token means none");
	UNIT_CHECK_INT(creds_from_file(&c, path, "upper", err, sizeof(err)), 0);
	UNIT_CHECK_STR(c.access_key, "AKIDUPPER");
	UNIT_CHECK_STR(c.secret_key, SECRET "upper");
	UNIT_CHECK(c.session_token == NULL);
	creds_release(&c);

	unit_case("file: a key given twice, the last wins");
	UNIT_CHECK_INT(creds_from_file(&c, path, "twice", err, sizeof(err)), 0);
	UNIT_CHECK_STR(c.access_key, "AKIDSECOND");
	creds_release(&c);

	unit_case("file: missing profile names the profile, the file, the fix");
	UNIT_CHECK_INT(creds_from_file(&c, path, "nope", err, sizeof(err)), -1);
	UNIT_CHECK(is_empty(&c));
	snprintf(want, sizeof(want), "no profile 'nope' in credentials file '%s'",
		 path);
	check_error(err, want);
	check_error(err, "add a [nope] section");

	unit_case("file: profile without a secret names the missing key");
	UNIT_CHECK_INT(creds_from_file(&c, path, "nosecret", err, sizeof(err)), -1);
	UNIT_CHECK(is_empty(&c));
	check_error(err, "profile 'nosecret'");
	check_error(err, "has no aws_secret_access_key");

	unit_case("file: missing file is named with the reason and the fix");
	UNIT_CHECK_INT(creds_from_file(&c, "/nonexistent/lm/credentials",
				       "default", err, sizeof(err)), -1);
	UNIT_CHECK(is_empty(&c));
	check_error(err, "cannot read credentials file "
		    "'/nonexistent/lm/credentials': No such file or directory");
	check_error(err, "AWS_ACCESS_KEY_ID");

	unit_case("file: a directory is a read error, not a crash");
	UNIT_CHECK_INT(creds_from_file(&c, dir, "default", err, sizeof(err)), -1);
	check_error(err, "cannot read credentials file");

	unit_case("file: a short error buffer is enough to fail safely");
	UNIT_CHECK_INT(creds_from_file(&c, path, "nope", err, 8), -1);
	UNIT_CHECK_INT(strlen(err), 7);
	UNIT_CHECK_INT(creds_from_file(&c, path, "nope", NULL, 0), -1);
}

static void test_file_syntax(void)
{
	char err[512], text[4096], token[1300];
	const char *path;
	struct creds c;
	size_t i;

	unit_case("syntax: a bad line is reported by number, not by content");
	path = file_with("[default]\n"
			 "aws_access_key_id = AKID\n"
			 "aws_secret_access_key " SECRET "withoutequals\n");
	UNIT_CHECK_INT(creds_from_file(&c, path, "default", err, sizeof(err)), -1);
	UNIT_CHECK(is_empty(&c));
	check_error(err, "line 3 is not '[profile]' or 'name = value'");

	unit_case("syntax: a session token longer than inih's line buffer");
	for (i = 0; i + 1 < sizeof(token); i++)
		token[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop/+="[i % 45];
	token[sizeof(token) - 1] = '\0';
	memcpy(token, SECRET, strlen(SECRET));
	snprintf(text, sizeof(text),
		 "[default]\n"
		 "aws_access_key_id = AKID\n"
		 "aws_session_token =   %s   ; note\n"
		 "aws_secret_access_key = " SECRET "x\n"
		 "# a long comment %0300d\n", token, 0);
	path = file_with(text);
	UNIT_CHECK_INT(creds_from_file(&c, path, "default", err, sizeof(err)), 0);
	UNIT_CHECK_STR(c.session_token, token);
	UNIT_CHECK_STR(c.secret_key, SECRET "x");
	creds_release(&c);

	unit_case("syntax: a long line that is not name=value is an error");
	for (i = 0; i + 1 < sizeof(token); i++)
		token[i] = (char)('a' + i % 26);
	memcpy(token, SECRET, strlen(SECRET));
	snprintf(text, sizeof(text), "[default]\naws_access_key_id = AKID\n"
		 "aws_secret_access_key = " SECRET "x\n%s\n", token);
	path = file_with(text);
	UNIT_CHECK_INT(creds_from_file(&c, path, "default", err, sizeof(err)), -1);
	check_error(err, "line 4 is not");
}

static void test_resolve_order(void)
{
	char err[512], want[256];
	const char *path = file_with(main_file);
	struct creds c;

	clear_env();
	unit_case("resolve: environment keys, with token, when no profile named");
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", SECRET "env", 1);
	setenv("AWS_SESSION_TOKEN", SECRET "envtoken", 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
	UNIT_CHECK_INT(creds_resolve(&c, NULL, err, sizeof(err)), 0);
	UNIT_CHECK_STR(c.access_key, "AKIDENV");
	UNIT_CHECK_STR(c.secret_key, SECRET "env");
	UNIT_CHECK_STR(c.session_token, SECRET "envtoken");
	UNIT_CHECK_STR(c.origin, "environment");
	creds_release(&c);

	unit_case("resolve: an explicit profile beats the environment");
	UNIT_CHECK_INT(creds_resolve(&c, "work", err, sizeof(err)), 0);
	UNIT_CHECK_STR(c.access_key, "AKIDWORK");
	UNIT_CHECK_STR(c.session_token, SECRET "token==");
	creds_release(&c);

	unit_case("resolve: environment beats AWS_PROFILE");
	setenv("AWS_PROFILE", "work", 1);
	UNIT_CHECK_INT(creds_resolve(&c, "", err, sizeof(err)), 0);
	UNIT_CHECK_STR(c.access_key, "AKIDENV");
	creds_release(&c);

	unit_case("resolve: without environment keys, AWS_PROFILE is read");
	unsetenv("AWS_ACCESS_KEY_ID");
	setenv("AWS_SECRET_ACCESS_KEY", "", 1);	/* empty counts as unset */
	UNIT_CHECK_INT(creds_resolve(&c, NULL, err, sizeof(err)), 0);
	UNIT_CHECK_STR(c.access_key, "AKIDWORK");
	snprintf(want, sizeof(want), "profile 'work' in %s", path);
	UNIT_CHECK_STR(c.origin, want);
	creds_release(&c);

	unit_case("resolve: no AWS_PROFILE means [default]");
	unsetenv("AWS_PROFILE");
	UNIT_CHECK_INT(creds_resolve(&c, NULL, err, sizeof(err)), 0);
	UNIT_CHECK_STR(c.access_key, "AKIDDEFAULT");
	UNIT_CHECK(c.session_token == NULL);
	creds_release(&c);

	unit_case("resolve: AWS_PROFILE naming a missing profile");
	setenv("AWS_PROFILE", "ghost", 1);
	UNIT_CHECK_INT(creds_resolve(&c, NULL, err, sizeof(err)), -1);
	UNIT_CHECK(is_empty(&c));
	check_error(err, "no profile 'ghost'");
	unsetenv("AWS_PROFILE");

	unit_case("resolve: only one of the two keys set is an error");
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	UNIT_CHECK_INT(creds_resolve(&c, NULL, err, sizeof(err)), -1);
	check_error(err, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
	unsetenv("AWS_ACCESS_KEY_ID");
	setenv("AWS_SECRET_ACCESS_KEY", SECRET "lonely", 1);
	UNIT_CHECK_INT(creds_resolve(&c, NULL, err, sizeof(err)), -1);
	check_error(err, "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	clear_env();
}

static void test_resolve_path(void)
{
	char err[512], want[256], home_path[128], aws_dir[128];
	struct creds c;
	FILE *f;

	clear_env();
	unit_case("resolve: default file is $HOME/.aws/credentials");
	snprintf(aws_dir, sizeof(aws_dir), "%s/.aws", dir);
	snprintf(home_path, sizeof(home_path), "%s/.aws/credentials", dir);
	UNIT_CHECK_INT(creds_resolve(&c, NULL, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "cannot read credentials file '%s'", home_path);
	check_error(err, want);
	UNIT_CHECK(!mkdir(aws_dir, 0700));
	f = fopen(home_path, "w");
	UNIT_CHECK(f != NULL);
	if (f) {
		fputs("[default]\naws_access_key_id = AKIDHOME\n"
		      "aws_secret_access_key = " SECRET "home\n", f);
		fclose(f);
	}
	UNIT_CHECK_INT(creds_resolve(&c, NULL, err, sizeof(err)), 0);
	UNIT_CHECK_STR(c.access_key, "AKIDHOME");
	creds_release(&c);

	unit_case("resolve: '~/' in AWS_SHARED_CREDENTIALS_FILE is HOME");
	setenv("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials", 1);
	UNIT_CHECK_INT(creds_resolve(&c, NULL, err, sizeof(err)), 0);
	UNIT_CHECK_STR(c.access_key, "AKIDHOME");
	creds_release(&c);

	unit_case("resolve: no HOME and no file named is an error with the fix");
	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
	unsetenv("HOME");
	UNIT_CHECK_INT(creds_resolve(&c, NULL, err, sizeof(err)), -1);
	check_error(err, "HOME is not set: set AWS_SHARED_CREDENTIALS_FILE");
	clear_env();

	unlink(home_path);
	rmdir(aws_dir);
}

static void test_copy(void)
{
	struct creds a = { 0 }, b;
	char err[256];
	const char *path = file_with("[p]\naws_access_key_id=A\n"
				     "aws_secret_access_key=" SECRET "\n"
				     "aws_session_token=T\n");

	unit_case("copy: deep, and released independently");
	UNIT_CHECK_INT(creds_from_file(&a, path, "p", err, sizeof(err)), 0);
	UNIT_CHECK_INT(creds_copy(&b, &a), 0);
	UNIT_CHECK(b.secret_key != a.secret_key);
	creds_release(&a);
	UNIT_CHECK(is_empty(&a));
	UNIT_CHECK_STR(b.access_key, "A");
	UNIT_CHECK_STR(b.secret_key, SECRET);
	UNIT_CHECK_STR(b.session_token, "T");
	creds_release(&b);

	unit_case("copy: without a token");
	a.access_key = "A";
	a.secret_key = "S";
	UNIT_CHECK_INT(creds_copy(&b, &a), 0);
	UNIT_CHECK(b.session_token == NULL && b.origin == NULL);
	UNIT_CHECK_STR(b.secret_key, "S");
	creds_release(&b);
	creds_release(&b);	/* twice is harmless */
}

int main(void)
{
	size_t i;

	snprintf(dir, sizeof(dir), "/tmp/t_creds.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	clear_env();
	test_file();
	test_file_syntax();
	test_resolve_order();
	test_resolve_path();
	test_copy();
	for (i = 0; i < nfiles; i++) {
		unlink(files[i]);
		free(files[i]);
	}
	rmdir(dir);
	return unit_done();
}
