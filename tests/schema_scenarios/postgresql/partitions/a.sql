CREATE TABLE events (
    id bigint NOT NULL,
    created date NOT NULL,
    kind text,
    PRIMARY KEY (id, created)
) PARTITION BY RANGE (created);
CREATE INDEX events_kind ON events (kind);
CREATE TABLE events_2023 PARTITION OF events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE by_kind (id int NOT NULL, kind text NOT NULL) PARTITION BY LIST (kind);
CREATE TABLE by_kind_a PARTITION OF by_kind FOR VALUES IN ('a');
CREATE TABLE by_kind_old PARTITION OF by_kind FOR VALUES IN ('old');
INSERT INTO events VALUES (1, '2024-05-01', 'x');
