/*
 * status.h - `mxray status`: the queues as an operator sees them.
 */
#ifndef MXRAY_CLI_STATUS_H
#define MXRAY_CLI_STATUS_H

/* cli_status - run `mxray status [-c FILE]`; returns the exit status. */
int cli_status(int argc, char **argv);

#endif
