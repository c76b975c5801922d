/**
 * Migration 2: the current state, as views over the facts: each operating period with its current
 * bounds, and each vehicle's service intervals. Views, not tables, so that no load order can leave
 * a stale or order-dependent state behind.
 */
import type { Migration } from './types.js';

export const migration: Migration = {
  version: 2,
  name: 'current state views',
  sql: () => [
    'DROP VIEW IF EXISTS operating_periods',
    // Bounds of the latest create/update by `at` (same `at`: update over create, then the later
    // finish, then the later start); a period with any delete is left out.
    `CREATE VIEW operating_periods AS
     WITH ranked AS (
       SELECT period_id, organization_id, start, finish, at,
              ROW_NUMBER() OVER (PARTITION BY period_id ORDER BY at DESC, event DESC, finish DESC, start DESC, organization_id DESC) AS pick
       FROM operating_period_events
       WHERE event IN ('create', 'update')
     )
     SELECT r.period_id AS id, r.organization_id, r.start, r.finish, r.at AS bounds_at
     FROM ranked r
     WHERE r.pick = 1
       AND NOT EXISTS (SELECT 1 FROM operating_period_events d WHERE d.period_id = r.period_id AND d.event = 'delete')`,
    'DROP VIEW IF EXISTS vehicle_service_intervals',
    // In service from a register (one that follows no other register) to the first deregister or
    // delete after it; an open interval has no end.
    `CREATE VIEW vehicle_service_intervals AS
     WITH lifecycle AS (
       SELECT vehicle_id, event, at, LAG(event) OVER (PARTITION BY vehicle_id ORDER BY at, event) AS previous
       FROM vehicle_events
       WHERE event IN ('register', 'deregister', 'delete')
     )
     SELECT s.vehicle_id, s.at AS registered_at,
            (SELECT MIN(e.at) FROM vehicle_events e
             WHERE e.vehicle_id = s.vehicle_id AND e.event IN ('deregister', 'delete') AND e.at > s.at) AS deregistered_at
     FROM lifecycle s
     WHERE s.event = 'register' AND (s.previous IS NULL OR s.previous <> 'register')`,
  ],
};
