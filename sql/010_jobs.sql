-- 010_jobs: heavy work leaves the web request.
--
-- job: work the web, the API or cron asks for and orgaudit-worker does
-- (today: evidence packs), one job per tenant at a time.  inputs is the
-- SHA-256 of everything a pack would hold (org, period, the pulls as of
-- its end, the audit chain's head, the previous pack, the signing key):
-- a request whose inputs match a stored pack (evidence_pack.inputs) or a
-- job queued or running is answered with it, at no cost.  A worker
-- leases a job (lease_owner, lease_until); a job whose worker died is
-- taken again, at most three times.  live is 1 while a job is queued or
-- running, NULL after: no two live jobs have the same inputs.
--
-- api_token.scope: what a token may do: read (every GET), review
-- (access reviews), admin (what an owner may: make packs, see the
-- activity trail).  Tokens made before keep read.

CREATE TABLE job (
  id            BIGINT        NOT NULL AUTO_INCREMENT,
  tenant_id     BIGINT        NOT NULL,
  org_id        BIGINT        NOT NULL,
  kind          VARCHAR(16)   NOT NULL,
  period_start  BIGINT        NOT NULL,
  period_end    BIGINT        NOT NULL,
  inputs        CHAR(64)      NOT NULL,
  status        VARCHAR(16)   NOT NULL,
  done          BIGINT        NOT NULL DEFAULT 0,
  total         BIGINT        NOT NULL DEFAULT 0,
  attempts      INT           NOT NULL DEFAULT 0,
  pack_id       BIGINT        NULL,
  error         TEXT          NULL,
  made_by       VARCHAR(16)   NOT NULL,
  requested_by  VARCHAR(64)   NULL,
  created_at    BIGINT        NOT NULL,
  started_at    BIGINT        NULL,
  ended_at      BIGINT        NULL,
  lease_owner   VARCHAR(128)  NULL,
  lease_until   BIGINT        NOT NULL DEFAULT 0,
  live          TINYINT       NULL,
  PRIMARY KEY (id),
  UNIQUE KEY job_live (org_id, inputs, live),
  KEY job_queue (status, id),
  KEY job_tenant (tenant_id, created_at),
  KEY job_inputs (org_id, inputs, status),
  KEY job_org (tenant_id, org_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

ALTER TABLE evidence_pack ADD COLUMN inputs CHAR(64) NULL,
  ADD KEY evidence_pack_inputs (org_id, inputs);

ALTER TABLE api_token ADD COLUMN scope VARCHAR(16) NOT NULL DEFAULT 'read';
