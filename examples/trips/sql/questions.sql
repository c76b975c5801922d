-- The two questions in plain SQL, on the tables of the trips example (PostgreSQL and SQLite alike).
-- `pnpm trips ask …` answers them from the rollups (the `rollup` versions); the `raw` versions scan
-- the trips table and give the same answers (a test checks it).

-- name: latest-datasource/raw
-- From the two most commonly appearing regions, which datasource has the latest trip?
WITH counts AS (
  SELECT region_id, count(*) AS trips FROM trips GROUP BY region_id
), top AS (
  SELECT c.region_id FROM counts c JOIN regions r ON r.id = c.region_id ORDER BY c.trips DESC, r.name LIMIT 2
)
SELECT d.name AS datasource, t.started_at AS datetime
FROM trips t
JOIN top ON top.region_id = t.region_id
JOIN datasources d ON d.id = t.datasource_id
ORDER BY t.started_at DESC, d.name
LIMIT 1;

-- name: latest-datasource/rollup
WITH counts AS (
  SELECT region_id, sum(trips) AS trips FROM region_weeks GROUP BY region_id
), top AS (
  SELECT c.region_id FROM counts c JOIN regions r ON r.id = c.region_id ORDER BY c.trips DESC, r.name LIMIT 2
)
SELECT d.name AS datasource, rd.latest_at AS datetime
FROM region_datasources rd
JOIN top ON top.region_id = rd.region_id
JOIN datasources d ON d.id = rd.datasource_id
ORDER BY rd.latest_at DESC, d.name
LIMIT 1;

-- name: regions/raw
-- In which regions has the datasource 'cheap_mobile' appeared?
SELECT DISTINCT r.name AS region
FROM trips t
JOIN regions r ON r.id = t.region_id
JOIN datasources d ON d.id = t.datasource_id
WHERE lower(d.name) = lower('cheap_mobile')
ORDER BY r.name;

-- name: regions/rollup
SELECT r.name AS region
FROM region_datasources rd
JOIN regions r ON r.id = rd.region_id
JOIN datasources d ON d.id = rd.datasource_id
WHERE lower(d.name) = lower('cheap_mobile')
ORDER BY r.name;
