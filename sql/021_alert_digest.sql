-- 021_alert_digest: a channel may take the findings below its lowest
-- severity as one daily digest instead of dropping them.  Such a
-- finding's message is queued as an outbox row of status 'held'; once
-- the oldest held row of a channel is a day old, orgaudit-notify makes
-- one message of kind 'digest' holding them all and marks them
-- 'digested', in one transaction.

ALTER TABLE alert_channel
  ADD COLUMN digest TINYINT NOT NULL DEFAULT 0;
