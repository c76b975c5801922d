/** The application name of the measured store's PostgreSQL connections: the parent finds the step's backends by it. */
export const BENCH_APPLICATION = 'vehicle-events-bench';
