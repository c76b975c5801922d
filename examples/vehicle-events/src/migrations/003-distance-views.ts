/**
 * Migration 3: the answers. `period_vehicle_distances`: per operating period and vehicle of its
 * organisation, the distance travelled inside the period (haversine between consecutive positions
 * by location.at); `period_averages`: per period the number of such vehicles and their mean.
 */
import { haversineSql } from '../geo.js';
import type { Migration } from './types.js';

export const migration: Migration = {
  version: 3,
  name: 'distance views',
  sql: () => [
    'DROP VIEW IF EXISTS period_averages',
    'DROP VIEW IF EXISTS period_vehicle_distances',
    // Positions in [start, finish] of the periods of the vehicle's organisation. Two facts at the
    // same (vehicle, location.at) are one position: the smaller (lat, lng) is kept.
    `CREATE VIEW period_vehicle_distances AS
     WITH inside AS (
       SELECT p.id AS period_id, v.id AS vehicle_id, x.at, x.lat, x.lng,
              ROW_NUMBER() OVER (PARTITION BY p.id, v.id, x.at ORDER BY x.lat, x.lng) AS nth
       FROM operating_periods p
       JOIN vehicles v ON v.organization_id = p.organization_id
       JOIN positions x ON x.vehicle_id = v.id AND x.at >= p.start AND x.at <= p.finish
     ), steps AS (
       SELECT period_id, vehicle_id, lat, lng,
              LAG(lat) OVER (PARTITION BY period_id, vehicle_id ORDER BY at) AS lat0,
              LAG(lng) OVER (PARTITION BY period_id, vehicle_id ORDER BY at) AS lng0
       FROM inside
       WHERE nth = 1
     )
     SELECT period_id, vehicle_id, COUNT(*) AS positions,
            SUM(CASE WHEN lat0 IS NULL THEN 0 ELSE ${haversineSql('lat0', 'lng0', 'lat', 'lng')} END) AS distance_km
     FROM steps
     GROUP BY period_id, vehicle_id
     HAVING COUNT(*) >= 2`,
    // Every current period, with no vehicle as 0 and a null average.
    `CREATE VIEW period_averages AS
     SELECT p.id, p.organization_id, p.start, p.finish,
            COUNT(d.vehicle_id) AS vehicles, AVG(d.distance_km) AS average_distance_km
     FROM operating_periods p
     LEFT JOIN period_vehicle_distances d ON d.period_id = p.id
     GROUP BY p.id, p.organization_id, p.start, p.finish`,
  ],
};
