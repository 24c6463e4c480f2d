CREATE FUNCTION note() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TABLE parted (a int) PARTITION BY RANGE (a);
CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (10) PARTITION BY RANGE (a);
CREATE TABLE parted_1_1 PARTITION OF parted_1 FOR VALUES FROM (0) TO (5);
-- a new partition, and partitions' copies of a new trigger in states of their own:
-- disabled on the parent, always on one partition, replica on the one below it
CREATE TABLE parted_1_2 PARTITION OF parted_1 FOR VALUES FROM (5) TO (10);
CREATE TABLE parted_2 PARTITION OF parted FOR VALUES FROM (10) TO (20);
CREATE TRIGGER aft_row AFTER INSERT ON parted FOR EACH ROW EXECUTE FUNCTION note();
ALTER TABLE parted DISABLE TRIGGER aft_row;
ALTER TABLE parted_1 ENABLE ALWAYS TRIGGER aft_row;
ALTER TABLE parted_1_2 ENABLE REPLICA TRIGGER aft_row;
-- a plain table's trigger in a state other than disabled
CREATE TABLE plain (a int);
CREATE TRIGGER always_row AFTER INSERT ON plain FOR EACH ROW EXECUTE FUNCTION note();
ALTER TABLE plain ENABLE ALWAYS TRIGGER always_row;
