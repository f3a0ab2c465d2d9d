-- 020_usage_rollups: what the usage page and the /costs API read instead
-- of summing every bucket per request.  Each costs or completions page
-- marks, in its own transaction, the first day it changed
-- (usage_cursor.rollup_from); when the stream ends, the per-day tables
-- are summed again from that day and the mark cleared, in one
-- transaction, so each is exactly the sum of the buckets stored,
-- revisions included.  A pull that dies leaves the mark for the next.
--
-- cost_day: spend per day (every project), from cost_day_project.
--
-- cost_cum_project: per project, the running sum of its daily spend up
-- to and including start_time (amount) and how many of those days had a
-- cost row (n), for every day of cost_day from the project's first one
-- on: a range's spend per project is two rows' difference.
--
-- usage_day_model: completions per day and model, the model mix.
--
-- usage_unmapped: the key, user and project ids in the daily usage or the
-- costs that the org's current key, user and project lists lack, with
-- their spend, requests and first and last day, recomputed at the end of
-- each pull of usage or of those lists (both sides change only then);
-- empty until the first such pull.  usage_bucket gains an index per user
-- and per project so that the ids in it are found by a loose index scan
-- (a few rows per id), not by reading every bucket.

CREATE TABLE cost_day (
  tenant_id     BIGINT         NOT NULL,
  org_id        BIGINT         NOT NULL,
  start_time    BIGINT         NOT NULL,
  amount        DECIMAL(38,18) NOT NULL,
  currency      VARCHAR(16)    NOT NULL,
  PRIMARY KEY (org_id, start_time),
  KEY cost_day_tenant (tenant_id, start_time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE cost_cum_project (
  tenant_id     BIGINT         NOT NULL,
  org_id        BIGINT         NOT NULL,
  start_time    BIGINT         NOT NULL,
  project_id    VARCHAR(128)   NOT NULL,
  amount        DECIMAL(38,18) NOT NULL,
  n             BIGINT         NOT NULL,
  currency      VARCHAR(16)    NOT NULL,
  PRIMARY KEY (org_id, start_time, project_id),
  KEY cost_cum_project_tenant (tenant_id, org_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

ALTER TABLE cost_day_project
  ADD KEY cost_day_project_p (org_id, project_id, start_time);

CREATE TABLE usage_day_model (
  tenant_id     BIGINT        NOT NULL,
  org_id        BIGINT        NOT NULL,
  start_time    BIGINT        NOT NULL,
  model         VARCHAR(128)  NOT NULL,
  requests      BIGINT        NOT NULL,
  input_tokens  BIGINT        NOT NULL,
  output_tokens BIGINT        NOT NULL,
  PRIMARY KEY (org_id, start_time, model),
  KEY usage_day_model_tenant (tenant_id, org_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE usage_unmapped (
  tenant_id     BIGINT         NOT NULL,
  org_id        BIGINT         NOT NULL,
  kind          VARCHAR(8)     NOT NULL,
  id            VARCHAR(128)   NOT NULL,
  amount        DECIMAL(38,18) NOT NULL,
  requests      BIGINT         NOT NULL,
  first_day     BIGINT         NOT NULL,
  last_day      BIGINT         NOT NULL,
  PRIMARY KEY (org_id, kind, id),
  KEY usage_unmapped_tenant (tenant_id, org_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

ALTER TABLE usage_cursor
  ADD COLUMN rollup_from BIGINT NULL;

ALTER TABLE usage_bucket
  ADD KEY usage_bucket_user (org_id, width, user_id, start_time),
  ADD KEY usage_bucket_project (org_id, width, project_id, start_time);

-- What is stored already.
INSERT INTO cost_day (tenant_id, org_id, start_time, amount, currency)
  SELECT MIN(tenant_id), org_id, start_time, SUM(amount), MIN(currency)
  FROM cost_day_project GROUP BY org_id, start_time;

INSERT INTO cost_cum_project (tenant_id, org_id, start_time, project_id,
    amount, n, currency)
  SELECT d.tenant_id, d.org_id, d.start_time, p.project_id,
    SUM(COALESCE(c.amount, 0)) OVER (PARTITION BY d.org_id, p.project_id
      ORDER BY d.start_time),
    SUM(c.start_time IS NOT NULL) OVER (PARTITION BY d.org_id, p.project_id
      ORDER BY d.start_time), d.currency
  FROM cost_day d
  JOIN (SELECT org_id, project_id, MIN(start_time) AS first
        FROM cost_day_project GROUP BY org_id, project_id) p
    ON p.org_id = d.org_id AND d.start_time >= p.first
  LEFT JOIN cost_day_project c ON c.org_id = d.org_id
    AND c.start_time = d.start_time AND c.project_id = p.project_id;

INSERT INTO usage_day_model (tenant_id, org_id, start_time, model, requests,
    input_tokens, output_tokens)
  SELECT MIN(tenant_id), org_id, start_time, COALESCE(model, ''),
    SUM(COALESCE(requests, 0)), SUM(COALESCE(input_tokens, 0)),
    SUM(COALESCE(output_tokens, 0))
  FROM usage_bucket WHERE endpoint = 'completions' AND width = '1d'
  GROUP BY org_id, start_time, COALESCE(model, '');
