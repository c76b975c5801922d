/**
 * Migration 1: the fact tables. Every row is a fact that never changes meaning, keyed by all of
 * what identifies it, so a merge of the same fact again changes nothing and facts loaded in any
 * order make the same table (see "Transform rules" in the README).
 */
import type { Migration } from './types.js';

export const migration: Migration = {
  version: 1,
  name: 'fact tables',
  tables: [
    // Every organisation named by any event.
    { name: 'organisations', columns: [{ name: 'id', type: 'text' }], key: ['id'] },
    // Every (vehicle, organisation) named by a vehicle event.
    {
      name: 'vehicles',
      columns: [
        { name: 'id', type: 'text' },
        { name: 'organization_id', type: 'text' },
      ],
      key: ['id', 'organization_id'],
    },
    // The lifecycle events of vehicles (create, register, deregister, delete), by event time.
    {
      name: 'vehicle_events',
      columns: [
        { name: 'vehicle_id', type: 'text' },
        { name: 'event', type: 'text' },
        { name: 'at', type: 'timestamp' },
      ],
      key: ['vehicle_id', 'event', 'at'],
    },
    // Every GPS fix of every vehicle event, by the time it was taken (location.at).
    {
      name: 'positions',
      columns: [
        { name: 'vehicle_id', type: 'text' },
        { name: 'at', type: 'timestamp' },
        { name: 'lat', type: 'real' },
        { name: 'lng', type: 'real' },
      ],
      key: ['vehicle_id', 'at', 'lat', 'lng'],
    },
    // Every create, update and delete of an operating period. `event_key` is the event's content
    // (event, at, organisation, bounds) as text: a re-delivered event is the same row.
    {
      name: 'operating_period_events',
      columns: [
        { name: 'period_id', type: 'text' },
        { name: 'event_key', type: 'text' },
        { name: 'event', type: 'text' },
        { name: 'at', type: 'timestamp' },
        { name: 'organization_id', type: 'text' },
        { name: 'start', type: 'timestamp', nullable: true },
        { name: 'finish', type: 'timestamp', nullable: true },
      ],
      key: ['period_id', 'event_key'],
    },
  ],
};
