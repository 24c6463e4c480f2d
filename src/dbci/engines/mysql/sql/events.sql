-- The events, with their schedule, completion, status, comment and body, and whether
-- STARTS is the server's: an EVERY schedule without STARTS starts when the event is
-- created (or its schedule altered), and the server writes that time as STARTS, in the
-- event's time zone (CREATED and LAST_ALTERED are in the session's; a named zone
-- CONVERT_TZ does not know leaves STARTS as it is).
SELECT event_schema, event_name, event_type, execute_at, interval_value, interval_field,
  starts, ends, on_completion, status, event_comment, event_definition,
  COALESCE(CONVERT_TZ(starts, time_zone, @@session.time_zone), starts)
    IN (created, last_altered) AS implicit_start
FROM information_schema.events
WHERE event_schema IN ({schemas})
