-- 0026: the funnel's disclosure step joins each cell to the decisions of
-- its group (period, centre, measure) with a hash join instead of a
-- correlated subquery per cell over all groups, which made the funnel by
-- centre quadratic in the number of cells. Measured on the national
-- dataset (docs/benchmarks.md): a year of all 70 centres by centre and year
-- from 9.5 s to 0.22 s, by centre and month 0.48 s. The cells, their values
-- and their suppression are unchanged (stats.test.mjs).

-- The functions this migration created or changed are in schema/functions/:
-- kompas_stats_funnel.
