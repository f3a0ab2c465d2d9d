-- 006_billing: what billing counts and what it has told Stripe.
--
-- org_day: per org and UTC day, the counts of the day's last pull (the
-- users and projects streams as the pull left them current).
-- org_connection: when each org was connected, one row per stretch, so
-- a day between a disconnection and a reconnection counts 0.
-- bill_invoice, bill_item: the ledger.  A month's amounts are computed
-- once and frozen here; each Stripe step records its object's ID, so a
-- rerun skips what is done and looks up what may have been done.

CREATE TABLE org_day (
  tenant_id  BIGINT  NOT NULL,
  org_id     BIGINT  NOT NULL,
  day        DATE    NOT NULL,
  users      INT     NOT NULL,
  projects   INT     NOT NULL,
  run_id     BIGINT  NOT NULL,
  pulled_at  BIGINT  NOT NULL,
  PRIMARY KEY (org_id, day),
  -- Covers a month's read: the day range alone answers it.
  KEY org_day_day (day, org_id, tenant_id, users, projects),
  KEY org_day_tenant (tenant_id, org_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE org_connection (
  tenant_id        BIGINT  NOT NULL,
  org_id           BIGINT  NOT NULL,
  connected_at     BIGINT  NOT NULL,
  disconnected_at  BIGINT  NULL,
  PRIMARY KEY (org_id, connected_at),
  KEY org_connection_tenant (tenant_id, org_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

INSERT INTO org_connection (tenant_id, org_id, connected_at, disconnected_at)
  SELECT tenant_id, id, connected_at, disconnected_at FROM org;

-- The tenant's Stripe customer (cus_…); NULL: not billed through Stripe.
ALTER TABLE tenant ADD COLUMN stripe_customer VARCHAR(255) NULL;

-- One invoice per tenant and month.  invoice_started_at is set before
-- the first POST /v1/invoices, items_started_at before the first item:
-- a rerun that finds them set looks for what Stripe may already hold.
CREATE TABLE bill_invoice (
  tenant_id           BIGINT        NOT NULL,
  month               CHAR(7)       NOT NULL,
  customer            VARCHAR(255)  NOT NULL,
  orgs                INT           NOT NULL,
  amount_cents        BIGINT        NOT NULL,
  planned_at          BIGINT        NOT NULL,
  invoice_started_at  BIGINT        NULL,
  invoice_id          VARCHAR(255)  NULL,
  items_started_at    BIGINT        NULL,
  finalized_at        BIGINT        NULL,
  number              VARCHAR(64)   NULL,
  status              VARCHAR(16)   NULL,
  PRIMARY KEY (tenant_id, month)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One invoice item per org and month, its numbers frozen when planned.
CREATE TABLE bill_item (
  tenant_id     BIGINT        NOT NULL,
  month         CHAR(7)       NOT NULL,
  org_id        BIGINT        NOT NULL,
  openai_org    VARCHAR(128)  NULL,
  days          INT           NOT NULL,
  month_days    INT           NOT NULL,
  user_days     BIGINT        NOT NULL,
  project_days  BIGINT        NOT NULL,
  amount_cents  BIGINT        NOT NULL,
  description   VARCHAR(500)  NOT NULL,
  item_id       VARCHAR(255)  NULL,
  created_at    BIGINT        NULL,
  PRIMARY KEY (tenant_id, month, org_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
