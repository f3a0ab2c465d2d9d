-- 004_stream_counts: what a pull counted, kept with the generation it
-- made current, so pages need not count 20,000 keys on every view.
--   humans: users that are not service accounts (users stream)
--   active: projects not archived (projects stream)
--   stale, orphan: flagged keys (api_keys and admin_api_keys streams)

ALTER TABLE org_stream
  ADD COLUMN humans INT NULL,
  ADD COLUMN active INT NULL,
  ADD COLUMN stale INT NULL,
  ADD COLUMN orphan INT NULL;
