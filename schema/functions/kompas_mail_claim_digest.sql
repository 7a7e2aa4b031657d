-- Claim the next centre whose digest for today is not made yet (the row
-- stays locked until the caller's transaction ends: write the digest in
-- it). NULL when none is due.
CREATE OR REPLACE FUNCTION kompas_mail_claim_digest(p_hour integer)
RETURNS uuid LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    local timestamp := now() AT TIME ZONE 'Europe/Copenhagen';
    c uuid;
BEGIN
    IF extract(hour FROM local) < p_hour THEN
        RETURN NULL;
    END IF;
    FOR c IN SELECT ce.id FROM centre ce
              WHERE NOT EXISTS (SELECT 1 FROM mail_daily d WHERE d.centre_id = ce.id AND d.day = local::date)
                AND EXISTS (SELECT 1 FROM account a WHERE a.centre_id = ce.id AND a.role = 'coordinator'
                             AND a.disabled_at IS NULL)
              ORDER BY ce.id
    LOOP
        INSERT INTO mail_daily (centre_id, day) VALUES (c, local::date) ON CONFLICT DO NOTHING;
        IF FOUND THEN
            RETURN c;
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION kompas_mail_claim_digest(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kompas_mail_claim_digest(integer) TO kompas_app;
