-- 018_event_filters: the audit log page filters by project and by the
-- actor's address (its SHA-256) with an index each, as it does by type,
-- actor and target: without them such a page walked the org's whole
-- chain (1,000,000 rows for a big org) to find fifty.

ALTER TABLE audit_event
  ADD KEY audit_event_project (org_id, project_id, seq),
  ADD KEY audit_event_email (org_id, actor_email_sha256, seq);
