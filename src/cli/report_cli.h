/* `fairlabel report pay` (FW-10). */
#ifndef FL_REPORT_CLI_H
#define FL_REPORT_CLI_H

/* argv[0] is "pay". Exit status 0, 1 when the database cannot be read or the output written, 2 for bad usage. */
int cli_report_pay(int argc, char **argv);

#endif
