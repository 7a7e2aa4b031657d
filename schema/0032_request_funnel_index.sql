-- 0032: the funnel reads the requests of its window from an index alone.
--
-- kompas_stats_funnel (schema/functions/) reads, for every request created
-- in the window, its centre, source, heard_from, reached states, first
-- contact and closing. For a national year (70,000 of the national
-- dataset's 200,000 requests) PostgreSQL read the whole table (25,000
-- pages: the sealed contact details make the rows wide); with these
-- columns in an index on created_at it reads the window's part of the
-- index (2,400 pages), the same rows and the same answer
-- (docs/benchmarks.md). Closed months' requests change rarely, so their
-- heap pages stay all-visible and the scan needs no heap fetches.
CREATE INDEX request_funnel ON request (created_at)
    INCLUDE (centre_id, source, heard_from, reached_states, first_contact_at, closed_at);
COMMENT ON INDEX request_funnel IS 'The columns the funnel statistics read, by creation time: an index-only scan of a window';
