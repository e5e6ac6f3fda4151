"""The learned, escalate-only safety net beside the rules.

A linear model over character and word n-grams, trained on `triage/corpus/*.jsonl`
by `python -m triage train` and stored as JSON (`model.json`, never pickle). It may
only raise the level the rules decided, never lower it; see docs/triage.md.

Data flow: `features` turns a text into n-gram features per clause window (pure),
`net` scores them with the stored weights and raises the level (pure), `train`
rebuilds the model file from the corpus (offline, needs scikit-learn).
"""
