CREATE TABLE booking (
    id int PRIMARY KEY,
    room int NOT NULL,
    during tsrange NOT NULL,
    CONSTRAINT booking_changes EXCLUDE USING gist (during WITH &&) WHERE (room < 10),
    CONSTRAINT booking_new EXCLUDE USING gist (during WITH -|-)
);
