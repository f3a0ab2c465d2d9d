-- 008_origins: what pages join instead of searching, so that no plan the
-- optimizer picks can make a page of 50 rows read a whole org.
--
-- audit_origin: who created or added each object, from its first event
-- of a creating type (api_key.created, user.added, project.created,
-- service_account.created, invite.sent).  Written with the events, in
-- the same transaction, first event wins (INSERT IGNORE in chain order);
-- a page finds a row's origin by the primary key.  scope '' is the first
-- such event over the org; an event scoped to a project also counts as
-- the first within that project (scope = the project's id): user.added
-- adds a user to a project, so a project's members have their own.  Derived from
-- audit_event: the chain stays the record, this is its index.
--
-- oa_key_project now orders a project's keys by id, so a page of the
-- keys list filtered by project is a range read too.
--
-- oa_key_count: per project, how many keys, stale keys and orphan keys
-- the api_keys stream's pull holds, under that pull's generation and
-- purged with it.  The projects page joins it instead of counting.

CREATE TABLE audit_origin (
  tenant_id           BIGINT       NOT NULL,
  org_id              BIGINT       NOT NULL,
  target_id           VARCHAR(128) NOT NULL,
  type                VARCHAR(128) NOT NULL,
  scope               VARCHAR(128) NOT NULL,
  seq                 BIGINT       NOT NULL,
  event_id            VARCHAR(128) NOT NULL,
  effective_at        BIGINT       NOT NULL,
  actor_type          VARCHAR(32)  NULL,
  actor_id            VARCHAR(128) NULL,
  actor_email_prefix  VARCHAR(16)  NULL,
  PRIMARY KEY (org_id, target_id, type, scope),
  KEY audit_origin_tenant (tenant_id, org_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

INSERT IGNORE INTO audit_origin (tenant_id, org_id, target_id, type, scope,
  seq, event_id, effective_at, actor_type, actor_id, actor_email_prefix)
  SELECT tenant_id, org_id, target_id, type, '', seq, id, effective_at,
    actor_type, actor_id, actor_email_prefix
  FROM audit_event
  WHERE target_id IS NOT NULL AND type IN ('api_key.created', 'user.added',
    'project.created', 'service_account.created', 'invite.sent')
  ORDER BY org_id, seq;

INSERT IGNORE INTO audit_origin (tenant_id, org_id, target_id, type, scope,
  seq, event_id, effective_at, actor_type, actor_id, actor_email_prefix)
  SELECT tenant_id, org_id, target_id, type, project_id, seq, id,
    effective_at, actor_type, actor_id, actor_email_prefix
  FROM audit_event
  WHERE target_id IS NOT NULL AND project_id IS NOT NULL
    AND type IN ('api_key.created', 'user.added', 'project.created',
    'service_account.created', 'invite.sent')
  ORDER BY org_id, seq;

CREATE TABLE oa_key_count (
  tenant_id   BIGINT       NOT NULL,
  org_id      BIGINT       NOT NULL,
  gen         BIGINT       NOT NULL,
  project_id  VARCHAR(128) NOT NULL,
  total       INT          NOT NULL,
  stale       INT          NOT NULL,
  orphan      INT          NOT NULL,
  PRIMARY KEY (org_id, gen, project_id),
  KEY oa_key_count_tenant (tenant_id, org_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

INSERT INTO oa_key_count (tenant_id, org_id, gen, project_id, total, stale,
  orphan)
  SELECT tenant_id, org_id, gen, project_id, COUNT(*), SUM(stale),
    SUM(orphan)
  FROM oa_key WHERE stream = 'api_keys' AND project_id IS NOT NULL
  GROUP BY tenant_id, org_id, gen, project_id;

ALTER TABLE oa_key DROP INDEX oa_key_project,
  ADD INDEX oa_key_project (org_id, project_id, id);
