CREATE TABLE events (
    id bigint NOT NULL,
    created date NOT NULL,
    kind text,
    amount int DEFAULT 0,
    note text,
    PRIMARY KEY (id, created)
) PARTITION BY RANGE (created);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_rest PARTITION OF events DEFAULT;
INSERT INTO events VALUES (1, '2024-05-01', 'x', 5, 'n'), (2, '2030-01-01', 'y', 7, 'm');
