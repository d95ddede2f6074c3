/* `fairlabel topup run [--project N]`: this week's FW-6 top-ups, now, from the command line. */
#ifndef FL_TOPUP_CLI_H
#define FL_TOPUP_CLI_H

/* argv[0] is "run". Prints one line per project looked at; 0 on success, 1 on a failure, 2 on bad usage. */
int cli_topup_run(int argc, char **argv);

#endif
