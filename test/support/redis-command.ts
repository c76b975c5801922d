/**
 * One Redis command over a fresh connection, for test set-up and clean-up (PING, DEL) without a
 * client library: the system-test package does not depend on `redis`.
 */
import { connect } from 'node:net';
import { hostPort } from '@sluice/core/testkit';

/**
 * Sends `args` as one RESP command to the server at `url` and resolves with the first line of the
 * reply (e.g. `+PONG`, `:1`, `-LOADING …`). Rejects when the connection fails or stays silent.
 */
export function redisCommand(url: string, args: readonly string[], timeoutMs = 2000): Promise<string> {
  const { host, port } = hostPort(url);
  const request = `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let reply = '';
    const finish = (error?: Error) => {
      socket.destroy();
      if (error) reject(error);
      else resolve(reply.slice(0, reply.indexOf('\r\n')));
    };
    socket.setTimeout(timeoutMs, () => finish(new Error(`Redis at ${host}:${port} did not answer ${args[0]} within ${timeoutMs} ms`)));
    socket.once('error', finish);
    socket.once('connect', () => socket.write(request));
    socket.setEncoding('utf8').on('data', (text: string) => {
      reply += text;
      if (reply.includes('\r\n')) finish();
    });
  });
}

/** Whether the server at `url` answers PING with PONG (connected and done loading its data). */
export async function redisAnswers(url: string): Promise<boolean> {
  return (await redisCommand(url, ['PING']).catch(() => '')) === '+PONG';
}
