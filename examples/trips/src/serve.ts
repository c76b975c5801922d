/** `pnpm trips serve [--port P] [--files DIR] [--store URL]`: the HTTP server, until SIGINT/SIGTERM. */
import { resolve } from 'node:path';
import { integerOption, parseCommandLine, type Shutdown } from '@sluice/runtime';
import { openTripsStore } from './open.js';
import { buildTripsServer } from './server/app.js';

const usage = `Usage: pnpm trips serve [--port P] [--host H] [--files DIR] [--spool DIR] [--store URL]
  --port P     port (default 8080; 0 = any free port)
  --host H     address to listen on (default 127.0.0.1)
  --files DIR  the only directory POST /ingestions {"path"} may read from (default: the current directory)
  --spool DIR  where uploaded CSV bodies wait while they are ingested (default sluice-out/uploads)
  --max-upload-bytes N  largest CSV body (default 64 GiB)`;

export async function serveCommand(argv: string[], shutdown: Shutdown): Promise<void> {
  const { values } = parseCommandLine(argv, {
    usage,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      files: { type: 'string' },
      spool: { type: 'string' },
      store: { type: 'string' },
      'max-upload-bytes': { type: 'string' },
    },
  });
  const port = integerOption('port', values.port, { min: 0, max: 65_535 }) ?? 8080;
  const maxUploadBytes = integerOption('max-upload-bytes', values['max-upload-bytes'], { min: 1 });
  const { store, settings } = await openTripsStore(values.store, shutdown);
  const { app } = await buildTripsServer({
    store,
    settings,
    shutdown,
    filesDir: resolve(values.files ?? '.'),
    spoolDir: resolve(values.spool ?? 'sluice-out/uploads'),
    ...(maxUploadBytes ? { maxUploadBytes } : {}),
  });
  const address = await app.listen({ host: values.host ?? '127.0.0.1', port });
  shutdown.own(app);
  console.log(`serving ${address}/ (POST /ingestions, GET /ingestions/:id/events, GET /weekly-average)`);
  await shutdown.signalled;
}
