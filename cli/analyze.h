/*
 * analyze.h - `mxray analyze`: the milter's analysis of a saved message.
 */
#ifndef MXRAY_CLI_ANALYZE_H
#define MXRAY_CLI_ANALYZE_H

/* cli_analyze - run `mxray analyze ... FILE|-` (argv[0] is "analyze");
 * returns the exit status: 0 report printed, 1 no report, 2 usage. */
int cli_analyze(int argc, char **argv);

#endif
