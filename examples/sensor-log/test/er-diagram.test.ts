/** The README's ER diagram is the one generated from the migrations (`pnpm sensor-log er` prints it). */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { erDiagram, SCHEMA } from '../src/schema.js';

describe('ER diagram', () => {
  it('in the README is the one generated from the migrations', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    const block = /```mermaid\n([\s\S]*?)\n```/.exec(readme);
    expect(block, 'the README has a ```mermaid block').not.toBeNull();
    expect(block![1], 'README diagram differs from the migrations: paste the output of `pnpm sensor-log er`').toBe(erDiagram());
  });

  it('shows every table, column and foreign key of the migrations', () => {
    const diagram = erDiagram();
    for (const table of SCHEMA) {
      expect(diagram).toContain(`    ${table.spec.name} {`);
      for (const column of table.spec.columns) expect(diagram).toMatch(new RegExp(`\\n {8}\\w+ ${column.name}( |\\n)`));
      for (const fk of table.spec.foreignKeys ?? []) expect(diagram).toContain(`${fk.references.table} ||--o{ ${table.spec.name} : "${fk.columns[0]}"`);
    }
    // A change to the migrations changes the diagram.
    const changed = SCHEMA.map((t) => (t.spec.name === 'datalog' ? { ...t, spec: { ...t.spec, foreignKeys: t.spec.foreignKeys!.slice(1) } } : t));
    expect(erDiagram(changed)).not.toBe(diagram);
  });
});
