-- 0004: centres get a version for ETag / If-Match, like every resource.
ALTER TABLE centre ADD COLUMN version integer NOT NULL DEFAULT 1;
COMMENT ON COLUMN centre.version IS 'Incremented on every change; the ETag for If-Match';
