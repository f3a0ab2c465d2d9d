-- 009_sealing: a tenant's key becomes an X25519 key pair, so that the
-- web can seal a pasted admin key to the tenant's public key and never
-- open one.  scheme 1: wrapped is an AES-256-GCM data key (sealed blobs
-- of version 1); scheme 2: wrapped is the X25519 private key and
-- public_key its public half (sealed blobs of version 2).  Both are
-- wrapped by the master key.  'orgaudit migrate' moves scheme 1 tenants
-- to scheme 2, re-sealing their admin keys, when it can read the master
-- key; the web's database user may read public_key but not wrapped, nor
-- org.key_sealed ('orgaudit grants --web').

ALTER TABLE tenant_key
  ADD COLUMN scheme TINYINT NOT NULL DEFAULT 1,
  ADD COLUMN public_key VARBINARY(32) NULL;
