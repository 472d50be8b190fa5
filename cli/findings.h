/*
 * findings.h - `mxray findings`: the findings catalogue as Markdown
 * (docs/findings.md is this command's output).
 */
#ifndef MXRAY_CLI_FINDINGS_H
#define MXRAY_CLI_FINDINGS_H

int cli_findings(int argc, char **argv);

#endif
