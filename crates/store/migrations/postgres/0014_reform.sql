-- 改革成效台账: each item's figures before the reform (steps, materials, limits, visits, days used, and the
-- source they come from), entered once; today's figures come from the catalog and the cases.
CREATE TABLE reform_baselines (
    item TEXT PRIMARY KEY,
    data TEXT NOT NULL
);
