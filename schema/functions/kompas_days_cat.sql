-- The days to first contact of a group of funnel cells in one array: the
-- cells' days arrays one after the other (in no order). kompas_stats_funnel
-- gathers the days of each of its many small groups (the funnel by centre)
-- in the pass that adds up their counts, instead of reading each group's
-- cells again. array_cat copies the array so far at each cell, which costs
-- little for a group of a few dozen cells.
CREATE OR REPLACE AGGREGATE kompas_days_cat(double precision[]) (
    SFUNC = array_cat,
    STYPE = double precision[],
    INITCOND = '{}'
);
COMMENT ON AGGREGATE kompas_days_cat(double precision[]) IS 'The funnel cells'' days to first contact concatenated into one array (kompas_stats_funnel)';
REVOKE ALL ON FUNCTION kompas_days_cat(double precision[]) FROM PUBLIC;
