CREATE TABLE readings (
    id bigint NOT NULL,
    taken date NOT NULL,
    value int
) PARTITION BY RANGE (taken);
CREATE TABLE readings_early PARTITION OF readings FOR VALUES FROM ('2020-01-01') TO ('2022-01-01');
CREATE TABLE readings_late PARTITION OF readings FOR VALUES FROM ('2022-01-01') TO ('2030-01-01');
INSERT INTO readings VALUES (1, '2021-01-01', 10), (200, '2023-01-01', 20);
