-- 0025: the public events view also gives when an event was last changed.
-- The iCalendar feed uses it as each VEVENT's DTSTAMP instead of the time
-- of the request, so the same events give the same feed, byte for byte,
-- and the feed can carry an ETag and be kept by calendar clients and
-- proxies (api/feeds.c). DTSTAMP still moves forward with every change of
-- the event, which is what calendar clients compare.
CREATE OR REPLACE VIEW event_public AS
SELECT e.id, e.centre_id, e.kind, e.title, e.description, e.starts_at, e.ends_at,
       e.address, e.postal_code, e.online_url, e.accessibility, e.cancelled,
       e.association_id, s.name AS association_name, e.series_id, e.search,
       ARRAY(SELECT ec.category_id FROM event_category ec WHERE ec.event_id = e.id) AS category_ids,
       coalesce((SELECT json_agg(json_build_object('id', c.id, 'kind', c.kind, 'slug', c.slug,
                                                   'name_da', c.name_da, 'name_en', c.name_en)
                                 ORDER BY c.kind, c.slug)
                   FROM event_category ec JOIN category c ON c.id = ec.category_id
                  WHERE ec.event_id = e.id), '[]'::json) AS categories,
       e.updated_at
  FROM event e LEFT JOIN association s ON s.id = e.association_id;
COMMENT ON COLUMN event_public.updated_at IS 'When the event was last changed (the iCalendar DTSTAMP)';
