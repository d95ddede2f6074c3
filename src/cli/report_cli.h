/* `fairlabel report pay` (FW-10) and `fairlabel report fairwork` (FW-27). */
#ifndef FL_REPORT_CLI_H
#define FL_REPORT_CLI_H

/* argv[0] is "pay" or "fairwork". Exit status 0, 1 when the database cannot be read or the output written, 2 for
 * bad usage. */
int cli_report(int argc, char **argv);

#endif
