/*
 * render.h - `mxray render`: a stored report (JSON) rendered again.
 */
#ifndef MXRAY_CLI_RENDER_H
#define MXRAY_CLI_RENDER_H

int cli_render(int argc, char **argv);

#endif
