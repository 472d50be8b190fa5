/*
 * check.h - `mxray check`: probe a domain in-process and print the report.
 */
#ifndef MXRAY_CLI_CHECK_H
#define MXRAY_CLI_CHECK_H

/* cli_check - run `mxray check [-c FILE] [--format F] DOMAIN` (argv[0] is
 * "check"); returns the exit status: 0 report printed, 1 no report, 2 usage. */
int cli_check(int argc, char **argv);

#endif
