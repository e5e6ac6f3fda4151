-- 0019: what a patient reads when the chat ends, per unit and outcome, in
-- Swedish and English (chatserver/admin/closing_texts.py). Without a row the
-- built-in text of the outcome is shown.

CREATE TABLE closing_texts (
    unit_id     TEXT NOT NULL REFERENCES units(id),
    outcome     TEXT NOT NULL,
    text_sv     TEXT NOT NULL,
    text_en     TEXT NOT NULL,
    updated_at  REAL NOT NULL,
    updated_by  INTEGER REFERENCES users(id),
    PRIMARY KEY (unit_id, outcome)
);
