-- 019_usage: usage and costs, as OpenAI's buckets.  Not snapshots: each
-- bucket row is upserted by its key and holds the latest value served,
-- with how many times a closed bucket (one that had ended when read)
-- changed afterwards, and when it last did.
--
-- usage_bucket: one result of /organization/usage/<endpoint>, grouped by
-- the attribution fields the endpoint allows (project_id, user_id,
-- api_key_id, model; vector_stores and code_interpreter_sessions by
-- project only).  width is '1d' or '1h'; start_time the bucket's start
-- (Unix seconds, UTC; 1d buckets start at midnight).  grp: the first 16
-- bytes of SHA-256 over the group's four values (usage-collect.c), so
-- NULLs can take part in the key.  counters: every integer member of the
-- result as served, a JSON object; requests is its num_model_requests
-- (NULL where the endpoint has none) and the token columns likewise, for
-- sums without JSON.  extra: members that are neither counters nor
-- grouping fields, as served (unknown fields are kept), or NULL.
--
-- cost_bucket: one result of /organization/costs, 1d only, grouped by
-- project_id, line_item and api_key_id.  amount is exact: the decimal
-- text OpenAI served (number or string), never a float.  quantity and
-- its unit as served, or NULL.
--
-- usage_cursor: per stream and width, where the backfill started
-- (from_time) and the end of the last page stored (through): a pull that
-- stops mid-backfill resumes there.  Each pull also re-reads a trailing
-- revision window, so through never limits what is read again.
--
-- org.inventory_at / org.usage_at: when the org's inventory and usage
-- were last pulled (orgaudit-collect --all pulls what is due).

CREATE TABLE usage_bucket (
  tenant_id     BIGINT        NOT NULL,
  org_id        BIGINT        NOT NULL,
  endpoint      VARCHAR(32)   NOT NULL,
  width         CHAR(2)       NOT NULL,
  start_time    BIGINT        NOT NULL,
  grp           BINARY(16)    NOT NULL,
  project_id    VARCHAR(128)  NULL,
  user_id       VARCHAR(128)  NULL,
  api_key_id    VARCHAR(128)  NULL,
  model         VARCHAR(128)  NULL,
  requests      BIGINT        NULL,
  input_tokens  BIGINT        NULL,
  output_tokens BIGINT        NULL,
  counters      TEXT          NOT NULL,
  extra         TEXT          NULL,
  closed        TINYINT       NOT NULL,
  revisions     INT           NOT NULL DEFAULT 0,
  first_seen    BIGINT        NOT NULL,
  revised_at    BIGINT        NULL,
  run_id        BIGINT        NOT NULL,
  PRIMARY KEY (org_id, endpoint, width, start_time, grp),
  KEY usage_bucket_key (org_id, width, api_key_id, start_time, requests),
  KEY usage_bucket_day (org_id, width, start_time),
  KEY usage_bucket_tenant (tenant_id, org_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE cost_bucket (
  tenant_id     BIGINT         NOT NULL,
  org_id        BIGINT         NOT NULL,
  start_time    BIGINT         NOT NULL,
  grp           BINARY(16)     NOT NULL,
  project_id    VARCHAR(128)   NULL,
  line_item     VARCHAR(512)   NULL,
  api_key_id    VARCHAR(128)   NULL,
  amount        DECIMAL(38,18) NOT NULL,
  currency      VARCHAR(16)    NOT NULL,
  quantity      VARCHAR(64)    NULL,
  quantity_unit VARCHAR(64)    NULL,
  extra         TEXT           NULL,
  closed        TINYINT        NOT NULL,
  revisions     INT            NOT NULL DEFAULT 0,
  first_seen    BIGINT         NOT NULL,
  revised_at    BIGINT         NULL,
  run_id        BIGINT         NOT NULL,
  PRIMARY KEY (org_id, start_time, grp),
  KEY cost_bucket_project (org_id, project_id, start_time),
  KEY cost_bucket_key (org_id, api_key_id, start_time),
  KEY cost_bucket_tenant (tenant_id, org_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Spend per day and project, recomputed for the days a costs pull
-- touched: the pages and the /costs API by day or project read this, not
-- every line item of every key.  project_id '' stands for costs OpenAI
-- gives without a project.
CREATE TABLE cost_day_project (
  tenant_id     BIGINT         NOT NULL,
  org_id        BIGINT         NOT NULL,
  start_time    BIGINT         NOT NULL,
  project_id    VARCHAR(128)   NOT NULL,
  amount        DECIMAL(38,18) NOT NULL,
  currency      VARCHAR(16)    NOT NULL,
  PRIMARY KEY (org_id, start_time, project_id),
  KEY cost_day_project_tenant (tenant_id, start_time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE usage_cursor (
  tenant_id     BIGINT        NOT NULL,
  org_id        BIGINT        NOT NULL,
  stream        VARCHAR(48)   NOT NULL,
  width         CHAR(2)       NOT NULL,
  from_time     BIGINT        NOT NULL,
  through       BIGINT        NOT NULL,
  updated_at    BIGINT        NOT NULL,
  PRIMARY KEY (org_id, stream, width),
  KEY usage_cursor_tenant (tenant_id, org_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

ALTER TABLE org
  ADD COLUMN inventory_at BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN usage_at     BIGINT NOT NULL DEFAULT 0;

-- Per key, what the keys page and /keys show beside it, recomputed after
-- each usage or costs pull: spend (costs) and requests (usage, every
-- endpoint that reports num_model_requests) over the 30 days up to the
-- pull's day, inclusive, and the last UTC day with any usage.
CREATE TABLE usage_key_stat (
  tenant_id      BIGINT         NOT NULL,
  org_id         BIGINT         NOT NULL,
  api_key_id     VARCHAR(128)   NOT NULL,
  spend_30d      DECIMAL(38,18) NOT NULL,
  requests_30d   BIGINT         NOT NULL,
  last_usage_day BIGINT         NULL,
  as_of          BIGINT         NOT NULL,
  PRIMARY KEY (org_id, api_key_id),
  KEY usage_key_stat_tenant (tenant_id, org_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
