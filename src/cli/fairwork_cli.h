/* `fairlabel report fairwork` (FW-27). */
#ifndef FL_FAIRWORK_CLI_H
#define FL_FAIRWORK_CLI_H

/* argv[0] is "fairwork". Exit status 0, 1 when the database cannot be read or the output written, 2 for bad usage. */
int cli_report_fairwork(int argc, char **argv);

#endif
