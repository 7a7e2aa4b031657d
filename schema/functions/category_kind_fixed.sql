CREATE OR REPLACE FUNCTION category_kind_fixed() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
    IF NEW.kind IS DISTINCT FROM OLD.kind OR NEW.slug IS DISTINCT FROM OLD.slug THEN
        RAISE EXCEPTION 'a category''s kind and slug do not change'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION category_kind_fixed() IS 'Trigger: a category keeps its kind and slug (what uses it was checked against them)';
REVOKE ALL ON FUNCTION category_kind_fixed() FROM PUBLIC;
