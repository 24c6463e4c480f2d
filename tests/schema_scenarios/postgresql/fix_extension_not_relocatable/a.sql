-- An extension that cannot move (xml2 is not relocatable) to another schema: dropped,
-- then created in its new schema (ALTER EXTENSION … SET SCHEMA would be refused).
CREATE SCHEMA ext;
CREATE EXTENSION xml2;
