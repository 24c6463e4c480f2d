CREATE TABLE events (
    id bigint NOT NULL,
    created date NOT NULL,
    kind text,
    PRIMARY KEY (id, created)
) PARTITION BY RANGE (created);
CREATE INDEX events_kind ON events (kind);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE events_rest PARTITION OF events DEFAULT;
CREATE TABLE by_kind (id int NOT NULL, kind text NOT NULL) PARTITION BY LIST (kind);
CREATE TABLE by_kind_a PARTITION OF by_kind FOR VALUES IN ('a', 'aa')
    PARTITION BY RANGE (id);
CREATE TABLE by_kind_a_low PARTITION OF by_kind_a FOR VALUES FROM (0) TO (100);
CREATE TABLE by_kind_b PARTITION OF by_kind (CONSTRAINT b_positive CHECK (id > 0))
    FOR VALUES IN ('b');
