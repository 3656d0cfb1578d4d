/*
 * gen-docs.c - documents generated from the command table (cmd_table[]),
 * so a new command or option reaches them without a second list to keep:
 *
 *   gen-docs man OUTDIR [HANDWRITTEN_DIR]   deployctl-<command>.1 for every
 *                                           command without a hand-written page
 *   gen-docs bash                           bash completion on stdout
 *   gen-docs zsh                            zsh completion on stdout
 *
 * Options are read from each command's help text, which cmd_print_options()
 * makes from its option table: a line "  -j, --parallel N  text" names -j
 * and --parallel, taking an argument N; an indented line without a dash
 * continues the text above. A malformed table fails the build here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "deployctl/cmd.h"

#define MAX_OPTS 64

struct opt {
	char shortname[8]; /* "-j" or "" */
	char longname[40]; /* "--parallel" or "" */
	char arg[24];      /* "N", "FILE", ... or "" */
	char text[400];
};

/* The options of a command's help text; returns how many. */
static size_t parse_opts(struct opt *v, const char *help)
{
	size_t n = 0;
	const char *line = help;

	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char buf[600];

		snprintf(buf, sizeof(buf), "%.*s", (int)len, line);
		line = end ? end + 1 : NULL;
		if (!strncmp(buf, "  -", 3) && n < MAX_OPTS) {
			struct opt *o = &v[n++];
			char *p = buf + 2, *gap = strstr(p, "  ");

			memset(o, 0, sizeof(*o));
			if (gap) {
				*gap = '\0';
				for (gap += 2; *gap == ' '; gap++)
					;
				snprintf(o->text, sizeof(o->text), "%s", gap);
			}
			/* "-j, --parallel N", "--to N", "-q, --quiet", "-T, --no-tty" */
			while (*p) {
				size_t tl = strcspn(p, ", ");
				char tok[64];

				snprintf(tok, sizeof(tok), "%.*s", (int)tl, p);
				p += tl;
				p += strspn(p, ", ");
				if (!tl)
					continue;
				if (!strncmp(tok, "--", 2))
					snprintf(o->longname, sizeof(o->longname), "%.39s", tok);
				else if (tok[0] == '-')
					snprintf(o->shortname, sizeof(o->shortname), "%.7s", tok);
				else
					snprintf(o->arg, sizeof(o->arg), "%.23s", tok);
			}
		} else if (n && !strncmp(buf, "    ", 4)) {
			struct opt *o = &v[n - 1];
			char *t = buf;

			while (*t == ' ')
				t++;
			size_t have = strlen(o->text);

			snprintf(o->text + have, sizeof(o->text) - have, " %s", t);
		}
	}
	return n;
}

/* roff: a leading dot or quote escaped, backslashes and dashes escaped. */
static void roff(FILE *f, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", f);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else
			fputc(*s, f);
	}
}

/* c's options and notes as --help prints them; new string. Exits on a malformed table. */
static char *help_text(const struct cmd *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f || cmd_print_options(c, f) < 0 || fclose(f) != 0) {
		fprintf(stderr, "gen-docs: %s: malformed option table (a name or letter twice?)\n",
		        c->name);
		exit(1);
	}
	return text;
}

static size_t parse_cmd(struct opt *v, const struct cmd *c)
{
	char *help = help_text(c);
	size_t n = parse_opts(v, help);

	free(help);
	return n;
}

static int man_page(const struct cmd *c, const char *dir)
{
	struct opt opts[MAX_OPTS];
	char *help = help_text(c);
	size_t i, n = parse_opts(opts, help);
	char path[4096], upper[64];
	const char *extra;
	FILE *f;

	snprintf(path, sizeof(path), "%s/deployctl-%s.1", dir, c->name);
	f = fopen(path, "we");
	if (!f) {
		perror(path);
		free(help);
		return -1;
	}
	for (i = 0; c->name[i] && i < sizeof(upper) - 1; i++)
		upper[i] = (char)(c->name[i] >= 'a' && c->name[i] <= 'z' ? c->name[i] - 32
		                                                         : c->name[i]);
	upper[i] = '\0';
	fprintf(f, ".\\\" Generated from the command table by tools/gen-docs.c; do not edit.\n");
	fprintf(f, ".TH DEPLOYCTL-%s 1 \"\" \"deployctl %s\" \"User Commands\"\n", upper,
	        DEPLOYCTL_VERSION);
	fprintf(f, ".SH NAME\ndeployctl\\-%s \\- ", c->name);
	roff(f, c->summary);
	fputs("\n.SH SYNOPSIS\n.B deployctl\n", f);
	roff(f, c->usage);
	fputs("\n.SH DESCRIPTION\n", f);
	roff(f, c->summary);
	fputs("\n", f);
	if (n) {
		fputs(".SH OPTIONS\n", f);
		for (i = 0; i < n; i++) {
			fputs(".TP\n.B ", f);
			if (opts[i].shortname[0]) {
				roff(f, opts[i].shortname);
				fputs(opts[i].longname[0] ? ", " : "", f);
			}
			roff(f, opts[i].longname);
			if (opts[i].arg[0]) {
				fputs(" \\fI", f);
				roff(f, opts[i].arg);
				fputs("\\fR", f);
			}
			fputc('\n', f);
			roff(f, opts[i].text);
			fputc('\n', f);
		}
	}
	/* Lines of the help that are not options (e.g. the exit status of exec). */
	extra = strstr(help, "\nexit status:");
	if (extra) {
		fputs(".SH EXIT STATUS\n", f);
		roff(f, extra + 1 + strlen("exit status: "));
		fputc('\n', f);
	} else {
		fputs(".SH EXIT STATUS\n0 success; 1 failed; 2 usage or input error (nothing changed);"
		      " 3 Docker unreachable; 4 state database error; 5 state locked by another "
		      "apply.\n",
		      f);
	}
	fputs(".SH SEE ALSO\n.BR deployctl (1),\n.BR deployctl\\-manifest (5)\n", f);
	free(help);
	return fclose(f);
}

static int gen_man(const char *dir, const char *handwritten)
{
	size_t i;

	for (i = 0; cmd_table[i]; i++) {
		char path[4096];
		struct stat st;

		snprintf(path, sizeof(path), "%s/deployctl-%s.1", handwritten ? handwritten : "",
		         cmd_table[i]->name);
		if (handwritten && stat(path, &st) == 0)
			continue;
		if (man_page(cmd_table[i], dir) < 0)
			return 1;
	}
	return 0;
}

/* Does this argument name a file or directory (complete with paths)? */
static int takes_path(const struct opt *o)
{
	return !strcmp(o->arg, "FILE") || !strcmp(o->arg, "DIR") || !strcmp(o->arg, "PATH");
}

static int gen_bash(void)
{
	struct opt opts[MAX_OPTS];
	size_t i, k, n;

	puts("# bash completion for deployctl; generated from the command table by "
	     "tools/gen-docs.c.");
	puts("_deployctl() {");
	puts("\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} cmd= i opts=");
	fputs("\tlocal cmds='", stdout);
	for (i = 0; cmd_table[i]; i++)
		printf("%s%s", i ? " " : "", cmd_table[i]->name);
	puts("'");
	puts("\tfor ((i = 1; i < COMP_CWORD; i++)); do");
	puts("\t\tcase ${COMP_WORDS[i]} in");
	puts("\t\t--state | --docker-host) ((i++)) ;;");
	puts("\t\t-*) ;;");
	puts("\t\t*) cmd=${COMP_WORDS[i]}; break ;;");
	puts("\t\tesac");
	puts("\tdone");
	puts("\tif [ -z \"$cmd\" ]; then");
	puts("\t\tCOMPREPLY=($(compgen -W \"$cmds --state --docker-host --verbose --quiet --help "
	     "--version\" -- \"$cur\"))");
	puts("\t\treturn");
	puts("\tfi");
	puts("\tcase $cmd in");
	for (i = 0; cmd_table[i]; i++) {
		n = parse_cmd(opts, cmd_table[i]);
		printf("\t%s)\n", cmd_table[i]->name);
		fputs("\t\tcase $prev in\n\t\t", stdout);
		{
			int any = 0;

			for (k = 0; k < n; k++)
				if (takes_path(&opts[k]) && opts[k].longname[0])
					printf("%s%s", any++ ? " | " : "", opts[k].longname);
			if (any)
				puts(") COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n\t\tesac");
			else
				puts("--never-an-option) ;;\n\t\tesac");
		}
		fputs("\t\topts='--help", stdout);
		for (k = 0; k < n; k++) {
			if (opts[k].longname[0] && strcmp(opts[k].longname, "--help"))
				printf(" %s", opts[k].longname);
			if (opts[k].shortname[0])
				printf(" %s", opts[k].shortname);
		}
		puts("'");
		puts("\t\t;;");
	}
	puts("\tesac");
	puts("\tif [ \"$cmd\" = help ]; then opts=\"$opts $cmds\"; fi");
	puts("\tCOMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))");
	puts("}");
	puts("complete -F _deployctl deployctl");
	return 0;
}

/* zsh _describe entries: "name:text", colons in the text escaped. */
static void zsh_entry(const char *name, const char *text)
{
	fputs("\t\t'", stdout);
	fputs(name, stdout);
	fputc(':', stdout);
	for (; *text; text++) {
		if (*text == '\'')
			fputs("'\\''", stdout);
		else if (*text == ':')
			fputs("\\:", stdout);
		else
			fputc(*text, stdout);
	}
	puts("'");
}

static int gen_zsh(void)
{
	struct opt opts[MAX_OPTS];
	size_t i, k, n;

	puts("#compdef deployctl");
	puts("# zsh completion for deployctl; generated from the command table by "
	     "tools/gen-docs.c.");
	puts("_deployctl() {");
	puts("\tlocal -a cmds opts");
	puts("\tlocal cmd i");
	puts("\tcmds=(");
	for (i = 0; cmd_table[i]; i++)
		zsh_entry(cmd_table[i]->name, cmd_table[i]->summary);
	puts("\t)");
	puts("\tfor ((i = 2; i < CURRENT; i++)); do");
	puts("\t\tcase $words[i] in");
	puts("\t\t--state|--docker-host) ((i++)) ;;");
	puts("\t\t-*) ;;");
	puts("\t\t*) cmd=$words[i]; break ;;");
	puts("\t\tesac");
	puts("\tdone");
	puts("\tif [[ -z $cmd ]]; then");
	puts("\t\t_describe -t commands 'deployctl command' cmds");
	puts("\t\treturn");
	puts("\tfi");
	puts("\tcase $words[CURRENT-1] in");
	puts("\t--repo|--dir|--env-file|--state|--manifests) _files; return ;;");
	puts("\tesac");
	puts("\tcase $cmd in");
	for (i = 0; cmd_table[i]; i++) {
		n = parse_cmd(opts, cmd_table[i]);
		printf("\t%s)\n\t\topts=(\n", cmd_table[i]->name);
		zsh_entry("--help", "describe the command's options");
		for (k = 0; k < n; k++)
			if (opts[k].longname[0] && strcmp(opts[k].longname, "--help"))
				zsh_entry(opts[k].longname, opts[k].text);
		puts("\t\t)\n\t\t;;");
	}
	puts("\tesac");
	puts("\tif [[ $cmd == help ]]; then _describe -t commands 'deployctl command' cmds; fi");
	puts("\t_describe -t options 'option' opts");
	puts("}");
	puts("_deployctl \"$@\"");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "man"))
		return gen_man(argv[2], argc > 3 ? argv[3] : NULL);
	if (argc == 2 && !strcmp(argv[1], "bash"))
		return gen_bash();
	if (argc == 2 && !strcmp(argv[1], "zsh"))
		return gen_zsh();
	fputs("usage: gen-docs man OUTDIR [HANDWRITTEN_DIR] | bash | zsh\n", stderr);
	return 2;
}
