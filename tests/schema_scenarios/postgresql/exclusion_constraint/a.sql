CREATE TABLE booking (
    id int PRIMARY KEY,
    room int NOT NULL,
    during tsrange NOT NULL,
    CONSTRAINT booking_changes EXCLUDE USING gist (during WITH &&),
    CONSTRAINT booking_goes EXCLUDE USING gist (during WITH &&) WHERE (room > 100)
);
