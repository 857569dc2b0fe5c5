import { createClient, ErrorReply } from "@redis/client";

/** A reply as the admin calls return it: strings, integers, null and arrays of those. */
export type RespValue = string | number | null | RespValue[];

/** An error reply (`-ERR ...`, `-MOVED ...`): the server answered, and said no. */
export { ErrorReply as RespError };

/**
 * Sends `commands` in order on one fresh connection to 127.0.0.1:`port` and resolves with their replies; an
 * error reply rejects the whole call. For admin work on the servers this module starts (PING, CLUSTER ...,
 * MIGRATE), not for traffic: it follows no redirection and keeps no connection.
 */
export async function redisCalls(port: number, commands: string[][], timeoutMs = 5000): Promise<RespValue[]> {
  const client = createClient({
    socket: { host: "127.0.0.1", port, connectTimeout: timeoutMs, reconnectStrategy: false },
    disableClientInfo: true,
  });
  client.on("error", () => undefined);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`redis at port ${port}: no reply within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    await Promise.race([client.connect(), deadline]);
    const replies = commands.map((command) => client.sendCommand(command) as Promise<RespValue>);
    return await Promise.race([Promise.all(replies), deadline]);
  } finally {
    clearTimeout(timer);
    client.destroy();
  }
}

/** One command's reply. */
export async function redisCall(port: number, ...command: string[]): Promise<RespValue> {
  const [reply] = await redisCalls(port, [command]);
  return reply as RespValue;
}
