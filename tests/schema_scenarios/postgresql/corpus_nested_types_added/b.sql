CREATE TABLE keep (id int PRIMARY KEY);
-- each type uses one whose name sorts after it, of the same kind or another
CREATE TYPE z_mood AS ENUM ('sad', 'happy');
CREATE DOMAIN y_positive AS int CHECK (VALUE > 0);
CREATE DOMAIN x_small AS y_positive CHECK (VALUE < 100);
CREATE TYPE w_pair AS (a x_small, m z_mood);
CREATE TYPE v_outer AS (p w_pair, n int);
CREATE DOMAIN u_checked AS v_outer CHECK ((VALUE).n IS NOT NULL);
CREATE DOMAIN t_moods AS z_mood[];
CREATE TABLE t (id int PRIMARY KEY, o u_checked, ms t_moods);
