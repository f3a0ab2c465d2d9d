-- 003_accounts: dashboard accounts, their sessions, and login throttling.
--
-- An account logs in with an email address and a password.  Like every
-- address orgaudit handles, the login address is not kept: only the
-- SHA-256 of its normalised form (trimmed, lower-cased) and its first
-- characters for display.  Passwords are Argon2id encoded strings.

CREATE TABLE account (
  id             BIGINT       NOT NULL AUTO_INCREMENT,
  tenant_id      BIGINT       NOT NULL,
  login_sha256   CHAR(64)     NOT NULL,
  login_prefix   VARCHAR(16)  NOT NULL,
  role           VARCHAR(16)  NOT NULL,
  password_hash  VARCHAR(255) NOT NULL,
  created_at     BIGINT       NOT NULL,
  last_login_at  BIGINT       NULL,
  PRIMARY KEY (id),
  UNIQUE KEY account_login (login_sha256),
  KEY account_tenant (tenant_id, id),
  CONSTRAINT account_tenant FOREIGN KEY (tenant_id) REFERENCES tenant (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- A session is known by the SHA-256 of its 256-bit token; the token
-- itself lives only in the browser's cookie.
CREATE TABLE session (
  token_hash    BINARY(32)   NOT NULL,
  account_id    BIGINT       NOT NULL,
  tenant_id     BIGINT       NOT NULL,
  created_at    BIGINT       NOT NULL,
  last_seen_at  BIGINT       NOT NULL,
  expires_at    BIGINT       NOT NULL,
  PRIMARY KEY (token_hash),
  KEY session_account (account_id),
  KEY session_tenant (tenant_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Failed logins per account and per client address, counted in a window;
-- subject is the SHA-256 of "account:<id>" or "ip:<address>".
CREATE TABLE login_throttle (
  subject       BINARY(32)   NOT NULL,
  failures      INT          NOT NULL,
  window_start  BIGINT       NOT NULL,
  locked_until  BIGINT       NOT NULL,
  PRIMARY KEY (subject)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
