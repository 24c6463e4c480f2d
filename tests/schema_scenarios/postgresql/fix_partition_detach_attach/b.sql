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
CREATE TABLE events_2022 (
    id bigint NOT NULL,
    created date NOT NULL,
    kind text
);
CREATE TABLE events_2023 PARTITION OF events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE events_2021 PARTITION OF archive FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
