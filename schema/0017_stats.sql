-- 0017: statistics for FriSe (analysts, national) and coordinators (their
-- own centre): the request funnel, the wellbeing outcomes and the courses, aggregated
-- here by SECURITY DEFINER functions owned by the schema owner so that an
-- analyst, whom row-level security shows no citizen row, gets counts and
-- means only, never a row. The functions enforce the scope themselves
-- (coordinator: kompas_centre() only; analyst: any or all centres) and
-- apply disclosure control before anything leaves the database: a count
-- under 5 is suppressed, and where one cell of a group whose total is shown
-- is suppressed the next smallest cell is suppressed too; means, medians and
-- percentiles over fewer than 5 people are suppressed.

CREATE INDEX request_created ON request (created_at);

-- The functions this migration created or changed are in schema/functions/:
-- kompas_stats_disclose, kompas_stats_scope, kompas_stats_period,
-- kompas_stats_funnel, kompas_stats_outcomes, kompas_stats_courses.
