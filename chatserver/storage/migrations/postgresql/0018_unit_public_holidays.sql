-- 0018: whether a unit closes on Swedish public holidays (and midsommarafton,
-- julafton, nyårsafton; chatserver/admin/public_holidays.py). 1 = follows them
-- (every unit, including those made before this migration), 0 = opted out
-- (`chatserver unit set-holidays ID off`, the admin API). Dated exceptions in
-- unit_hours still win over a holiday.
ALTER TABLE units ADD COLUMN public_holidays INTEGER NOT NULL DEFAULT 1
    CHECK (public_holidays IN (0, 1));
