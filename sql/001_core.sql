-- 001_core: tenants, their keys and tokens, connected orgs, and the
-- collector's runs.  Every table holding customer data carries tenant_id.
-- Times are Unix seconds unless the column name ends in _ms.

CREATE TABLE tenant (
  id          BIGINT       NOT NULL AUTO_INCREMENT,
  name        VARCHAR(200) NOT NULL,
  created_at  BIGINT       NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY tenant_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The tenant's data key, wrapped (AES-256-GCM) by the master key whose
-- identifier is master_key_id.
CREATE TABLE tenant_key (
  tenant_id      BIGINT         NOT NULL,
  master_key_id  CHAR(16)       NOT NULL,
  wrapped        VARBINARY(128) NOT NULL,
  created_at     BIGINT         NOT NULL,
  rewrapped_at   BIGINT         NULL,
  PRIMARY KEY (tenant_id),
  CONSTRAINT tenant_key_tenant FOREIGN KEY (tenant_id) REFERENCES tenant (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- API tokens for /api/v1: only SHA-256 of the token is stored.
CREATE TABLE api_token (
  id          BIGINT       NOT NULL AUTO_INCREMENT,
  tenant_id   BIGINT       NOT NULL,
  name        VARCHAR(200) NOT NULL,
  token_hash  BINARY(32)   NOT NULL,
  created_at  BIGINT       NOT NULL,
  revoked_at  BIGINT       NULL,
  PRIMARY KEY (id),
  UNIQUE KEY api_token_hash (token_hash),
  KEY api_token_tenant (tenant_id),
  CONSTRAINT api_token_tenant FOREIGN KEY (tenant_id) REFERENCES tenant (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- A connected OpenAI organization.  key_sealed is the admin key sealed
-- with the tenant's data key; key_hint is its type and last 4 characters.
-- Collectors lease an org (lease_until, lease_owner) before pulling it,
-- so no org is pulled twice at once; collected_at_ms is when its last
-- run started.
CREATE TABLE org (
  id               BIGINT          NOT NULL AUTO_INCREMENT,
  tenant_id        BIGINT          NOT NULL,
  name             VARCHAR(200)    NOT NULL,
  openai_org       VARCHAR(128)    NULL,
  status           VARCHAR(16)     NOT NULL,
  key_sealed       VARBINARY(1024) NOT NULL,
  key_hint         VARCHAR(32)     NOT NULL,
  capabilities     TEXT            NOT NULL,
  connected_at     BIGINT          NOT NULL,
  disconnected_at  BIGINT          NULL,
  collected_at_ms  BIGINT          NOT NULL DEFAULT 0,
  lease_until      BIGINT          NOT NULL DEFAULT 0,
  lease_owner      VARCHAR(128)    NULL,
  last_run_id      BIGINT          NULL,
  PRIMARY KEY (id),
  KEY org_tenant (tenant_id, id),
  KEY org_lease (status, lease_until),
  CONSTRAINT org_tenant FOREIGN KEY (tenant_id) REFERENCES tenant (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One collector run over one org.
CREATE TABLE collect_run (
  id             BIGINT       NOT NULL AUTO_INCREMENT,
  tenant_id      BIGINT       NOT NULL,
  org_id         BIGINT       NOT NULL,
  started_at_ms  BIGINT       NOT NULL,
  ended_at_ms    BIGINT       NULL,
  status         VARCHAR(16)  NOT NULL,
  requests       INT          NOT NULL DEFAULT 0,
  host           VARCHAR(128) NOT NULL,
  error          TEXT         NULL,
  PRIMARY KEY (id),
  KEY collect_run_org (tenant_id, org_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One stream of one run: what was pulled and how it ended.
-- status: ok, skipped (403/404: the key cannot read it), failed.
CREATE TABLE collect_run_stream (
  run_id         BIGINT       NOT NULL,
  tenant_id      BIGINT       NOT NULL,
  org_id         BIGINT       NOT NULL,
  stream         VARCHAR(32)  NOT NULL,
  started_at_ms  BIGINT       NOT NULL,
  ended_at_ms    BIGINT       NOT NULL,
  pages          INT          NOT NULL,
  row_count      INT          NOT NULL,
  requests       INT          NOT NULL,
  retries        INT          NOT NULL,
  status         VARCHAR(16)  NOT NULL,
  http_status    INT          NULL,
  error          TEXT         NULL,
  PRIMARY KEY (run_id, stream),
  KEY collect_run_stream_org (tenant_id, org_id, stream, run_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
