/* What a device hands over when it stops (revoked, replaced): its entries
 * the region has not accepted, written to a folder for someone to enter
 * again on another device. */
#ifndef CTS_HANDOVER_H
#define CTS_HANDOVER_H

#include "node.h"

/* Entries of this node not accepted by the region: when revoked after n°N,
 * those sealed after N and those not sealed; otherwise those not sealed
 * yet. Writes DIR/saisies-non-acceptees.csv (French Excel CSV: date,
 * table, record, operation, fields) and DIR/saisies-non-acceptees.json
 * (the same as a JSON array of {"hlc", "table", "id", "op", "set",
 * "sealed_seq"}), both 0600; DIR is created (0700) if missing. *count =
 * entries written. Reads only: works on a revoked or read-only node. */
int cts_handover_export(cts_node *n, const char *dir, int *count);

#endif
