-- 017_alerts: channels that tell people, and the outbox that never loses
-- or doubles a message.
--
-- alert_channel: a tenant's webhook, Slack incoming webhook or email
-- address.  Its URL, address and signing secret are sealed to the
-- tenant's public key (vault_seal, purpose "alert:<id>"), never shown
-- again; hint is what the pages show (the host, or the address's first
-- characters).  triggers: a JSON array of "finding.opened",
-- "finding.resolved" and "audit:<event type>".  Removed channels keep
-- their row (removed_at) so that their deliveries stay explained.
--
-- alert_outbox: one row per message and channel, written in the same
-- transaction as the finding or the audit event that causes it.  ref is
-- the finding's id or the audit event's seq; a finding's message keeps
-- its body as of then, an audit event's is made from the stored event
-- (which never changes) when it is sent.
-- event_id is derived from what caused it, so a retried transaction
-- writes the same row (the unique key refuses a second) and a receiver
-- that keeps ids sees each message once.  The sender (orgaudit-notify)
-- takes due rows under a lease, delivers, and marks them sent, or
-- schedules the next try, or dead after 24 hours or a final refusal.

CREATE TABLE alert_channel (
  id            BIGINT          NOT NULL AUTO_INCREMENT,
  tenant_id     BIGINT          NOT NULL,
  type          VARCHAR(16)     NOT NULL,
  name          VARCHAR(200)    NOT NULL,
  hint          VARCHAR(200)    NOT NULL,
  target_sealed VARBINARY(2048) NULL,
  secret_sealed VARBINARY(1024) NULL,
  triggers      TEXT            NOT NULL,
  min_severity  VARCHAR(8)      NOT NULL,
  format        VARCHAR(8)      NOT NULL,
  created_at    BIGINT          NOT NULL,
  created_by    VARCHAR(64)     NOT NULL,
  removed_at    BIGINT          NULL,
  PRIMARY KEY (id),
  KEY alert_channel_tenant (tenant_id, removed_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE alert_outbox (
  id           BIGINT        NOT NULL AUTO_INCREMENT,
  tenant_id    BIGINT        NOT NULL,
  org_id       BIGINT        NOT NULL,
  channel_id   BIGINT        NOT NULL,
  event_id     VARCHAR(64)   NOT NULL,
  kind         VARCHAR(24)   NOT NULL,
  ref          BIGINT        NOT NULL,
  body         MEDIUMBLOB    NULL,
  created_at   BIGINT        NOT NULL,
  status       VARCHAR(8)    NOT NULL,
  attempts     INT           NOT NULL DEFAULT 0,
  next_at      BIGINT        NOT NULL,
  lease_owner  VARCHAR(128)  NULL,
  lease_until  BIGINT        NOT NULL DEFAULT 0,
  last_status  INT           NULL,
  last_error   VARCHAR(300)  NULL,
  sent_at      BIGINT        NULL,
  PRIMARY KEY (id),
  UNIQUE KEY alert_outbox_once (channel_id, event_id),
  KEY alert_outbox_due (status, next_at),
  KEY alert_outbox_tenant (tenant_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
