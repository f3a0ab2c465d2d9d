-- 007_packs: evidence packs, and the pulls they are made from.
--
-- org_stream_kept: a stream's last pull of each UTC month, kept when the
-- next month's first pull replaces it, so a pack for a past period holds
-- the state as of its end (the newest pull at or before it) and is made
-- again byte for byte.  Purges spare these generations.
-- evidence_pack: every pack made, where it is stored and what it holds.

CREATE TABLE org_stream_kept (
  tenant_id  BIGINT       NOT NULL,
  org_id     BIGINT       NOT NULL,
  stream     VARCHAR(32)  NOT NULL,
  gen        BIGINT       NOT NULL,
  pulled_at  BIGINT       NOT NULL,
  run_id     BIGINT       NOT NULL,
  row_count  INT          NOT NULL,
  PRIMARY KEY (org_id, stream, gen),
  KEY org_stream_kept_time (org_id, stream, pulled_at),
  KEY org_stream_kept_tenant (tenant_id, org_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE evidence_pack (
  id                        BIGINT         NOT NULL AUTO_INCREMENT,
  tenant_id                 BIGINT         NOT NULL,
  org_id                    BIGINT         NOT NULL,
  period_start              BIGINT         NOT NULL,
  period_end                BIGINT         NOT NULL,
  as_of                     BIGINT         NOT NULL,
  sha256                    CHAR(64)       NOT NULL,
  manifest_sha256           CHAR(64)       NOT NULL,
  previous_manifest_sha256  CHAR(64)       NULL,
  key_fingerprint           CHAR(64)       NOT NULL,
  bytes                     BIGINT         NOT NULL,
  events                    BIGINT         NOT NULL,
  path                      VARCHAR(1024)  NOT NULL,
  made_by                   VARCHAR(16)    NOT NULL,
  created_at                BIGINT         NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY evidence_pack_same (org_id, period_start, period_end, sha256),
  KEY evidence_pack_chain (org_id, period_end, id),
  KEY evidence_pack_tenant (tenant_id, org_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
