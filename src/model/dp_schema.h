/*
 * dp_schema: the SQL of the model, one migration per schema version.
 *
 * dp_migrations[i] takes a database from user_version i to i + 1.  A
 * migration that has shipped is FROZEN: it is literal SQL text, so that no
 * later change can alter it, and it shares no macro with the live
 * statements of dp_store.c (the column table src/model/dp_columns.h
 * drives those).  To change the schema, add the next migration; never
 * edit one above.  tests/unit/check_schema.c migrates a database from
 * schema 1 step by step and compares it with a fresh one, and compares
 * each version with its recorded schema (tests/data/schema-N.sql).
 *
 * The only names spliced into the text are the Status values
 * (DP_SQL_NONE ... of dp_store_int.h), stringified from the C constants
 * DP_STATUS_*: they are the class's values, which ConfigMgr never
 * renumbers, and C and SQL must agree on them.
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

#include "model/dp_store_int.h"

/*
 * A State in the inprogress bucket, and one whose first appearance is
 * announced (retrying or failed), spelled as comparisons: an IN list of
 * more than two constants makes SQLite build an ephemeral table each
 * time a trigger program runs, which was a quarter of the instructions
 * of a first import of summarizer rows.
 */
#define DP_SQL_DIST_INPROGRESS(row)					\
	row ".state = " DP_SQL_DIST_INSTALL_PENDING " OR "		\
	row ".state = " DP_SQL_DIST_REMOVAL_PENDING " OR "		\
	row ".state = " DP_SQL_DIST_CONTENT_UPDATING
#define DP_SQL_DIST_ANNOUNCED(row)					\
	"(" row ".state = " DP_SQL_DIST_INSTALL_RETRYING " OR "		\
	row ".state = " DP_SQL_DIST_INSTALL_FAILED " OR "		\
	row ".state = " DP_SQL_DIST_REMOVAL_RETRYING " OR "		\
	row ".state = " DP_SQL_DIST_REMOVAL_FAILED ")"

static const char *const dp_migrations[] = {
	/* 0 -> 1: the first schema. */
	"CREATE TABLE meta ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1), "
	"rows INTEGER NOT NULL DEFAULT 0, n_none INTEGER NOT NULL DEFAULT 0, "
	"n_updated INTEGER NOT NULL DEFAULT 0, n_added INTEGER NOT NULL "
	"DEFAULT 0, n_deleted INTEGER NOT NULL DEFAULT 0, n_other INTEGER "
	"NOT NULL DEFAULT 0, "
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
	"rows INTEGER NOT NULL DEFAULT 0, n_none INTEGER NOT NULL DEFAULT 0, "
	"n_updated INTEGER NOT NULL DEFAULT 0, n_added INTEGER NOT NULL "
	"DEFAULT 0, n_deleted INTEGER NOT NULL DEFAULT 0, n_other INTEGER "
	"NOT NULL DEFAULT 0, "
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
	"rows INTEGER NOT NULL DEFAULT 0, n_none INTEGER NOT NULL DEFAULT 0, "
	"n_updated INTEGER NOT NULL DEFAULT 0, n_added INTEGER NOT NULL "
	"DEFAULT 0, n_deleted INTEGER NOT NULL DEFAULT 0, n_other INTEGER "
	"NOT NULL DEFAULT 0);"
	"CREATE INDEX package_live ON package (idx) WHERE rows > 0;"

	/* Defaults are the class's (BitsEnabled false, LastRefreshTime
	 * 19900101000000.000000+***, strings "", Status none). */
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
	"  status INTEGER NOT NULL DEFAULT " DP_SQL_NONE ", "
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
	"CREATE INDEX outbox_open ON outbox (server_idx, package_idx, "
	"property) "
	"  WHERE acked_ms IS NULL;"

	/* Counts and change counter. */
	"CREATE TRIGGER dp_insert AFTER INSERT ON dp BEGIN "
	"  UPDATE server SET rows = rows + 1, "
	"n_none = n_none + (NEW.status = " DP_SQL_NONE "), "
	"n_updated = n_updated + (NEW.status = " DP_SQL_UPDATED "), "
	"n_added = n_added + (NEW.status = " DP_SQL_ADDED "), "
	"n_deleted = n_deleted + (NEW.status = " DP_SQL_DELETED "), "
	"n_other = n_other + (NEW.status NOT BETWEEN " DP_SQL_NONE
	" AND " DP_SQL_DELETED ")"
	"    WHERE idx = NEW.server_idx; "
	"  UPDATE package SET rows = rows + 1, "
	"n_none = n_none + (NEW.status = " DP_SQL_NONE "), "
	"n_updated = n_updated + (NEW.status = " DP_SQL_UPDATED "), "
	"n_added = n_added + (NEW.status = " DP_SQL_ADDED "), "
	"n_deleted = n_deleted + (NEW.status = " DP_SQL_DELETED "), "
	"n_other = n_other + (NEW.status NOT BETWEEN " DP_SQL_NONE
	" AND " DP_SQL_DELETED ")"
	" WHERE idx = NEW.package_idx; "
	"  UPDATE meta SET rows = rows + 1, "
	"n_none = n_none + (NEW.status = " DP_SQL_NONE "), "
	"n_updated = n_updated + (NEW.status = " DP_SQL_UPDATED "), "
	"n_added = n_added + (NEW.status = " DP_SQL_ADDED "), "
	"n_deleted = n_deleted + (NEW.status = " DP_SQL_DELETED "), "
	"n_other = n_other + (NEW.status NOT BETWEEN " DP_SQL_NONE
	" AND " DP_SQL_DELETED ")"
	", change_counter = change_counter + 1, "
	"    last_change_ms = "
	"CAST(round((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)"
	" WHERE id = 1; "
	"END;"

	"CREATE TRIGGER dp_delete AFTER DELETE ON dp BEGIN "
	"  UPDATE server SET rows = rows - 1, "
	"n_none = n_none - (OLD.status = " DP_SQL_NONE "), "
	"n_updated = n_updated - (OLD.status = " DP_SQL_UPDATED "), "
	"n_added = n_added - (OLD.status = " DP_SQL_ADDED "), "
	"n_deleted = n_deleted - (OLD.status = " DP_SQL_DELETED "), "
	"n_other = n_other - (OLD.status NOT BETWEEN " DP_SQL_NONE
	" AND " DP_SQL_DELETED ")"
	"    WHERE idx = OLD.server_idx; "
	"  UPDATE package SET rows = rows - 1, "
	"n_none = n_none - (OLD.status = " DP_SQL_NONE "), "
	"n_updated = n_updated - (OLD.status = " DP_SQL_UPDATED "), "
	"n_added = n_added - (OLD.status = " DP_SQL_ADDED "), "
	"n_deleted = n_deleted - (OLD.status = " DP_SQL_DELETED "), "
	"n_other = n_other - (OLD.status NOT BETWEEN " DP_SQL_NONE
	" AND " DP_SQL_DELETED ")"
	" WHERE idx = OLD.package_idx; "
	"  UPDATE meta SET rows = rows - 1, "
	"n_none = n_none - (OLD.status = " DP_SQL_NONE "), "
	"n_updated = n_updated - (OLD.status = " DP_SQL_UPDATED "), "
	"n_added = n_added - (OLD.status = " DP_SQL_ADDED "), "
	"n_deleted = n_deleted - (OLD.status = " DP_SQL_DELETED "), "
	"n_other = n_other - (OLD.status NOT BETWEEN " DP_SQL_NONE
	" AND " DP_SQL_DELETED ")"
	", change_counter = change_counter + 1, "
	"    last_change_ms = "
	"CAST(round((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)"
	" WHERE id = 1; "
	/* A removed row is a transition to deleted unless it was. */
	"  INSERT INTO status_event (server_idx, package_idx, package_id, "
	"    server_nal_path, site_code, status, prev_status, at_ms) "
	"  SELECT OLD.server_idx, OLD.package_idx, p.package_id, s.nal_path, "
	"    s.site_code, " DP_SQL_DELETED ", OLD.status, "
	"CAST(round((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)"
	"  FROM server s, package p "
	"  WHERE s.idx = OLD.server_idx AND p.idx = OLD.package_idx "
	"    AND OLD.status IS NOT " DP_SQL_DELETED "; "
	"END;"

	"CREATE TRIGGER dp_status AFTER UPDATE OF status ON dp "
	"WHEN OLD.status IS NOT NEW.status BEGIN "
	"  UPDATE server SET "
	"n_none = n_none + (NEW.status = " DP_SQL_NONE ") - "
	"(OLD.status = " DP_SQL_NONE "), "
	"n_updated = n_updated + (NEW.status = " DP_SQL_UPDATED ") - "
	"(OLD.status = " DP_SQL_UPDATED "), "
	"n_added = n_added + (NEW.status = " DP_SQL_ADDED ") - "
	"(OLD.status = " DP_SQL_ADDED "), "
	"n_deleted = n_deleted + (NEW.status = " DP_SQL_DELETED ") - "
	"(OLD.status = " DP_SQL_DELETED "), "
	"n_other = n_other + (NEW.status NOT BETWEEN " DP_SQL_NONE
	" AND " DP_SQL_DELETED ") - "
	"(OLD.status NOT BETWEEN " DP_SQL_NONE " AND " DP_SQL_DELETED ")"
	"    WHERE idx = NEW.server_idx; "
	"  UPDATE package SET "
	"n_none = n_none + (NEW.status = " DP_SQL_NONE ") - "
	"(OLD.status = " DP_SQL_NONE "), "
	"n_updated = n_updated + (NEW.status = " DP_SQL_UPDATED ") - "
	"(OLD.status = " DP_SQL_UPDATED "), "
	"n_added = n_added + (NEW.status = " DP_SQL_ADDED ") - "
	"(OLD.status = " DP_SQL_ADDED "), "
	"n_deleted = n_deleted + (NEW.status = " DP_SQL_DELETED ") - "
	"(OLD.status = " DP_SQL_DELETED "), "
	"n_other = n_other + (NEW.status NOT BETWEEN " DP_SQL_NONE
	" AND " DP_SQL_DELETED ") - "
	"(OLD.status NOT BETWEEN " DP_SQL_NONE " AND " DP_SQL_DELETED ")"
	"    WHERE idx = NEW.package_idx; "
	"  UPDATE meta SET "
	"n_none = n_none + (NEW.status = " DP_SQL_NONE ") - "
	"(OLD.status = " DP_SQL_NONE "), "
	"n_updated = n_updated + (NEW.status = " DP_SQL_UPDATED ") - "
	"(OLD.status = " DP_SQL_UPDATED "), "
	"n_added = n_added + (NEW.status = " DP_SQL_ADDED ") - "
	"(OLD.status = " DP_SQL_ADDED "), "
	"n_deleted = n_deleted + (NEW.status = " DP_SQL_DELETED ") - "
	"(OLD.status = " DP_SQL_DELETED "), "
	"n_other = n_other + (NEW.status NOT BETWEEN " DP_SQL_NONE
	" AND " DP_SQL_DELETED ") - "
	"(OLD.status NOT BETWEEN " DP_SQL_NONE " AND " DP_SQL_DELETED ")"
	"    WHERE id = 1; "
	"  INSERT INTO status_event (server_idx, package_idx, package_id, "
	"    server_nal_path, site_code, status, prev_status, at_ms) "
	"  SELECT NEW.server_idx, NEW.package_idx, p.package_id, s.nal_path, "
	"    s.site_code, NEW.status, OLD.status, "
	"CAST(round((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)"
	"  FROM server s, package p "
	"  WHERE s.idx = NEW.server_idx AND p.idx = NEW.package_idx; "
	"END;"

	/* The values of a row as of this migration: a column added later is
	 * a later migration's business. */
	"CREATE TRIGGER dp_change AFTER UPDATE ON dp "
	"WHEN (OLD.bits_enabled, OLD.is_peer_dp, OLD.is_protected, "
	"OLD.isv_data, OLD.isv_data_size, OLD.isv_string, "
	"OLD.last_refresh_time, OLD.object_type_id, OLD.package_type, "
	"OLD.refresh_now, OLD.resource_type, OLD.secure_object_id, "
	"OLD.site_name, OLD.source_site, OLD.status) IS NOT ("
	"NEW.bits_enabled, NEW.is_peer_dp, NEW.is_protected, "
	"NEW.isv_data, NEW.isv_data_size, NEW.isv_string, "
	"NEW.last_refresh_time, NEW.object_type_id, NEW.package_type, "
	"NEW.refresh_now, NEW.resource_type, NEW.secure_object_id, "
	"NEW.site_name, NEW.source_site, NEW.status) BEGIN "
	"  UPDATE meta SET change_counter = change_counter + 1, "
	"    last_change_ms = "
	"CAST(round((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)"
	" WHERE id = 1; "
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
	"CREATE INDEX outbox_open ON outbox (server_idx, package_idx, "
	"property) "
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

	/*
	 * 3 -> 4: distribution health, SMS_PackageStatusDistPointsSummarizer.
	 * Table dist has dp's key and shape; counts by State bucket (d_*)
	 * in server, package and meta; a server or package is live while it
	 * has a row of either class.  Its State transitions go to the same
	 * event log as Status transitions (kind 1; status and prev_status
	 * then hold States, -1 for no row), so both share one sequence.
	 */
	"ALTER TABLE status_event ADD COLUMN kind INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE meta ADD COLUMN d_rows INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE meta ADD COLUMN d_installed INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE meta ADD COLUMN d_inprogress INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE meta ADD COLUMN d_retrying INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE meta ADD COLUMN d_failed INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE meta ADD COLUMN d_other INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE server ADD COLUMN d_rows INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE server ADD COLUMN d_installed INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE server ADD COLUMN d_inprogress INTEGER NOT NULL DEFAULT "
	"0;"
	"ALTER TABLE server ADD COLUMN d_retrying INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE server ADD COLUMN d_failed INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE server ADD COLUMN d_other INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE package ADD COLUMN d_rows INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE package ADD COLUMN d_installed INTEGER NOT NULL DEFAULT "
	"0;"
	"ALTER TABLE package ADD COLUMN d_inprogress INTEGER NOT NULL "
	"DEFAULT 0;"
	"ALTER TABLE package ADD COLUMN d_retrying INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE package ADD COLUMN d_failed INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE package ADD COLUMN d_other INTEGER NOT NULL DEFAULT 0;"

	"CREATE TABLE dist ("
	"  server_idx INTEGER NOT NULL REFERENCES server (idx), "
	"  package_idx INTEGER NOT NULL REFERENCES package (idx), "
	"  state INTEGER NOT NULL, "
	"  source_version INTEGER NOT NULL DEFAULT 0, "
	"  last_copied TEXT NOT NULL "
	"    DEFAULT '1990-01-01T00:00:00.000000', "
	"  summary_date TEXT NOT NULL "
	"    DEFAULT '1990-01-01T00:00:00.000000', "
	"  source_nal_path TEXT NOT NULL DEFAULT '', "
	"  secured_type_id INTEGER NOT NULL DEFAULT 0, "
	"  state_since_ms INTEGER NOT NULL DEFAULT 0, "
	"  PRIMARY KEY (server_idx, package_idx)) WITHOUT ROWID;"

	/* Counts, change counter, and the event of a row that first
	 * appears retrying or failed. */
	"CREATE TRIGGER dist_insert AFTER INSERT ON dist BEGIN "
	"  UPDATE server SET "
	"d_rows = d_rows + 1, "
	"d_installed = d_installed + (NEW.state = " DP_SQL_DIST_INSTALLED "), "
	"d_inprogress = d_inprogress + (" DP_SQL_DIST_INPROGRESS("NEW") "), "
	"d_retrying = d_retrying + (NEW.state IN "
	"(" DP_SQL_DIST_INSTALL_RETRYING ", "
	DP_SQL_DIST_REMOVAL_RETRYING ")), "
	"d_failed = d_failed + (NEW.state IN "
	"(" DP_SQL_DIST_INSTALL_FAILED ", " DP_SQL_DIST_REMOVAL_FAILED ")), "
	"d_other = d_other + (NEW.state NOT BETWEEN "
	DP_SQL_DIST_INSTALLED " AND " DP_SQL_DIST_CONTENT_UPDATING ")"
	"    WHERE idx = NEW.server_idx; "
	"  UPDATE package SET "
	"d_rows = d_rows + 1, "
	"d_installed = d_installed + (NEW.state = " DP_SQL_DIST_INSTALLED "), "
	"d_inprogress = d_inprogress + (" DP_SQL_DIST_INPROGRESS("NEW") "), "
	"d_retrying = d_retrying + (NEW.state IN "
	"(" DP_SQL_DIST_INSTALL_RETRYING ", "
	DP_SQL_DIST_REMOVAL_RETRYING ")), "
	"d_failed = d_failed + (NEW.state IN "
	"(" DP_SQL_DIST_INSTALL_FAILED ", " DP_SQL_DIST_REMOVAL_FAILED ")), "
	"d_other = d_other + (NEW.state NOT BETWEEN "
	DP_SQL_DIST_INSTALLED " AND " DP_SQL_DIST_CONTENT_UPDATING ")"
	"    WHERE idx = NEW.package_idx; "
	"  UPDATE meta SET "
	"d_rows = d_rows + 1, "
	"d_installed = d_installed + (NEW.state = " DP_SQL_DIST_INSTALLED "), "
	"d_inprogress = d_inprogress + (" DP_SQL_DIST_INPROGRESS("NEW") "), "
	"d_retrying = d_retrying + (NEW.state IN "
	"(" DP_SQL_DIST_INSTALL_RETRYING ", "
	DP_SQL_DIST_REMOVAL_RETRYING ")), "
	"d_failed = d_failed + (NEW.state IN "
	"(" DP_SQL_DIST_INSTALL_FAILED ", " DP_SQL_DIST_REMOVAL_FAILED ")), "
	"d_other = d_other + (NEW.state NOT BETWEEN "
	DP_SQL_DIST_INSTALLED " AND " DP_SQL_DIST_CONTENT_UPDATING ")"
	", change_counter = change_counter + 1, last_change_ms = "
	"CAST(round((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)"
	" WHERE id = 1; "
	"  INSERT INTO status_event (kind, server_idx, package_idx, "
	"    package_id, server_nal_path, site_code, status, prev_status, "
	"    at_ms) "
	"  SELECT 1, NEW.server_idx, NEW.package_idx, p.package_id, "
	"    s.nal_path, s.site_code, NEW.state, " DP_SQL_DIST_ABSENT ", "
	"CAST(round((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)"
	"  FROM server s, package p "
	"  WHERE s.idx = NEW.server_idx AND p.idx = NEW.package_idx "
	"    AND " DP_SQL_DIST_ANNOUNCED("NEW") "; "
	"END;"

	/* A writer that did not say since when (plain SQL): now. */
	"CREATE TRIGGER dist_since AFTER INSERT ON dist "
	"WHEN NEW.state_since_ms = 0 BEGIN "
	"  UPDATE dist SET state_since_ms = "
	"CAST(round((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)"
	"    WHERE server_idx = NEW.server_idx "
	"    AND package_idx = NEW.package_idx; "
	"END;"

	"CREATE TRIGGER dist_delete AFTER DELETE ON dist BEGIN "
	"  UPDATE server SET "
	"d_rows = d_rows - 1, "
	"d_installed = d_installed - (OLD.state = " DP_SQL_DIST_INSTALLED "), "
	"d_inprogress = d_inprogress - (" DP_SQL_DIST_INPROGRESS("OLD") "), "
	"d_retrying = d_retrying - (OLD.state IN "
	"(" DP_SQL_DIST_INSTALL_RETRYING ", "
	DP_SQL_DIST_REMOVAL_RETRYING ")), "
	"d_failed = d_failed - (OLD.state IN "
	"(" DP_SQL_DIST_INSTALL_FAILED ", " DP_SQL_DIST_REMOVAL_FAILED ")), "
	"d_other = d_other - (OLD.state NOT BETWEEN "
	DP_SQL_DIST_INSTALLED " AND " DP_SQL_DIST_CONTENT_UPDATING ")"
	"    WHERE idx = OLD.server_idx; "
	"  UPDATE package SET "
	"d_rows = d_rows - 1, "
	"d_installed = d_installed - (OLD.state = " DP_SQL_DIST_INSTALLED "), "
	"d_inprogress = d_inprogress - (" DP_SQL_DIST_INPROGRESS("OLD") "), "
	"d_retrying = d_retrying - (OLD.state IN "
	"(" DP_SQL_DIST_INSTALL_RETRYING ", "
	DP_SQL_DIST_REMOVAL_RETRYING ")), "
	"d_failed = d_failed - (OLD.state IN "
	"(" DP_SQL_DIST_INSTALL_FAILED ", " DP_SQL_DIST_REMOVAL_FAILED ")), "
	"d_other = d_other - (OLD.state NOT BETWEEN "
	DP_SQL_DIST_INSTALLED " AND " DP_SQL_DIST_CONTENT_UPDATING ")"
	"    WHERE idx = OLD.package_idx; "
	"  UPDATE meta SET "
	"d_rows = d_rows - 1, "
	"d_installed = d_installed - (OLD.state = " DP_SQL_DIST_INSTALLED "), "
	"d_inprogress = d_inprogress - (" DP_SQL_DIST_INPROGRESS("OLD") "), "
	"d_retrying = d_retrying - (OLD.state IN "
	"(" DP_SQL_DIST_INSTALL_RETRYING ", "
	DP_SQL_DIST_REMOVAL_RETRYING ")), "
	"d_failed = d_failed - (OLD.state IN "
	"(" DP_SQL_DIST_INSTALL_FAILED ", " DP_SQL_DIST_REMOVAL_FAILED ")), "
	"d_other = d_other - (OLD.state NOT BETWEEN "
	DP_SQL_DIST_INSTALLED " AND " DP_SQL_DIST_CONTENT_UPDATING ")"
	", change_counter = change_counter + 1, last_change_ms = "
	"CAST(round((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)"
	" WHERE id = 1; "
	"  INSERT INTO status_event (kind, server_idx, package_idx, "
	"    package_id, server_nal_path, site_code, status, prev_status, "
	"    at_ms) "
	"  SELECT 1, OLD.server_idx, OLD.package_idx, p.package_id, "
	"    s.nal_path, s.site_code, " DP_SQL_DIST_ABSENT ", OLD.state, "
	"CAST(round((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)"
	"  FROM server s, package p "
	"  WHERE s.idx = OLD.server_idx AND p.idx = OLD.package_idx; "
	"END;"

	"CREATE TRIGGER dist_state AFTER UPDATE OF state ON dist "
	"WHEN OLD.state IS NOT NEW.state BEGIN "
	"  UPDATE server SET "
	"d_installed = d_installed + (NEW.state = " DP_SQL_DIST_INSTALLED ") "
	"- (OLD.state = " DP_SQL_DIST_INSTALLED "), "
	"d_inprogress = d_inprogress + (" DP_SQL_DIST_INPROGRESS("NEW") ") "
	"- (" DP_SQL_DIST_INPROGRESS("OLD") "), "
	"d_retrying = d_retrying + (NEW.state IN "
	"(" DP_SQL_DIST_INSTALL_RETRYING ", "
	DP_SQL_DIST_REMOVAL_RETRYING ")) - (OLD.state IN "
	"(" DP_SQL_DIST_INSTALL_RETRYING ", "
	DP_SQL_DIST_REMOVAL_RETRYING ")), "
	"d_failed = d_failed + (NEW.state IN "
	"(" DP_SQL_DIST_INSTALL_FAILED ", " DP_SQL_DIST_REMOVAL_FAILED ")) - "
	"(OLD.state IN (" DP_SQL_DIST_INSTALL_FAILED ", "
	DP_SQL_DIST_REMOVAL_FAILED ")), "
	"d_other = d_other + (NEW.state NOT BETWEEN "
	DP_SQL_DIST_INSTALLED " AND " DP_SQL_DIST_CONTENT_UPDATING ") - "
	"(OLD.state NOT BETWEEN " DP_SQL_DIST_INSTALLED " AND "
	DP_SQL_DIST_CONTENT_UPDATING ")"
	"    WHERE idx = NEW.server_idx; "
	"  UPDATE package SET "
	"d_installed = d_installed + (NEW.state = " DP_SQL_DIST_INSTALLED ") "
	"- (OLD.state = " DP_SQL_DIST_INSTALLED "), "
	"d_inprogress = d_inprogress + (" DP_SQL_DIST_INPROGRESS("NEW") ") "
	"- (" DP_SQL_DIST_INPROGRESS("OLD") "), "
	"d_retrying = d_retrying + (NEW.state IN "
	"(" DP_SQL_DIST_INSTALL_RETRYING ", "
	DP_SQL_DIST_REMOVAL_RETRYING ")) - (OLD.state IN "
	"(" DP_SQL_DIST_INSTALL_RETRYING ", "
	DP_SQL_DIST_REMOVAL_RETRYING ")), "
	"d_failed = d_failed + (NEW.state IN "
	"(" DP_SQL_DIST_INSTALL_FAILED ", " DP_SQL_DIST_REMOVAL_FAILED ")) - "
	"(OLD.state IN (" DP_SQL_DIST_INSTALL_FAILED ", "
	DP_SQL_DIST_REMOVAL_FAILED ")), "
	"d_other = d_other + (NEW.state NOT BETWEEN "
	DP_SQL_DIST_INSTALLED " AND " DP_SQL_DIST_CONTENT_UPDATING ") - "
	"(OLD.state NOT BETWEEN " DP_SQL_DIST_INSTALLED " AND "
	DP_SQL_DIST_CONTENT_UPDATING ")"
	"    WHERE idx = NEW.package_idx; "
	"  UPDATE meta SET "
	"d_installed = d_installed + (NEW.state = " DP_SQL_DIST_INSTALLED ") "
	"- (OLD.state = " DP_SQL_DIST_INSTALLED "), "
	"d_inprogress = d_inprogress + (" DP_SQL_DIST_INPROGRESS("NEW") ") "
	"- (" DP_SQL_DIST_INPROGRESS("OLD") "), "
	"d_retrying = d_retrying + (NEW.state IN "
	"(" DP_SQL_DIST_INSTALL_RETRYING ", "
	DP_SQL_DIST_REMOVAL_RETRYING ")) - (OLD.state IN "
	"(" DP_SQL_DIST_INSTALL_RETRYING ", "
	DP_SQL_DIST_REMOVAL_RETRYING ")), "
	"d_failed = d_failed + (NEW.state IN "
	"(" DP_SQL_DIST_INSTALL_FAILED ", " DP_SQL_DIST_REMOVAL_FAILED ")) - "
	"(OLD.state IN (" DP_SQL_DIST_INSTALL_FAILED ", "
	DP_SQL_DIST_REMOVAL_FAILED ")), "
	"d_other = d_other + (NEW.state NOT BETWEEN "
	DP_SQL_DIST_INSTALLED " AND " DP_SQL_DIST_CONTENT_UPDATING ") - "
	"(OLD.state NOT BETWEEN " DP_SQL_DIST_INSTALLED " AND "
	DP_SQL_DIST_CONTENT_UPDATING ")"
	"    WHERE id = 1; "
	"  UPDATE dist SET state_since_ms = "
	"CAST(round((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)"
	"    WHERE server_idx = NEW.server_idx "
	"    AND package_idx = NEW.package_idx; "
	"  INSERT INTO status_event (kind, server_idx, package_idx, "
	"    package_id, server_nal_path, site_code, status, prev_status, "
	"    at_ms) "
	"  SELECT 1, NEW.server_idx, NEW.package_idx, p.package_id, "
	"    s.nal_path, s.site_code, NEW.state, OLD.state, "
	"CAST(round((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)"
	"  FROM server s, package p "
	"  WHERE s.idx = NEW.server_idx AND p.idx = NEW.package_idx; "
	"END;"

	"CREATE TRIGGER dist_change AFTER UPDATE ON dist "
	"WHEN (OLD.state, OLD.source_version, OLD.last_copied, "
	"OLD.summary_date, OLD.source_nal_path, OLD.secured_type_id) IS NOT ("
	"NEW.state, NEW.source_version, NEW.last_copied, "
	"NEW.summary_date, NEW.source_nal_path, NEW.secured_type_id) BEGIN "
	"  UPDATE meta SET change_counter = change_counter + 1, "
	"    last_change_ms = "
	"CAST(round((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)"
	" WHERE id = 1; "
	"END;"

	"CREATE TRIGGER dist_key BEFORE UPDATE OF server_idx, package_idx "
	"ON dist WHEN OLD.server_idx IS NOT NEW.server_idx "
	"  OR OLD.package_idx IS NOT NEW.package_idx BEGIN "
	"  SELECT RAISE(ABORT, 'the index of a dist row cannot change'); "
	"END;"

	/* Live: a row of either class. */
	"DROP INDEX server_live;"
	"CREATE INDEX server_live ON server (idx) "
	"  WHERE rows > 0 OR d_rows > 0;"
	"DROP INDEX package_live;"
	"CREATE INDEX package_live ON package (idx) "
	"  WHERE rows > 0 OR d_rows > 0;"
	"DROP TRIGGER server_live;"
	"CREATE TRIGGER server_live AFTER UPDATE OF rows, d_rows ON server "
	"WHEN (OLD.rows > 0 OR OLD.d_rows > 0) IS NOT "
	"  (NEW.rows > 0 OR NEW.d_rows > 0) BEGIN "
	"  UPDATE meta SET servers = servers + "
	"    (NEW.rows > 0 OR NEW.d_rows > 0) - "
	"    (OLD.rows > 0 OR OLD.d_rows > 0) WHERE id = 1; "
	"END;"
	"DROP TRIGGER package_live;"
	"CREATE TRIGGER package_live AFTER UPDATE OF rows, d_rows ON package "
	"WHEN (OLD.rows > 0 OR OLD.d_rows > 0) IS NOT "
	"  (NEW.rows > 0 OR NEW.d_rows > 0) BEGIN "
	"  UPDATE meta SET packages = packages + "
	"    (NEW.rows > 0 OR NEW.d_rows > 0) - "
	"    (OLD.rows > 0 OR OLD.d_rows > 0) WHERE id = 1; "
	"END;"

	/* WMI compares the keys without regard to case: they are found so
	 * (ASCII case), and the first spelling seen is kept.  Not UNIQUE:
	 * an older database may hold two spellings already. */
	"CREATE INDEX server_key_nocase ON server ("
	"  nal_path COLLATE NOCASE, site_code COLLATE NOCASE);"
	"CREATE INDEX package_key_nocase ON package ("
	"  package_id COLLATE NOCASE);",
};

#define DP_MIGRATIONS ((int)(sizeof(dp_migrations) / sizeof(dp_migrations[0])))

#endif
