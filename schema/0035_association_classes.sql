-- 0035: the activity suggestions read only the associations that can still
-- make the list, as 0031 made them read only such events.
--
-- Of each class of equal score (shared categories, area, places for
-- newcomers, welcome training) only the first N associations by name can be
-- among the best N. matching_activity_candidates used to score every
-- association of the centre (1,512 for the largest of the national dataset)
-- and sort them twice, by name and by class. Those that share a category
-- with the request are few and are all scored; of the others, each area
-- (the request's postal code, its first two digits, neither) and pair of
-- facts gives its first N by name through these indexes.
CREATE INDEX association_centre_facts_name ON association
    (centre_id, (coalesce(newcomer_places, 0) > 0), (welcome_training_on IS NOT NULL), name, id);
CREATE INDEX association_centre_area_facts_name ON association
    (centre_id, left(postal_code, 2), (coalesce(newcomer_places, 0) > 0),
     (welcome_training_on IS NOT NULL), name, id);
CREATE INDEX association_centre_postal_facts_name ON association
    (centre_id, postal_code, (coalesce(newcomer_places, 0) > 0), (welcome_training_on IS NOT NULL),
     name, id);
