-- 0019 (PostgreSQL): closing texts per unit and outcome, as migrations/sqlite/0019.

CREATE TABLE closing_texts (
    unit_id     TEXT NOT NULL REFERENCES units(id),
    outcome     TEXT NOT NULL,
    text_sv     TEXT NOT NULL,
    text_en     TEXT NOT NULL,
    updated_at  DOUBLE PRECISION NOT NULL,
    updated_by  BIGINT REFERENCES users(id),
    PRIMARY KEY (unit_id, outcome)
);
