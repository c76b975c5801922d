/**
 * Topic administration of the Kafka broker: topic names, creating topics once (idempotently, waiting
 * for their leaders) and reading a group's lag, through one lazily connected admin client.
 */
import { ConfigError } from '@sluice/core';
import type { Admin } from 'kafkajs';
import { groupLag } from './offsets.js';

/** Kafka's rule for topic names: at most 249 of `[a-zA-Z0-9._-]`, and not `.` or `..`. */
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/** Returns `topic` if Kafka accepts it as a topic name, else throws `ConfigError` saying why. */
export function assertKafkaTopic(topic: string): string {
  if (!TOPIC_NAME.test(topic) || topic === '.' || topic === '..') {
    throw new ConfigError(
      `"${topic}" is not a valid Kafka topic name: use at most 249 letters, digits, dots, underscores and hyphens (not "." or "..")`,
      'topic',
    );
  }
  return topic;
}

/** How long a topic's partition count is reused before Kafka is asked again. */
const PARTITIONS_MAX_AGE_MS = 60_000;

/** How topics are created. */
export interface TopicSettings {
  partitions: number;
  replicationFactor: number;
  /** Milliseconds Kafka may take to create a topic and elect its leaders. */
  timeoutMs: number;
}

/** Creates topics on first use and reads lag; one per broker. */
export class Topics {
  private connecting: Promise<void> | undefined;
  private readonly ensured = new Map<string, Promise<void>>();
  private readonly partitionCounts = new Map<string, { count: Promise<number>; at: number }>();

  constructor(
    private readonly admin: Admin,
    private readonly settings: TopicSettings,
  ) {}

  /** Creates `topic` unless it exists, and waits until its partitions have leaders. Runs once per topic. */
  ensure(topic: string): Promise<void> {
    let pending = this.ensured.get(topic);
    if (!pending) {
      pending = this.create(topic);
      this.ensured.set(topic, pending);
      // A failed attempt is not remembered: the next call tries again.
      pending.catch(() => this.ensured.delete(topic));
    }
    return pending;
  }

  /** Whether `topic` exists (topics this broker created are known without asking). */
  async exists(topic: string): Promise<boolean> {
    if (this.ensured.has(topic)) {
      await this.ensured.get(topic);
      return true;
    }
    await this.connect();
    return (await this.admin.listTopics()).includes(topic);
  }

  /**
   * The partition count of `topic` (which must exist), as Kafka reported it at most
   * `PARTITIONS_MAX_AGE_MS` ago — about as fresh as kafkajs's own placement of keyed records.
   */
  partitions(topic: string): Promise<number> {
    const cached = this.partitionCounts.get(topic);
    if (cached && Date.now() - cached.at < PARTITIONS_MAX_AGE_MS) return cached.count;
    const count = this.connect()
      .then(() => this.admin.fetchTopicMetadata({ topics: [topic] }))
      .then(({ topics }) => {
        const found = topics.find((entry) => entry.name === topic)?.partitions.length ?? 0;
        if (found === 0) throw new ConfigError(`Kafka reports no partitions for topic "${topic}": create it, or check that the broker sees it`, 'topic');
        return found;
      });
    this.partitionCounts.set(topic, { count, at: Date.now() });
    count.catch(() => this.partitionCounts.delete(topic));
    return count;
  }

  /** Records of `topic` that `group` has not committed (0 for a topic that does not exist). */
  async lag(topic: string, group: string): Promise<number> {
    if (!(await this.exists(topic))) return 0;
    const [watermarks, committed] = await Promise.all([
      this.admin.fetchTopicOffsets(topic),
      this.admin.fetchOffsets({ groupId: group, topics: [topic] }),
    ]);
    return groupLag(watermarks, committed.find((entry) => entry.topic === topic)?.partitions ?? []);
  }

  /** Disconnects the admin client. */
  async close(): Promise<void> {
    if (this.connecting) await this.admin.disconnect();
  }

  private async create(topic: string): Promise<void> {
    await this.connect();
    const { partitions, replicationFactor, timeoutMs } = this.settings;
    await this.admin.createTopics({
      topics: [{ topic, numPartitions: partitions, replicationFactor }],
      waitForLeaders: true,
      timeout: timeoutMs,
    });
  }

  private connect(): Promise<void> {
    if (!this.connecting) {
      this.connecting = this.admin.connect();
      this.connecting.catch(() => (this.connecting = undefined));
    }
    return this.connecting;
  }
}
