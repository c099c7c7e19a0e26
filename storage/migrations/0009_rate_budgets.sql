-- A request budget that several Vigil processes share, such as Discord's
-- global limit on the bot. It is kept as the generic cell rate algorithm
-- keeps it: tat is the theoretical arrival time (Unix microseconds) of the
-- next request at the budget's steady rate; a request may go when tat is
-- not further ahead of now than the burst the budget tolerates.
CREATE TABLE rate_budgets (
    name TEXT    PRIMARY KEY,
    tat  INTEGER NOT NULL
) STRICT;
