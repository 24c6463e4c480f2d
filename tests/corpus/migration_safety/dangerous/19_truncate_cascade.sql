-- expect: DB104
-- why: CASCADE empties every table that references it too
TRUNCATE customers CASCADE;
