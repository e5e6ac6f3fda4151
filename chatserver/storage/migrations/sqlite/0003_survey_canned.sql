-- 0003: patient satisfaction answers (survey) and per-unit canned responses (snabbsvar).

CREATE TABLE survey_answers (
    contact_id   TEXT PRIMARY KEY REFERENCES contacts(id),  -- one answer per contact
    unit_id      TEXT NOT NULL REFERENCES units(id),
    rating       INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment      TEXT,                                      -- optional free text (patient data)
    answered_at  REAL NOT NULL
);
CREATE INDEX survey_answers_unit_time ON survey_answers(unit_id, answered_at);

CREATE TABLE canned_responses (
    id          INTEGER PRIMARY KEY,
    unit_id     TEXT NOT NULL REFERENCES units(id),
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_by  INTEGER REFERENCES users(id),
    created_at  REAL NOT NULL
);
CREATE INDEX canned_responses_unit ON canned_responses(unit_id, id);
