/** Opens the embedded adapters, then prints the npm packages whose CommonJS modules were loaded. */
import { createRequire } from 'node:module';
import { openBroker, openStore } from '../../src/index.js';

const broker = await openBroker('memory:');
const store = await openStore(`sqlite:${process.argv[2]}`);
await store.migrate([{ name: 't', columns: [{ name: 'id', type: 'text' }], key: ['id'] }]);
await store.close();
await broker.close();
const cache = createRequire(import.meta.url).cache;
const packages = new Set<string>();
for (const file of Object.keys(cache)) {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file.split('node_modules/.pnpm/').at(-1) ?? file);
  if (match) packages.add(match[1]!);
}
console.log(JSON.stringify([...packages]));
