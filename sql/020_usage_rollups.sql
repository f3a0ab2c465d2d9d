-- 020_usage_rollups: what the usage page and the /costs API read instead
-- of summing every bucket per request.  Each is kept in the transaction
-- of the costs or usage page that changed it (usage-collect.c), so it is
-- exactly the sum of the buckets stored, revisions included.
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
-- usage_id_total: every day's usage and costs per key, user and project
-- as the buckets name them (requests summed over every endpoint that
-- reports num_model_requests; amount, of costs); first and last day in
-- usage (u_*) and in costs (c_*).  A page's days are taken out before its
-- buckets are stored and put back after.  usage_key_user: which users a
-- key's usage carries (a user's costs are its keys').
--
-- usage_unmapped: the ids of usage_id_total that the org's current key,
-- user and project lists lack, with their spend, requests and first and
-- last day, as of the end of the last pull (both sides change only then).

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

CREATE TABLE usage_id_total (
  tenant_id     BIGINT         NOT NULL,
  org_id        BIGINT         NOT NULL,
  kind          VARCHAR(8)     NOT NULL,
  id            VARCHAR(128)   NOT NULL,
  requests      BIGINT         NOT NULL DEFAULT 0,
  amount        DECIMAL(38,18) NOT NULL DEFAULT 0,
  u_first       BIGINT         NULL,
  u_last        BIGINT         NULL,
  c_first       BIGINT         NULL,
  c_last        BIGINT         NULL,
  PRIMARY KEY (org_id, kind, id),
  KEY usage_id_total_tenant (tenant_id, org_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE usage_key_user (
  tenant_id     BIGINT        NOT NULL,
  org_id        BIGINT        NOT NULL,
  api_key_id    VARCHAR(128)  NOT NULL,
  user_id       VARCHAR(128)  NOT NULL,
  PRIMARY KEY (org_id, api_key_id, user_id),
  KEY usage_key_user_tenant (tenant_id, org_id)
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

ALTER TABLE usage_key_stat
  ADD COLUMN spend_90d DECIMAL(38,18) NOT NULL DEFAULT 0 AFTER spend_30d;

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

INSERT INTO usage_key_user (tenant_id, org_id, api_key_id, user_id)
  SELECT DISTINCT tenant_id, org_id, api_key_id, user_id FROM usage_bucket
  WHERE width = '1d' AND api_key_id IS NOT NULL AND user_id IS NOT NULL;

INSERT INTO usage_id_total (tenant_id, org_id, kind, id, requests, amount,
    u_first, u_last, c_first, c_last)
  SELECT MIN(tenant_id), org_id, kind, id, SUM(req), SUM(amount), MIN(u0),
    MAX(u1), MIN(c0), MAX(c1) FROM (
    SELECT tenant_id, org_id, 'api_key' AS kind, api_key_id AS id,
      COALESCE(requests, 0) AS req, CAST(0 AS DECIMAL(38,18)) AS amount,
      start_time AS u0, start_time AS u1, NULL AS c0, NULL AS c1
      FROM usage_bucket WHERE width = '1d' AND api_key_id IS NOT NULL
    UNION ALL
    SELECT tenant_id, org_id, 'user', user_id, COALESCE(requests, 0), 0,
      start_time, start_time, NULL, NULL
      FROM usage_bucket WHERE width = '1d' AND user_id IS NOT NULL
    UNION ALL
    SELECT tenant_id, org_id, 'project', project_id, COALESCE(requests, 0),
      0, start_time, start_time, NULL, NULL
      FROM usage_bucket WHERE width = '1d' AND project_id IS NOT NULL
    UNION ALL
    SELECT tenant_id, org_id, 'api_key', api_key_id, 0, amount, NULL, NULL,
      start_time, start_time FROM cost_bucket WHERE api_key_id IS NOT NULL
    UNION ALL
    SELECT tenant_id, org_id, 'project', project_id, 0, amount, NULL, NULL,
      start_time, start_time FROM cost_bucket WHERE project_id IS NOT NULL
  ) t GROUP BY org_id, kind, id;

INSERT INTO usage_unmapped (tenant_id, org_id, kind, id, amount, requests,
    first_day, last_day)
  SELECT MIN(t.tenant_id), t.org_id, t.kind, t.id, SUM(t.amount),
    SUM(t.req), MIN(t.d0), MAX(t.d1) FROM (
    SELECT tenant_id, org_id, kind, id, amount, requests AS req,
      LEAST(COALESCE(u_first, c_first), COALESCE(c_first, u_first)) AS d0,
      GREATEST(COALESCE(u_last, c_last), COALESCE(c_last, u_last)) AS d1
      FROM usage_id_total WHERE u_first IS NOT NULL OR c_first IS NOT NULL
    UNION ALL
    SELECT MIN(m.tenant_id), m.org_id, 'user', m.user_id, SUM(k.amount), 0,
      MIN(k.c_first), MAX(k.c_last)
      FROM usage_key_user m JOIN usage_id_total k ON k.org_id = m.org_id
        AND k.kind = 'api_key' AND k.id = m.api_key_id
        AND k.c_first IS NOT NULL
      GROUP BY m.org_id, m.user_id) t
  WHERE NOT ((t.kind = 'api_key' AND EXISTS (SELECT 1 FROM org_stream s
      JOIN oa_key k ON k.org_id = s.org_id AND k.stream = s.stream
        AND k.gen = s.gen
      WHERE s.org_id = t.org_id AND s.stream IN ('api_keys', 'admin_api_keys')
        AND k.id = t.id))
    OR (t.kind = 'user' AND EXISTS (SELECT 1 FROM org_stream s
      JOIN oa_user u ON u.org_id = s.org_id AND u.gen = s.gen
      WHERE s.org_id = t.org_id AND s.stream = 'users' AND u.id = t.id))
    OR (t.kind = 'project' AND EXISTS (SELECT 1 FROM org_stream s
      JOIN oa_project p ON p.org_id = s.org_id AND p.gen = s.gen
      WHERE s.org_id = t.org_id AND s.stream = 'projects' AND p.id = t.id)))
  GROUP BY t.org_id, t.kind, t.id;
