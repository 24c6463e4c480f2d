CREATE TABLE events (
    id bigint NOT NULL,
    created date NOT NULL,
    kind text
) PARTITION BY RANGE (created);
CREATE TABLE archive (
    id bigint NOT NULL,
    created date NOT NULL,
    kind text
) PARTITION BY RANGE (created);
-- becomes a plain table
CREATE TABLE events_2022 PARTITION OF events FOR VALUES FROM ('2022-01-01') TO ('2023-01-01');
-- its bound changes
CREATE TABLE events_2023 PARTITION OF events FOR VALUES FROM ('2023-01-01') TO ('2023-07-01');
-- moves to another parent
CREATE TABLE events_2021 PARTITION OF events FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');
-- a plain table that becomes a partition
CREATE TABLE events_2024 (
    id bigint NOT NULL,
    created date NOT NULL,
    kind text
);
INSERT INTO events VALUES (1, '2022-05-01', 'a'), (2, '2023-03-01', 'b'), (3, '2021-03-01', 'c');
INSERT INTO events_2024 VALUES (4, '2024-03-01', 'd');
