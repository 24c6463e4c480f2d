CREATE TYPE mood AS ENUM ('sad', 'meh', 'happy');
CREATE TABLE t (
    id int PRIMARY KEY,
    feeling text CONSTRAINT known_feeling CHECK (feeling::mood <> 'sad'::mood),
    fallback text DEFAULT ('happy'::mood)::text
);
INSERT INTO t VALUES (1, 'happy', 'happy');
