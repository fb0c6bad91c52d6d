/*
 * dp_schema: the SQL of the model, one migration per schema version.
 *
 * migrations[i] takes a database from user_version i to i + 1.  Never edit
 * a migration that has shipped: add the next one.
 *
 * Why the shape:
 * - server and package keep their surrogate (AUTOINCREMENT: never reused)
 *   for as long as the database lives, even when their last row goes; a
 *   server or package with no rows is hidden (partial indexes *_live), and
 *   comes back under the same index if ConfigMgr exports it again.
 * - dp is WITHOUT ROWID on (server_idx, package_idx): SNMP order is the
 *   primary key's order, so GET and GETNEXT are one B-tree seek.
 * - Counts by Status (per server, per package, in total), the change
 *   counter and the status-event log are written by triggers in the same
 *   transaction as the change, whoever the writer is.
 */
#ifndef DP_SCHEMA_H
#define DP_SCHEMA_H

/* Milliseconds since the epoch, UTC, as SQL. */
#define DP_SQL_NOW_MS \
	"CAST(round((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)"

/* Bucket deltas for a status moving from O (or nothing) to N (or nothing),
 * as SET clauses of the tables that keep counts. */
#define DP_SQL_BUCKETS_ADD(N) \
	"n_none = n_none + (" N " = 0), " \
	"n_updated = n_updated + (" N " = 1), " \
	"n_added = n_added + (" N " = 2), " \
	"n_deleted = n_deleted + (" N " = 3), " \
	"n_other = n_other + (" N " NOT BETWEEN 0 AND 3)"
#define DP_SQL_BUCKETS_SUB(O) \
	"n_none = n_none - (" O " = 0), " \
	"n_updated = n_updated - (" O " = 1), " \
	"n_added = n_added - (" O " = 2), " \
	"n_deleted = n_deleted - (" O " = 3), " \
	"n_other = n_other - (" O " NOT BETWEEN 0 AND 3)"
#define DP_SQL_BUCKETS_MOVE(O, N) \
	"n_none = n_none + (" N " = 0) - (" O " = 0), " \
	"n_updated = n_updated + (" N " = 1) - (" O " = 1), " \
	"n_added = n_added + (" N " = 2) - (" O " = 2), " \
	"n_deleted = n_deleted + (" N " = 3) - (" O " = 3), " \
	"n_other = n_other + (" N " NOT BETWEEN 0 AND 3) - " \
	"(" O " NOT BETWEEN 0 AND 3)"

#define DP_SQL_COUNT_COLUMNS \
	"rows INTEGER NOT NULL DEFAULT 0, " \
	"n_none INTEGER NOT NULL DEFAULT 0, " \
	"n_updated INTEGER NOT NULL DEFAULT 0, " \
	"n_added INTEGER NOT NULL DEFAULT 0, " \
	"n_deleted INTEGER NOT NULL DEFAULT 0, " \
	"n_other INTEGER NOT NULL DEFAULT 0"

/* Every column of dp but the key, for change detection. */
#define DP_SQL_VALUE_COLUMNS(P) \
	P "bits_enabled, " P "is_peer_dp, " P "is_protected, " \
	P "isv_data, " P "isv_data_size, " P "isv_string, " \
	P "last_refresh_time, " P "object_type_id, " P "package_type, " \
	P "refresh_now, " P "resource_type, " P "secure_object_id, " \
	P "site_name, " P "source_site, " P "status"

static const char *const dp_migrations[] = {
	/* 0 -> 1: the first schema. */
	"CREATE TABLE meta ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1), "
	DP_SQL_COUNT_COLUMNS ", "
	"  servers INTEGER NOT NULL DEFAULT 0, "
	"  packages INTEGER NOT NULL DEFAULT 0, "
	"  change_counter INTEGER NOT NULL DEFAULT 0, "
	"  last_change_ms INTEGER NOT NULL DEFAULT 0, "
	"  last_import_ms INTEGER NOT NULL DEFAULT 0, "
	"  pending_writes INTEGER NOT NULL DEFAULT 0);"
	"INSERT INTO meta (id) VALUES (1);"

	"CREATE TABLE server ("
	"  idx INTEGER PRIMARY KEY AUTOINCREMENT, "
	"  nal_path TEXT NOT NULL, "
	"  site_code TEXT NOT NULL, "
	"  name TEXT NOT NULL, "
	DP_SQL_COUNT_COLUMNS ", "
	"  UNIQUE (nal_path, site_code));"
	"CREATE INDEX server_live ON server (idx) WHERE rows > 0;"

	"CREATE TABLE package ("
	"  idx INTEGER PRIMARY KEY AUTOINCREMENT, "
	"  package_id TEXT NOT NULL UNIQUE, "
	"  package_type INTEGER NOT NULL DEFAULT 0, "
	"  object_type_id INTEGER NOT NULL DEFAULT 0, "
	"  secure_object_id TEXT NOT NULL DEFAULT '', "
	"  source_site TEXT NOT NULL DEFAULT '', "
	"  site_name TEXT NOT NULL DEFAULT '', "
	DP_SQL_COUNT_COLUMNS ");"
	"CREATE INDEX package_live ON package (idx) WHERE rows > 0;"

	/* Defaults are the class's (BitsEnabled false, LastRefreshTime
	 * 19900101000000.000000+***, strings ""). */
	"CREATE TABLE dp ("
	"  server_idx INTEGER NOT NULL REFERENCES server (idx), "
	"  package_idx INTEGER NOT NULL REFERENCES package (idx), "
	"  bits_enabled INTEGER NOT NULL DEFAULT 0, "
	"  is_peer_dp INTEGER NOT NULL DEFAULT 0, "
	"  is_protected INTEGER NOT NULL DEFAULT 0, "
	"  isv_data BLOB NOT NULL DEFAULT x'', "
	"  isv_data_size INTEGER NOT NULL DEFAULT 0, "
	"  isv_string TEXT NOT NULL DEFAULT '', "
	"  last_refresh_time TEXT NOT NULL "
	"    DEFAULT '1990-01-01T00:00:00.000000', "
	"  object_type_id INTEGER NOT NULL DEFAULT 0, "
	"  package_type INTEGER NOT NULL DEFAULT 0, "
	"  refresh_now INTEGER NOT NULL DEFAULT 0, "
	"  resource_type TEXT NOT NULL DEFAULT '', "
	"  secure_object_id TEXT NOT NULL DEFAULT '', "
	"  site_name TEXT NOT NULL DEFAULT '', "
	"  source_site TEXT NOT NULL DEFAULT '', "
	"  status INTEGER NOT NULL DEFAULT 0, "
	"  PRIMARY KEY (server_idx, package_idx)) WITHOUT ROWID;"

	/* One row per Status transition.  Keys are copied, not referenced:
	 * the notification must describe the transition even after the row
	 * changed again or was removed. */
	"CREATE TABLE status_event ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT, "
	"  server_idx INTEGER NOT NULL, "
	"  package_idx INTEGER NOT NULL, "
	"  package_id TEXT NOT NULL, "
	"  server_nal_path TEXT NOT NULL, "
	"  site_code TEXT NOT NULL, "
	"  status INTEGER NOT NULL, "
	"  prev_status INTEGER NOT NULL, "
	"  at_ms INTEGER NOT NULL, "
	"  delivered_ms INTEGER);"
	"CREATE INDEX status_event_undelivered ON status_event (seq) "
	"  WHERE delivered_ms IS NULL;"

	/* Writes made over SNMP, waiting for ConfigMgr to apply them. */
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT, "
	"  server_idx INTEGER NOT NULL, "
	"  package_idx INTEGER NOT NULL, "
	"  package_id TEXT NOT NULL, "
	"  server_nal_path TEXT NOT NULL, "
	"  site_code TEXT NOT NULL, "
	"  property TEXT NOT NULL "
	"    CHECK (property IN ('RefreshNow', 'ISVString')), "
	"  old_value TEXT, "
	"  new_value TEXT, "
	"  requested_ms INTEGER NOT NULL, "
	"  request_id INTEGER, "
	"  origin TEXT, "
	"  acked_ms INTEGER);"
	"CREATE INDEX outbox_open ON outbox (server_idx, package_idx, property) "
	"  WHERE acked_ms IS NULL;"

	/* Counts and change counter. */
	"CREATE TRIGGER dp_insert AFTER INSERT ON dp BEGIN "
	"  UPDATE server SET rows = rows + 1, " DP_SQL_BUCKETS_ADD("NEW.status")
	"    WHERE idx = NEW.server_idx; "
	"  UPDATE package SET rows = rows + 1, "
	DP_SQL_BUCKETS_ADD("NEW.status") " WHERE idx = NEW.package_idx; "
	"  UPDATE meta SET rows = rows + 1, " DP_SQL_BUCKETS_ADD("NEW.status")
	", change_counter = change_counter + 1, "
	"    last_change_ms = " DP_SQL_NOW_MS " WHERE id = 1; "
	"END;"

	"CREATE TRIGGER dp_delete AFTER DELETE ON dp BEGIN "
	"  UPDATE server SET rows = rows - 1, " DP_SQL_BUCKETS_SUB("OLD.status")
	"    WHERE idx = OLD.server_idx; "
	"  UPDATE package SET rows = rows - 1, "
	DP_SQL_BUCKETS_SUB("OLD.status") " WHERE idx = OLD.package_idx; "
	"  UPDATE meta SET rows = rows - 1, " DP_SQL_BUCKETS_SUB("OLD.status")
	", change_counter = change_counter + 1, "
	"    last_change_ms = " DP_SQL_NOW_MS " WHERE id = 1; "
	/* A removed row is a transition to deleted(3) unless it was. */
	"  INSERT INTO status_event (server_idx, package_idx, package_id, "
	"    server_nal_path, site_code, status, prev_status, at_ms) "
	"  SELECT OLD.server_idx, OLD.package_idx, p.package_id, s.nal_path, "
	"    s.site_code, 3, OLD.status, " DP_SQL_NOW_MS
	"  FROM server s, package p "
	"  WHERE s.idx = OLD.server_idx AND p.idx = OLD.package_idx "
	"    AND OLD.status IS NOT 3; "
	"END;"

	"CREATE TRIGGER dp_status AFTER UPDATE OF status ON dp "
	"WHEN OLD.status IS NOT NEW.status BEGIN "
	"  UPDATE server SET "
	DP_SQL_BUCKETS_MOVE("OLD.status", "NEW.status")
	"    WHERE idx = NEW.server_idx; "
	"  UPDATE package SET "
	DP_SQL_BUCKETS_MOVE("OLD.status", "NEW.status")
	"    WHERE idx = NEW.package_idx; "
	"  UPDATE meta SET " DP_SQL_BUCKETS_MOVE("OLD.status", "NEW.status")
	"    WHERE id = 1; "
	"  INSERT INTO status_event (server_idx, package_idx, package_id, "
	"    server_nal_path, site_code, status, prev_status, at_ms) "
	"  SELECT NEW.server_idx, NEW.package_idx, p.package_id, s.nal_path, "
	"    s.site_code, NEW.status, OLD.status, " DP_SQL_NOW_MS
	"  FROM server s, package p "
	"  WHERE s.idx = NEW.server_idx AND p.idx = NEW.package_idx; "
	"END;"

	"CREATE TRIGGER dp_change AFTER UPDATE ON dp "
	"WHEN (" DP_SQL_VALUE_COLUMNS("OLD.") ") IS NOT ("
	DP_SQL_VALUE_COLUMNS("NEW.") ") BEGIN "
	"  UPDATE meta SET change_counter = change_counter + 1, "
	"    last_change_ms = " DP_SQL_NOW_MS " WHERE id = 1; "
	"END;"

	/* The index is the row's identity for managers: never move a row. */
	"CREATE TRIGGER dp_key BEFORE UPDATE OF server_idx, package_idx ON dp "
	"WHEN OLD.server_idx IS NOT NEW.server_idx "
	"  OR OLD.package_idx IS NOT NEW.package_idx BEGIN "
	"  SELECT RAISE(ABORT, 'the index of a dp row cannot change'); "
	"END;"

	/* Live servers and packages (at least one row). */
	"CREATE TRIGGER server_live AFTER UPDATE OF rows ON server "
	"WHEN (OLD.rows > 0) IS NOT (NEW.rows > 0) BEGIN "
	"  UPDATE meta SET servers = servers + (NEW.rows > 0) - (OLD.rows > 0) "
	"    WHERE id = 1; "
	"END;"
	"CREATE TRIGGER package_live AFTER UPDATE OF rows ON package "
	"WHEN (OLD.rows > 0) IS NOT (NEW.rows > 0) BEGIN "
	"  UPDATE meta SET packages = packages + (NEW.rows > 0) - "
	"    (OLD.rows > 0) WHERE id = 1; "
	"END;"

	/* Writes waiting for ConfigMgr. */
	"CREATE TRIGGER outbox_insert AFTER INSERT ON outbox "
	"WHEN NEW.acked_ms IS NULL BEGIN "
	"  UPDATE meta SET pending_writes = pending_writes + 1 WHERE id = 1; "
	"END;"
	"CREATE TRIGGER outbox_ack AFTER UPDATE OF acked_ms ON outbox "
	"WHEN (OLD.acked_ms IS NULL) IS NOT (NEW.acked_ms IS NULL) BEGIN "
	"  UPDATE meta SET pending_writes = pending_writes + "
	"    (NEW.acked_ms IS NULL) - (OLD.acked_ms IS NULL) WHERE id = 1; "
	"END;"
	"CREATE TRIGGER outbox_delete AFTER DELETE ON outbox "
	"WHEN OLD.acked_ms IS NULL BEGIN "
	"  UPDATE meta SET pending_writes = pending_writes - 1 WHERE id = 1; "
	"END;",

	/*
	 * 1 -> 2: a refresh request can be withdrawn (dpRefreshNow := false)
	 * before ConfigMgr acknowledges it.  A write is pending while it is
	 * neither acknowledged nor withdrawn.
	 */
	"ALTER TABLE outbox ADD COLUMN withdrawn_ms INTEGER;"
	"ALTER TABLE outbox ADD COLUMN withdrawn_request_id INTEGER;"
	"DROP INDEX outbox_open;"
	"CREATE INDEX outbox_open ON outbox (server_idx, package_idx, property) "
	"  WHERE acked_ms IS NULL AND withdrawn_ms IS NULL;"
	"DROP TRIGGER outbox_insert;"
	"DROP TRIGGER outbox_ack;"
	"DROP TRIGGER outbox_delete;"
	"CREATE TRIGGER outbox_insert AFTER INSERT ON outbox "
	"WHEN NEW.acked_ms IS NULL AND NEW.withdrawn_ms IS NULL BEGIN "
	"  UPDATE meta SET pending_writes = pending_writes + 1 WHERE id = 1; "
	"END;"
	"CREATE TRIGGER outbox_state AFTER UPDATE OF acked_ms, withdrawn_ms "
	"ON outbox WHEN (OLD.acked_ms IS NULL AND OLD.withdrawn_ms IS NULL) "
	"  IS NOT (NEW.acked_ms IS NULL AND NEW.withdrawn_ms IS NULL) BEGIN "
	"  UPDATE meta SET pending_writes = pending_writes + "
	"    (NEW.acked_ms IS NULL AND NEW.withdrawn_ms IS NULL) - "
	"    (OLD.acked_ms IS NULL AND OLD.withdrawn_ms IS NULL) WHERE id = 1; "
	"END;"
	"CREATE TRIGGER outbox_delete AFTER DELETE ON outbox "
	"WHEN OLD.acked_ms IS NULL AND OLD.withdrawn_ms IS NULL BEGIN "
	"  UPDATE meta SET pending_writes = pending_writes - 1 WHERE id = 1; "
	"END;",

	/*
	 * 2 -> 3: past notifyBacklog, dpagentd sends one dpStatusSummary for
	 * a range of events instead of one dpStatusChange each.  Those events
	 * are delivered (delivered_ms) as counted in the summary whose last
	 * event is summary_seq; NULL: sent one by one.
	 */
	"ALTER TABLE status_event ADD COLUMN summary_seq INTEGER;",
};

#define DP_MIGRATIONS ((int)(sizeof(dp_migrations) / sizeof(dp_migrations[0])))

#endif
