CREATE TABLE log (id serial PRIMARY KEY, message text);
CREATE PROCEDURE note(m text) LANGUAGE sql AS $$ INSERT INTO log (message) VALUES (m) $$;
CREATE PROCEDURE gone() LANGUAGE plpgsql AS $$ BEGIN NULL; END $$;
CREATE PROCEDURE renamed_arg(a integer) LANGUAGE plpgsql AS $$ BEGIN NULL; END $$;
