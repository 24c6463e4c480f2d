-- Unlogged sequences (PostgreSQL 15): one becomes unlogged, one logged, one is dropped,
-- one is added, and an unlogged table's serial makes an unlogged sequence.
CREATE SEQUENCE s1;
CREATE UNLOGGED SEQUENCE s2 START WITH 5;
CREATE UNLOGGED SEQUENCE gone;
