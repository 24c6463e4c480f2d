CREATE TABLE log (id serial PRIMARY KEY, message text);
CREATE PROCEDURE note(m text) LANGUAGE sql AS $$ INSERT INTO log (message) VALUES (upper(m)) $$;
CREATE PROCEDURE added(n integer, INOUT total integer) LANGUAGE plpgsql
    AS $$ BEGIN total := total + n; END $$;
CREATE PROCEDURE renamed_arg(b integer) LANGUAGE plpgsql AS $$ BEGIN NULL; END $$;
