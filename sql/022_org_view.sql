-- 022_org_view: a generation of what an org's pages show besides its
-- snapshots.  The findings engine's transaction and the one that stores
-- the keys' 30-day usage each add one to it, so that a page kept by a web
-- process (src/web.c web_cached) under the org's stamp (the snapshot
-- generations, the audit chain's head, this row and the org's own
-- columns) is never served once any of them moved.

CREATE TABLE org_view (
  org_id     BIGINT  NOT NULL,
  tenant_id  BIGINT  NOT NULL,
  gen        BIGINT  NOT NULL,
  PRIMARY KEY (org_id),
  KEY org_view_tenant (tenant_id, org_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
