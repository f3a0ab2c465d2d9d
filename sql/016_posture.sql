-- 016_posture: the org's settings as snapshots, one table per stream,
-- under generations as in 002_snapshots (org_stream says which is
-- current).  Per-project tables hold active projects only: archived
-- projects are not asked.
--
-- oa_model_permission (stream model_permissions): a project's model
-- policy.  mode is 'allow_list' or 'deny_list'; NULL when OpenAI answered
-- 404, which its specification does not document (unknown, not "no
-- policy"; docs/architecture.md).  model_ids: the JSON array as served.
-- oa_org_spend_alert, oa_project_spend_alert (streams spend_alerts,
-- project_spend_alerts): threshold_cents exactly as served (integer
-- cents); recipients is how many addresses the alert mails, never the
-- addresses.
-- oa_org_data_retention, oa_project_data_retention (streams
-- data_retention, project_data_retention): the retention type.
-- oa_rate_limit (stream rate_limits): a project's limit per model; NULL
-- where the model has no such limit.
-- oa_role (stream roles): the org's roles; permissions is a JSON array.
-- oa_user_role (stream user_roles): who holds which role.  direct: the
-- user holds it in its own right (no assignment sources); group_ids: the
-- JSON array of groups it comes from, or NULL.

CREATE TABLE oa_model_permission (
  tenant_id   BIGINT       NOT NULL,
  org_id      BIGINT       NOT NULL,
  gen         BIGINT       NOT NULL,
  project_id  VARCHAR(128) NOT NULL,
  mode        VARCHAR(16)  NULL,
  model_ids   MEDIUMTEXT   NULL,
  PRIMARY KEY (org_id, gen, project_id),
  KEY oa_model_permission_tenant (tenant_id, org_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE oa_org_spend_alert (
  tenant_id        BIGINT       NOT NULL,
  org_id           BIGINT       NOT NULL,
  gen              BIGINT       NOT NULL,
  id               VARCHAR(128) NOT NULL,
  threshold_cents  BIGINT       NOT NULL,
  currency         VARCHAR(16)  NULL,
  period           VARCHAR(16)  NULL,
  channel          VARCHAR(16)  NULL,
  recipients       INT          NOT NULL,
  PRIMARY KEY (org_id, gen, id),
  KEY oa_org_spend_alert_tenant (tenant_id, org_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE oa_project_spend_alert (
  tenant_id        BIGINT       NOT NULL,
  org_id           BIGINT       NOT NULL,
  gen              BIGINT       NOT NULL,
  project_id       VARCHAR(128) NOT NULL,
  id               VARCHAR(128) NOT NULL,
  threshold_cents  BIGINT       NOT NULL,
  currency         VARCHAR(16)  NULL,
  period           VARCHAR(16)  NULL,
  channel          VARCHAR(16)  NULL,
  recipients       INT          NOT NULL,
  PRIMARY KEY (org_id, gen, project_id, id),
  KEY oa_project_spend_alert_tenant (tenant_id, org_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE oa_org_data_retention (
  tenant_id  BIGINT       NOT NULL,
  org_id     BIGINT       NOT NULL,
  gen        BIGINT       NOT NULL,
  type       VARCHAR(64)  NOT NULL,
  PRIMARY KEY (org_id, gen),
  KEY oa_org_data_retention_tenant (tenant_id, org_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE oa_project_data_retention (
  tenant_id   BIGINT       NOT NULL,
  org_id      BIGINT       NOT NULL,
  gen         BIGINT       NOT NULL,
  project_id  VARCHAR(128) NOT NULL,
  type        VARCHAR(64)  NOT NULL,
  PRIMARY KEY (org_id, gen, project_id),
  KEY oa_project_data_retention_tenant (tenant_id, org_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE oa_rate_limit (
  tenant_id                         BIGINT       NOT NULL,
  org_id                            BIGINT       NOT NULL,
  gen                               BIGINT       NOT NULL,
  project_id                        VARCHAR(128) NOT NULL,
  id                                VARCHAR(128) NOT NULL,
  model                             VARCHAR(128) NOT NULL,
  max_requests_per_1_minute         BIGINT       NULL,
  max_tokens_per_1_minute           BIGINT       NULL,
  max_images_per_1_minute           BIGINT       NULL,
  max_audio_megabytes_per_1_minute  BIGINT       NULL,
  max_requests_per_1_day            BIGINT       NULL,
  batch_1_day_max_input_tokens      BIGINT       NULL,
  PRIMARY KEY (org_id, gen, project_id, id),
  KEY oa_rate_limit_tenant (tenant_id, org_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE oa_role (
  tenant_id      BIGINT       NOT NULL,
  org_id         BIGINT       NOT NULL,
  gen            BIGINT       NOT NULL,
  id             VARCHAR(128) NOT NULL,
  name           TEXT         NULL,
  description    TEXT         NULL,
  permissions    MEDIUMTEXT   NULL,
  resource_type  VARCHAR(64)  NULL,
  predefined     TINYINT      NOT NULL,
  PRIMARY KEY (org_id, gen, id),
  KEY oa_role_tenant (tenant_id, org_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE oa_user_role (
  tenant_id  BIGINT       NOT NULL,
  org_id     BIGINT       NOT NULL,
  gen        BIGINT       NOT NULL,
  user_id    VARCHAR(128) NOT NULL,
  role_id    VARCHAR(128) NOT NULL,
  role_name  TEXT         NULL,
  direct     TINYINT      NOT NULL,
  group_ids  MEDIUMTEXT   NULL,
  PRIMARY KEY (org_id, gen, user_id, role_id),
  KEY oa_user_role_role (org_id, gen, role_id),
  KEY oa_user_role_tenant (tenant_id, org_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
