CREATE TABLE events (
    id bigint NOT NULL,
    created date NOT NULL,
    kind text NOT NULL,
    amount bigint DEFAULT 1,
    source text DEFAULT 'web',
    PRIMARY KEY (id, created),
    CONSTRAINT amount_positive CHECK (amount > 0)
) PARTITION BY RANGE (created);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_rest PARTITION OF events DEFAULT;
