/* Embedded schema migrations (generated from schema/NNN_name.sql). */
#ifndef CTS_SCHEMA_H
#define CTS_SCHEMA_H

struct cts_migration {
	int version;
	const char *name;
	const char *sql;
};

extern const struct cts_migration cts_migrations[];
extern const int cts_migration_count;

#endif
