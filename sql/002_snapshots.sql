-- 002_snapshots: the org's state as of its last good pull of each stream.
--
-- A pull writes its rows under a new generation number; once the stream
-- is complete, one UPDATE of org_stream makes that generation current
-- and older generations are deleted.  Readers join on org_stream.gen, so
-- they see the previous pull or the new one, never half of one.

CREATE TABLE org_stream (
  tenant_id  BIGINT      NOT NULL,
  org_id     BIGINT      NOT NULL,
  stream     VARCHAR(32) NOT NULL,
  gen        BIGINT      NOT NULL,
  pulled_at  BIGINT      NOT NULL,
  run_id     BIGINT      NOT NULL,
  row_count  INT         NOT NULL,
  PRIMARY KEY (org_id, stream),
  KEY org_stream_tenant (tenant_id, org_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Users: no name and no address, only the SHA-256 of the normalised
-- address and its first four characters.
CREATE TABLE oa_user (
  tenant_id           BIGINT       NOT NULL,
  org_id              BIGINT       NOT NULL,
  gen                 BIGINT       NOT NULL,
  id                  VARCHAR(128) NOT NULL,
  email_sha256        CHAR(64)     NULL,
  email_prefix        VARCHAR(16)  NULL,
  role                VARCHAR(32)  NULL,
  added_at            BIGINT       NULL,
  is_service_account  TINYINT      NOT NULL DEFAULT 0,
  PRIMARY KEY (org_id, gen, id),
  KEY oa_user_tenant (tenant_id, org_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE oa_project (
  tenant_id    BIGINT       NOT NULL,
  org_id       BIGINT       NOT NULL,
  gen          BIGINT       NOT NULL,
  id           VARCHAR(128) NOT NULL,
  name         TEXT         NULL,
  status       VARCHAR(32)  NULL,
  created_at   BIGINT       NULL,
  archived_at  BIGINT       NULL,
  PRIMARY KEY (org_id, gen, id),
  KEY oa_project_tenant (tenant_id, org_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Project API keys (stream api_keys) and admin keys (stream
-- admin_api_keys) with their findings as of the pull.  The key itself is
-- never stored: redacted is its type prefix and last 4 characters.
CREATE TABLE oa_key (
  tenant_id      BIGINT       NOT NULL,
  org_id         BIGINT       NOT NULL,
  stream         VARCHAR(32)  NOT NULL,
  gen            BIGINT       NOT NULL,
  id             VARCHAR(128) NOT NULL,
  project_id     VARCHAR(128) NULL,
  type           VARCHAR(16)  NOT NULL,
  redacted       VARCHAR(32)  NOT NULL,
  name           TEXT         NULL,
  created_at     BIGINT       NULL,
  last_used_at   BIGINT       NULL,
  expires_at     BIGINT       NULL,
  owner_type     VARCHAR(32)  NULL,
  owner_id       VARCHAR(128) NULL,
  owner_access   VARCHAR(16)  NULL,
  stale          TINYINT      NOT NULL,
  stale_reason   VARCHAR(128) NULL,
  orphan         TINYINT      NOT NULL,
  orphan_reason  VARCHAR(128) NULL,
  as_of          BIGINT       NOT NULL,
  PRIMARY KEY (org_id, stream, gen, id),
  KEY oa_key_list (org_id, id),
  KEY oa_key_project (org_id, project_id),
  KEY oa_key_tenant (tenant_id, org_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE oa_service_account (
  tenant_id   BIGINT       NOT NULL,
  org_id      BIGINT       NOT NULL,
  gen         BIGINT       NOT NULL,
  id          VARCHAR(128) NOT NULL,
  project_id  VARCHAR(128) NOT NULL,
  name        TEXT         NULL,
  role        VARCHAR(32)  NULL,
  created_at  BIGINT       NULL,
  PRIMARY KEY (org_id, gen, id),
  KEY oa_service_account_tenant (tenant_id, org_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE oa_project_user (
  tenant_id     BIGINT       NOT NULL,
  org_id        BIGINT       NOT NULL,
  gen           BIGINT       NOT NULL,
  project_id    VARCHAR(128) NOT NULL,
  user_id       VARCHAR(128) NOT NULL,
  email_sha256  CHAR(64)     NULL,
  email_prefix  VARCHAR(16)  NULL,
  role          VARCHAR(32)  NULL,
  added_at      BIGINT       NULL,
  PRIMARY KEY (org_id, gen, project_id, user_id),
  KEY oa_project_user_tenant (tenant_id, org_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE oa_invite (
  tenant_id     BIGINT       NOT NULL,
  org_id        BIGINT       NOT NULL,
  gen           BIGINT       NOT NULL,
  id            VARCHAR(128) NOT NULL,
  email_sha256  CHAR(64)     NULL,
  email_prefix  VARCHAR(16)  NULL,
  role          VARCHAR(32)  NULL,
  status        VARCHAR(32)  NULL,
  created_at    BIGINT       NULL,
  expires_at    BIGINT       NULL,
  accepted_at   BIGINT       NULL,
  PRIMARY KEY (org_id, gen, id),
  KEY oa_invite_tenant (tenant_id, org_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
