-- The caller's own settings, whatever its role (row-level security lets
-- only admins and coordinators write accounts): switch kinds off and on.
CREATE OR REPLACE FUNCTION kompas_set_own_mail_opt_out(p_off text[], p_on text[])
RETURNS text LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    UPDATE account SET mail_opt_out = ARRAY(SELECT DISTINCT x FROM unnest(mail_opt_out || p_off) x
                                             WHERE x <> ALL (p_on) ORDER BY x),
           updated_at = now(), version = version + 1
     WHERE id = kompas_account() AND disabled_at IS NULL
    RETURNING array_to_json(mail_opt_out)::text;
$$;
COMMENT ON FUNCTION kompas_set_own_mail_opt_out(text[], text[]) IS 'Switches e-mail kinds off (p_off) and on (p_on) for the transaction''s caller, nobody else';
REVOKE ALL ON FUNCTION kompas_set_own_mail_opt_out(text[], text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kompas_set_own_mail_opt_out(text[], text[]) TO kompas_app;
