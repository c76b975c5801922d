/**
 * The faults a crash scenario injects, and the servers they need: a private PostgreSQL to
 * restart, a private append-only Redis to SIGKILL, a TCP proxy in front of the broker to cut.
 * The consumers themselves are SIGKILLed by the harness, which owns them.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { serviceUrls, sleep } from '@sluice/core';
import { hostPort, rabbitmqUrl } from '@sluice/core/testkit';
import { kafkaAdvertisingCodec } from '../support/kafka-advertise.js';
import { startPrivatePostgres, type PrivatePostgres } from '../support/private-postgres.js';
import { startPrivateRedis, type PrivateRedis } from '../support/private-redis.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

/** What can go wrong. */
export type FaultKind = 'kill-consumer' | 'restart-postgres' | 'cut-broker' | 'crash-redis' | 'restart-rabbitmq';

/** The brokers a crash scenario can run through. */
export type CrashBroker = 'redis' | 'kafka' | 'rabbitmq';

/** When to inject which faults, as fractions of the rows landed in PostgreSQL. */
export interface FaultPlan {
  broker: CrashBroker;
  /** SIGKILL a consumer (and start a new one) at these fractions. */
  killConsumerAt?: number[];
  /** Restart PostgreSQL (a private instance: fast shutdown, then start) at these fractions. */
  restartPostgresAt?: number[];
  /**
   * Reset every connection between the workers and the broker (they go through a TCP proxy that
   * the broker is made to advertise) at these fractions, and refuse new ones for the outage.
   */
  cutBrokerAt?: number[];
  /** SIGKILL the private append-only redis-server and start it again at these fractions (Redis only). */
  crashRedisAt?: number[];
  /**
   * Stop the RabbitMQ application (`rabbitmqctl stop_app`: every connection closed, the node's
   * Erlang VM stays up) and start it again (`start_app`) at these fractions (RabbitMQ only). This
   * hits the shared RabbitMQ, for the outage only.
   */
  restartRabbitAt?: number[];
  /**
   * How long a server fault keeps the server or the connection away, in ms (default 3000): longer
   * than the 2 s between the consumers' lag polls, so every running process runs into it.
   */
  outageMs?: number;
}

/** What a fault did, and when the server or the connection was certainly away. */
export interface Outage {
  /** What was done, e.g. `SIGKILL consumer-2 (pid 123), started consumer-3`. */
  detail: string;
  /** Epoch ms (for a consumer kill both are the moment of the kill). */
  downAt: number;
  upAt: number;
}

/** A fault as it happened. */
export interface InjectedFault extends Outage {
  kind: FaultKind;
  /** The planned fraction of rows landed. */
  fraction: number;
  /** Epoch ms when the harness began injecting the fault and when it had finished. */
  startedAt: number;
  endedAt: number;
}

/** The servers of one run: where the workers connect, and how to break them. */
export interface FaultRig {
  /** Environment of the worker processes (`SLUICE_PG_URL`, `SLUICE_REDIS_URL`, `SLUICE_KAFKA_BROKERS`, `SLUICE_RABBITMQ_URL`). */
  env: Record<string, string>;
  pgUrl: string;
  /** The broker as the test process reaches it directly (not through the proxy). */
  brokerUrl: string;
  /** The planned faults other than consumer kills, in the order of their fractions. */
  schedule: { kind: FaultKind; fraction: number }[];
  /** Injects one server fault: takes the server or connection away for the outage, then brings it back. */
  inject(kind: Exclude<FaultKind, 'kill-consumer'>): Promise<Outage>;
  /** Stops the private servers and the proxy. */
  close(): Promise<void>;
}

/**
 * A random port in [base, base + 400) for a private server, chosen below the kernel's ephemeral range (32768–60999 by default), where no
 * client socket's local port can take it between the choice and the server's bind or restart (a CI
 * run failed on 55148 so: "could not bind … Address already in use").
 */
const randomPort = (base: number) => base + Math.floor(Math.random() * 400);

/** A private PostgreSQL on a random port, tried on up to three ports in case one is taken. */
function startPrivatePostgresSomewhere(): PrivatePostgres {
  for (let attempt = 1; ; attempt++) {
    try {
      return startPrivatePostgres(randomPort(25_000));
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
}

/** Starts what `plan` needs; only the servers of the planned faults are private. */
export async function startFaultRig(plan: FaultPlan): Promise<FaultRig> {
  const { broker } = plan;
  if (plan.crashRedisAt?.length && broker !== 'redis') throw new Error('crashRedisAt needs broker "redis"');
  if (plan.restartRabbitAt?.length && broker !== 'rabbitmq') throw new Error('restartRabbitAt needs broker "rabbitmq"');
  let privatePg: PrivatePostgres | undefined;
  let privateRedis: PrivateRedis | undefined;
  let proxy: TcpProxy | undefined;
  const close = async () => {
    await proxy?.close();
    await privateRedis?.stop();
    privatePg?.stop();
  };
  try {
    if (plan.restartPostgresAt?.length) privatePg = startPrivatePostgresSomewhere();
    if (plan.crashRedisAt?.length) privateRedis = await startPrivateRedis(randomPort(26_000));
    const pgUrl = privatePg?.url ?? serviceUrls.pg;
    const brokerUrl = broker === 'kafka' ? serviceUrls.kafka : broker === 'rabbitmq' ? rabbitmqUrl : (privateRedis?.url ?? serviceUrls.redis);
    const target = hostPort(brokerUrl);
    if (plan.cutBrokerAt?.length) {
      proxy = await startTcpProxy({
        target,
        ...(broker === 'kafka' ? { codec: (proxyPort: number) => kafkaAdvertisingCodec(target.port, proxyPort) } : {}),
      });
    }
    const workerBroker = proxy ? proxiedUrl(broker, brokerUrl, proxy.port) : brokerUrl;
    const outageMs = plan.outageMs ?? 3000;
    /** Takes the server away (`take` says how), waits out the outage, brings it back. */
    const outage = async (take: () => Promise<string> | string, restore: () => Promise<void> | void): Promise<Outage> => {
      const detail = await take();
      const downAt = Date.now();
      await sleep(outageMs);
      const upAt = Date.now();
      await restore();
      return { detail: `${detail}; back after ${outageMs} ms`, downAt, upAt };
    };
    const schedule = [
      ...(plan.restartPostgresAt ?? []).map((fraction) => ({ kind: 'restart-postgres' as const, fraction })),
      ...(plan.cutBrokerAt ?? []).map((fraction) => ({ kind: 'cut-broker' as const, fraction })),
      ...(plan.crashRedisAt ?? []).map((fraction) => ({ kind: 'crash-redis' as const, fraction })),
      ...(plan.restartRabbitAt ?? []).map((fraction) => ({ kind: 'restart-rabbitmq' as const, fraction })),
    ].sort((a, b) => a.fraction - b.fraction);
    return {
      env: { SLUICE_PG_URL: pgUrl, [brokerVariable[broker]]: workerBroker },
      pgUrl,
      brokerUrl,
      schedule,
      inject(kind) {
        if (kind === 'restart-postgres') {
          const pg = privatePg!;
          const shutdown = () => {
            pg.shutdown();
            return `PostgreSQL on port ${pg.port} shut down (fast)`;
          };
          return outage(shutdown, () => pg.start());
        }
        if (kind === 'crash-redis') {
          const redis = privateRedis!;
          const crash = async () => {
            await redis.crash();
            return `redis-server on port ${redis.port} SIGKILLed`;
          };
          return outage(crash, () => redis.start());
        }
        if (kind === 'restart-rabbitmq') {
          const stop = async () => {
            await rabbitmqctl('stop_app');
            return 'RabbitMQ application stopped (rabbitmqctl stop_app)';
          };
          return outage(stop, async () => void (await rabbitmqctl('start_app')));
        }
        const cut = proxy!;
        return outage(async () => `${await cut.refuse()} broker connections reset, new ones refused`, () => cut.accept());
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The environment variable that tells a worker where its broker is. */
const brokerVariable: Record<CrashBroker, string> = {
  redis: 'SLUICE_REDIS_URL',
  kafka: 'SLUICE_KAFKA_BROKERS',
  rabbitmq: 'SLUICE_RABBITMQ_URL',
};

/** The broker address of the workers when they go through the proxy on `port`. */
function proxiedUrl(broker: CrashBroker, brokerUrl: string, port: number): string {
  if (broker === 'kafka') return `127.0.0.1:${port}`;
  if (broker === 'redis') return `redis://127.0.0.1:${port}`;
  const url = new URL(brokerUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return url.toString();
}

/** Runs `rabbitmqctl <command>` against the local node (the shared RabbitMQ). */
async function rabbitmqctl(command: 'stop_app' | 'start_app'): Promise<void> {
  await promisify(execFile)('rabbitmqctl', [command], { timeout: 60_000 });
}
