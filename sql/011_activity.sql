-- 011_activity: orgaudit's own audit trail: every action of its users
-- (signing in and out, accounts, passwords, second factors, tokens,
-- orgs, packs, billing, alert channels), per tenant, append-only and
-- hash-chained like the OpenAI copy: hash = SHA-256(prev_hash || body),
-- body the row's canonical JSON; the first row's prev_hash is 32 zero
-- bytes.  Tenant 0 holds what belongs to no tenant (a sign-in with an
-- unknown login).  activity_head is the chain's end, moved in the same
-- transaction as the row; 'orgaudit activity verify' recomputes it all.

CREATE TABLE activity (
  tenant_id   BIGINT        NOT NULL,
  seq         BIGINT        NOT NULL,
  at          BIGINT        NOT NULL,
  actor_type  VARCHAR(16)   NOT NULL,
  actor_id    VARCHAR(64)   NULL,
  address     VARCHAR(64)   NULL,
  action      VARCHAR(64)   NOT NULL,
  target      VARCHAR(128)  NULL,
  outcome     VARCHAR(16)   NOT NULL,
  body        BLOB          NOT NULL,
  prev_hash   BINARY(32)    NOT NULL,
  hash        BINARY(32)    NOT NULL,
  PRIMARY KEY (tenant_id, seq),
  KEY activity_action (tenant_id, action, seq),
  KEY activity_time (tenant_id, at, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE activity_head (
  tenant_id  BIGINT      NOT NULL,
  seq        BIGINT      NOT NULL,
  hash       BINARY(32)  NOT NULL,
  PRIMARY KEY (tenant_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TRIGGER activity_no_update BEFORE UPDATE ON activity
  FOR EACH ROW SIGNAL SQLSTATE '45000'
  SET MESSAGE_TEXT = 'activity is append-only: rows are never updated';

CREATE TRIGGER activity_no_delete BEFORE DELETE ON activity
  FOR EACH ROW SIGNAL SQLSTATE '45000'
  SET MESSAGE_TEXT = 'activity is append-only: rows are never deleted';
