-- 005_audit: orgaudit's own copy of each org's OpenAI audit log.
--
-- audit_event is append-only: rows are inserted, never updated or
-- deleted (the triggers below refuse both, for every user).  Per org,
-- events are numbered 1, 2, 3… in the order stored (oldest first) and
-- chained: hash = SHA-256(prev_hash || body), body being the event's
-- canonical JSON with every email address replaced by its hash.  The
-- first row's prev_hash is 32 zero bytes.  'orgaudit events verify'
-- recomputes the chain.

CREATE TABLE audit_event (
  tenant_id           BIGINT       NOT NULL,
  org_id              BIGINT       NOT NULL,
  seq                 BIGINT       NOT NULL,
  id                  VARCHAR(128) NOT NULL,
  effective_at        BIGINT       NOT NULL,
  type                VARCHAR(128) NOT NULL,
  actor_type          VARCHAR(32)  NULL,
  actor_id            VARCHAR(128) NULL,
  actor_key_id        VARCHAR(128) NULL,
  actor_email_sha256  CHAR(64)     NULL,
  actor_email_prefix  VARCHAR(16)  NULL,
  project_id          VARCHAR(128) NULL,
  target_id           VARCHAR(128) NULL,
  body                MEDIUMBLOB   NOT NULL,
  prev_hash           BINARY(32)   NOT NULL,
  hash                BINARY(32)   NOT NULL,
  stored_at           BIGINT       NOT NULL,
  PRIMARY KEY (org_id, seq),
  UNIQUE KEY audit_event_id (org_id, id),
  KEY audit_event_time (org_id, effective_at),
  KEY audit_event_type (org_id, type, seq),
  KEY audit_event_actor (org_id, actor_id, seq),
  KEY audit_event_key (org_id, actor_key_id, seq),
  KEY audit_event_target (org_id, target_id, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The chain's head, and where the collector's walk has reached: the
-- newest event stored by walking forward (anchor) is where the next run
-- resumes.  Updated in the same transaction as the rows it covers.
-- reachable / populated: whether the key could read the audit log, and
-- whether it ever held an event (never: audit logging is probably off).
CREATE TABLE audit_state (
  tenant_id   BIGINT       NOT NULL,
  org_id      BIGINT       NOT NULL,
  head_seq    BIGINT       NOT NULL,
  head_hash   BINARY(32)   NOT NULL,
  anchor_id   VARCHAR(128) NULL,
  anchor_at   BIGINT       NULL,
  reachable   TINYINT      NOT NULL DEFAULT 0,
  populated   TINYINT      NOT NULL DEFAULT 0,
  checked_at  BIGINT       NOT NULL DEFAULT 0,
  PRIMARY KEY (org_id),
  KEY audit_state_tenant (tenant_id, org_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
  FOR EACH ROW SIGNAL SQLSTATE '45000'
  SET MESSAGE_TEXT = 'audit_event is append-only: rows are never updated';

CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
  FOR EACH ROW SIGNAL SQLSTATE '45000'
  SET MESSAGE_TEXT = 'audit_event is append-only: rows are never deleted';
