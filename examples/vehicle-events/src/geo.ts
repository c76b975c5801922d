/** Great-circle distance, the one formula the generator's ground truth and the SQL view share. */

/** Mean Earth radius (IUGG), in kilometres: the radius the answers are defined with. */
export const EARTH_RADIUS_KM = 6371.0088;

const RAD = Math.PI / 180;

/**
 * Haversine distance in kilometres between two points given in degrees:
 * `2 R asin(sqrt(sin²(Δφ/2) + cos φ1 cos φ2 sin²(Δλ/2)))`.
 */
export function haversineKm(lat1: number, lng1: number, lat2: number, lng2: number): number {
  const dLat = (lat2 - lat1) * RAD;
  const dLng = (lng2 - lng1) * RAD;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * RAD) * Math.cos(lat2 * RAD) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(a)));
}

/**
 * The same formula as a SQL expression over columns `lat1, lng1, lat2, lng2` (degrees). Both
 * engines have the functions it needs: PostgreSQL always, SQLite since 3.35 when built with its
 * math functions (the `sqlite3` package's bundled 3.44 is; the migrations check it first).
 */
export function haversineSql(lat1: string, lng1: string, lat2: string, lng2: string): string {
  const a =
    `power(sin(radians(${lat2} - ${lat1}) / 2), 2) + ` +
    `cos(radians(${lat1})) * cos(radians(${lat2})) * power(sin(radians(${lng2} - ${lng1}) / 2), 2)`;
  // No clamp of the root to 1 (LEAST in PostgreSQL, min in SQLite): it passes 1 only for nearly
  // antipodal points, never between two fixes of a vehicle.
  return `(2 * ${EARTH_RADIUS_KM} * asin(sqrt(${a})))`;
}
