-- Claim due mails (a lease until the attempt ends) with their recipient.
CREATE OR REPLACE FUNCTION kompas_mail_claim(p_limit integer, p_lease interval)
RETURNS TABLE (id uuid, email text, kind text, payload text, attempts integer)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    UPDATE mail_outbox m SET next_attempt_at = now() + p_lease
      FROM account a
     WHERE m.id IN (SELECT o.id FROM mail_outbox o
                     WHERE o.sent_at IS NULL AND o.gave_up_at IS NULL AND o.next_attempt_at <= now()
                     ORDER BY o.next_attempt_at, o.id LIMIT p_limit FOR UPDATE SKIP LOCKED)
       AND a.id = m.account_id
    RETURNING m.id, a.email, m.kind, m.payload::text, m.attempts;
$$;
REVOKE ALL ON FUNCTION kompas_mail_claim(integer, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kompas_mail_claim(integer, interval) TO kompas_app;
