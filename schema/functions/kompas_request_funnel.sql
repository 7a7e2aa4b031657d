-- Trigger on request: keeps request_funnel_cell (0033, 0034) exact. An insert
-- adds the row's share of its cell, a delete removes it, an update of a
-- column the funnel reads removes the old share and adds the new one.
CREATE OR REPLACE FUNCTION kompas_request_funnel() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS
$$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM request_funnel_cell;
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM kompas_request_funnel_cell(OLD, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM kompas_request_funnel_cell(NEW, 1);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION kompas_request_funnel() IS 'Keeps request_funnel_cell, the funnel''s counts per month, centre and source or heard_from, up to date with request';
REVOKE ALL ON FUNCTION kompas_request_funnel() FROM PUBLIC;
