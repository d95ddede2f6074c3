/* `fairlabel payouts batch|confirm`: the admin's payout batches from the command line (FW-9). */
#ifndef FL_PAYOUTS_CLI_H
#define FL_PAYOUTS_CLI_H

/* argv[0] is "payouts". Exit status 0, 1 when refused or the database fails, 2 for bad usage. */
int cli_payouts(int argc, char **argv);

#endif
