/*
 * Crash points for the crash-consistency test (docs/ROBUSTNESS.md).
 *
 * Inert in normal use. When the environment variable CTSNODE_TEST_CRASH_AT
 * is set to N, the N-th crash point reached by the process kills it with
 * SIGKILL, as a power cut or an OOM kill would. The test harness runs a
 * command with N = 1, 2, 3 ... until it completes, and checks after each
 * kill that nothing acknowledged was lost and nothing is half-applied.
 */
#ifndef CTS_CRASHPOINT_H
#define CTS_CRASHPOINT_H

void cts_crashpoint(void);

#endif
