-- PostgreSQL's words for migrations/0009_rate_budgets.sql.
CREATE TABLE rate_budgets (
    name TEXT COLLATE "C" PRIMARY KEY,
    tat  BIGINT NOT NULL
);
