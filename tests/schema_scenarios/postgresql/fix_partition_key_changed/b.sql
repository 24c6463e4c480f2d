CREATE TABLE readings (
    id bigint NOT NULL,
    taken date NOT NULL,
    value int
) PARTITION BY RANGE (id);
CREATE TABLE readings_early PARTITION OF readings FOR VALUES FROM (0) TO (100);
CREATE TABLE readings_late PARTITION OF readings FOR VALUES FROM (100) TO (1000);
