/*
 * mxray.c - the mxray command: one binary, one subcommand per job.
 *
 * SYNOPSIS
 *	mxray check [-c FILE] [--format text|json|html] DOMAIN
 *	mxray analyze [-c FILE] [--format text|json|html] [--client-ip IP]
 *		[--helo NAME] [--mail-from ADDR] [--probe] FILE|-
 *	mxray status [-c FILE]
 *	mxray render [-c FILE] [--format text|html|grade|mail] FILE|-
 *	mxray --help
 *
 * DESCRIPTION
 *	Dispatches to a subcommand through cli_commands[]; each subcommand
 *	gets argv starting at its own name and returns the exit status
 *	(0 done, 1 could not be done, 2 usage). Adding one is a file pair
 *	cli/<name>.{c,h} and one line in the table.
 * */
#include <stdio.h>
#include <string.h>

#include "analyze.h"
#include "check.h"
#include "findings.h"
#include "render.h"
#include "status.h"

typedef struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *synopsis;
} cli_command_t;

static const cli_command_t cli_commands[] = {
	{ "check", cli_check, "check [-c FILE] [--format text|json|html] DOMAIN" },
	{ "analyze", cli_analyze, "analyze [-c FILE] [--format text|json|html] [--client-ip IP] "
				  "[--helo NAME] [--mail-from ADDR] [--probe] FILE|-" },
	{ "status", cli_status, "status [-c FILE]" },
	{ "findings", cli_findings, "findings" },
	{ "render", cli_render, "render [-c FILE] [--format text|html|grade|mail] FILE|-" },
};

#define NCOMMANDS (sizeof(cli_commands) / sizeof(cli_commands[0]))

static void usage(FILE *out)
{
	fprintf(out, "usage: mxray COMMAND [ARGS]\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "       mxray %s\n", cli_commands[i].synopsis);
	fprintf(out, "       mxray --help\n"
		     "Each command takes --help. Exit 0 when done, 1 when it could not be done,\n"
		     "2 on usage errors.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(argv[1], cli_commands[i].name) == 0)
			return cli_commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "mxray: unknown command '%s'; see mxray --help\n", argv[1]);
	return 2;
}
