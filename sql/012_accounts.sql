-- 012_accounts: accounts done properly.
--
-- account: a second factor (TOTP, RFC 6238): its secret once enrolled,
-- the last time step used (a code is good once), when it was enabled;
-- when the password last changed.
-- account_recovery: recovery codes (80 random bits each, kept as their
-- SHA-256), each good once.
-- account_reset: one-time links an owner makes for another account's new
-- password; only the SHA-256 of the link's token is kept, and it expires.
-- session: its stage (0 signed in; 1 the password was right, the second
-- factor is awaited; 2 the tenant requires a second factor that the
-- account must enroll first), the address and browser it began from,
-- and a secret being enrolled.
-- tenant.require_totp_owners: owners must have a second factor.
-- login_throttle: failures are now counted per login and address
-- together (growing delays) and per address alone.

ALTER TABLE account
  ADD COLUMN totp_secret VARBINARY(32) NULL,
  ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN totp_enabled_at BIGINT NULL,
  ADD COLUMN password_changed_at BIGINT NULL;

CREATE TABLE account_recovery (
  tenant_id   BIGINT        NOT NULL,
  account_id  BIGINT        NOT NULL,
  n           INT           NOT NULL,
  code_hash   VARCHAR(255)  NOT NULL,
  used_at     BIGINT        NULL,
  PRIMARY KEY (account_id, n),
  KEY account_recovery_tenant (tenant_id, account_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE account_reset (
  token_hash  BINARY(32)  NOT NULL,
  tenant_id   BIGINT      NOT NULL,
  account_id  BIGINT      NOT NULL,
  created_by  BIGINT      NOT NULL,
  created_at  BIGINT      NOT NULL,
  expires_at  BIGINT      NOT NULL,
  PRIMARY KEY (token_hash),
  KEY account_reset_account (account_id),
  KEY account_reset_tenant (tenant_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

ALTER TABLE session
  ADD COLUMN stage TINYINT NOT NULL DEFAULT 0,
  ADD COLUMN address VARCHAR(64) NULL,
  ADD COLUMN user_agent VARCHAR(200) NULL,
  ADD COLUMN totp_pending VARBINARY(32) NULL;

ALTER TABLE tenant ADD COLUMN require_totp_owners TINYINT NOT NULL DEFAULT 0;
