-- 014_locks: named locks that hold on a Galera cluster.
--
-- GET_LOCK() is local to the server it runs on: on Galera two nodes grant
-- "the same" lock at once.  SELECT ... FOR UPDATE is no better, since a
-- row lock is also taken on one node only, until its COMMIT is certified
-- against the others'.  A lock is therefore a row here, and holding it is
-- a lease: the holder wrote its name and an expiry with a conditional
-- UPDATE (... WHERE until_ms < now OR owner = me) that committed.  Two
-- takers on two nodes both update the row; certification lets one commit
-- and fails the other with 1213; on its retry it reads the winner's row
-- (wsrep_sync_wait) and matches nothing.  A holder that dies leaves the
-- row to expire; one that runs long renews it (until_ms) while it works.
--
-- 'orgaudit migrate' needs this table before it takes its lock, so it
-- runs this file first on every start; it is written to be re-run.
CREATE TABLE IF NOT EXISTS orgaudit_lock (
  name      VARCHAR(64)  NOT NULL,
  owner     VARCHAR(128) NULL,
  until_ms  BIGINT       NOT NULL DEFAULT 0,
  PRIMARY KEY (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
