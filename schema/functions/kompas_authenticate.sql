-- kompas_authenticate: find a live session or API key by its token hash,
-- record its use (at most once a minute), and set the transaction's caller.
-- SECURITY DEFINER: it must see sessions and keys before the centre is known.

-- Integration keys have no account: record the key id in the context too.
CREATE OR REPLACE FUNCTION kompas_authenticate(p_hash bytea, p_idle interval)
RETURNS TABLE (kind text, credential_id uuid, account_id uuid, role text, centre_id uuid,
               display_name text, email text, expires_at timestamptz)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    s record;
    k record;
BEGIN
    SELECT se.id, se.account_id, se.expires_at, se.last_seen_at, a.role, a.centre_id,
           a.display_name, a.email
      INTO s
      FROM session se JOIN account a ON a.id = se.account_id
     WHERE se.token_hash = p_hash AND se.revoked_at IS NULL AND a.disabled_at IS NULL
       AND se.expires_at > now() AND se.last_seen_at > now() - p_idle;
    IF FOUND THEN
        IF s.last_seen_at < now() - interval '1 minute' THEN
            UPDATE session SET last_seen_at = now() WHERE id = s.id;
        END IF;
        PERFORM kompas_set_context(s.role, s.centre_id, s.account_id);
        RETURN QUERY SELECT 'session'::text, s.id, s.account_id, s.role, s.centre_id,
                            s.display_name, s.email, s.expires_at;
        RETURN;
    END IF;
    SELECT ak.id, ak.role, ak.centre_id, ak.name, ak.last_used_at INTO k
      FROM api_key ak WHERE ak.key_hash = p_hash AND ak.revoked_at IS NULL;
    IF FOUND THEN
        IF k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute' THEN
            UPDATE api_key SET last_used_at = now() WHERE id = k.id;
        END IF;
        PERFORM kompas_set_context(k.role, k.centre_id, NULL);
        PERFORM set_config('kompas.key_id', k.id::text, true);
        RETURN QUERY SELECT 'api_key'::text, k.id, NULL::uuid, k.role, k.centre_id,
                            k.name, NULL::text, NULL::timestamptz;
    END IF;
END
$$;
COMMENT ON FUNCTION kompas_authenticate(bytea, interval) IS 'Resolves a bearer token hash to its live session or API key and sets the transaction''s caller';
REVOKE ALL ON FUNCTION kompas_authenticate(bytea, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kompas_authenticate(bytea, interval) TO kompas_app;
