-- 015_findings: every risky setting of an org as a finding with a life.
--
-- A finding is (org, rule, subject): opened at the pull that first sees
-- it, seen at each later pull that still does, resolved at the first
-- pull that no longer does.  If it comes back, that is a new row; the
-- resolved one stays.  Rows are never deleted: the history is the
-- evidence.  live is 1 while the finding is open and NULL once resolved,
-- so that the unique key allows one open finding per subject and rule
-- and any number of resolved ones.  Evaluated by the findings engine
-- (src/rules.c) after each pull, in one transaction per org.

CREATE TABLE finding (
  id             BIGINT        NOT NULL AUTO_INCREMENT,
  tenant_id      BIGINT        NOT NULL,
  org_id         BIGINT        NOT NULL,
  rule           VARCHAR(48)   NOT NULL,
  severity       VARCHAR(8)    NOT NULL,
  subject_type   VARCHAR(24)   NOT NULL,
  subject_id     VARCHAR(128)  NOT NULL,
  subject_name   VARCHAR(256)  NULL,
  message        VARCHAR(512)  NOT NULL,
  evidence       TEXT          NOT NULL,
  opened_at      BIGINT        NOT NULL,
  opened_run     BIGINT        NOT NULL,
  last_seen_at   BIGINT        NOT NULL,
  last_seen_run  BIGINT        NOT NULL,
  resolved_at    BIGINT        NULL,
  resolved_run   BIGINT        NULL,
  live           TINYINT       NULL,
  PRIMARY KEY (id),
  UNIQUE KEY finding_live (org_id, rule, subject_type, subject_id, live),
  KEY finding_open (org_id, live, id),
  KEY finding_subject (org_id, subject_id, live),
  KEY finding_tenant (tenant_id, org_id, opened_at),
  KEY finding_opened_run (org_id, opened_run),
  KEY finding_resolved_run (org_id, resolved_run)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
