-- 0022: the row-level security of a request's history, categories, consents
-- and conversations asks whether the request row itself is visible with a
-- correlated EXISTS (an index lookup per row) instead of
-- request_id IN (SELECT id FROM request), which PostgreSQL ran as a hashed
-- subplan over every visible request of the centre on each statement.
-- Measured on the national dataset (docs/benchmarks.md): request detail from
-- 98-189 ms to 3.5 ms, the request queue from 425-508 ms to 12 ms. The same
-- rows are visible as before.

ALTER POLICY request_event_tenant ON request_event
    USING (centre_id = kompas_centre()
           AND EXISTS (SELECT 1 FROM request r WHERE r.id = request_event.request_id));

ALTER POLICY request_category_tenant ON request_category
    USING (centre_id = kompas_centre()
           AND EXISTS (SELECT 1 FROM request r WHERE r.id = request_category.request_id));

ALTER POLICY request_consent_tenant ON request_consent
    USING (centre_id = kompas_centre()
           AND EXISTS (SELECT 1 FROM request r WHERE r.id = request_consent.request_id));

ALTER POLICY conversation_tenant ON conversation
    USING (centre_id = kompas_centre()
           AND EXISTS (SELECT 1 FROM request r WHERE r.id = conversation.request_id))
    WITH CHECK (centre_id = kompas_centre()
                AND EXISTS (SELECT 1 FROM request r WHERE r.id = conversation.request_id));
