/* The subcommands of `spikefuse`: each takes the arguments after its name, returns an exit code. */
#ifndef SF_CLI_COMMANDS_H
#define SF_CLI_COMMANDS_H

int cmd_list(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_tune(int argc, char **argv);
int cmd_reproduce(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_device(int argc, char **argv);
int cmd_storage_cost(int argc, char **argv);

#endif
