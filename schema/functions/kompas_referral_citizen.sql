-- What the caller may see of the citizen of a referral: whether the
-- citizen's latest consent to share with associations is given (for the
-- centre's coordinators and the association's contact), and, for the
-- association's contact and only with that consent, the sealed name and
-- phone (opened and access-logged by kompasd). No row for a referral the
-- caller may not see. SECURITY DEFINER: association contacts cannot read
-- requests or consents.
CREATE OR REPLACE FUNCTION kompas_referral_citizen(p_referral uuid)
RETURNS TABLE (shared boolean, name_sealed bytea, phone_sealed bytea)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT s.shared,
           CASE WHEN s.shared AND kompas_role() = 'association' THEN r.name_sealed END,
           CASE WHEN s.shared AND kompas_role() = 'association' THEN r.phone_sealed END
      FROM referral f
      JOIN request r ON r.id = f.request_id
     CROSS JOIN LATERAL (
           SELECT coalesce((SELECT c.given FROM request_consent c
                             WHERE c.request_id = r.id AND c.purpose = 'share_with_association'
                             ORDER BY c.id DESC LIMIT 1), false)
                  AND r.anonymised_at IS NULL AS shared) s
     WHERE f.id = p_referral AND f.centre_id = kompas_centre()
       AND (kompas_role() = 'coordinator'
            OR (kompas_role() = 'association' AND f.association_id = kompas_contact_association()))
$$;
COMMENT ON FUNCTION kompas_referral_citizen(uuid) IS 'For a referral the caller may see: whether the citizen consented to sharing with associations, and for the association''s contact (with that consent) the sealed name and phone';
REVOKE ALL ON FUNCTION kompas_referral_citizen(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kompas_referral_citizen(uuid) TO kompas_app;
