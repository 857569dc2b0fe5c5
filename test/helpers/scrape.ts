/** What GET `path` answered: status, content type and body. */
export interface HttpAnswer {
  status: number;
  contentType: string | null;
  body: string;
}

export async function httpGet(baseUrl: string, path: string, method = "GET"): Promise<HttpAnswer> {
  const response = await fetch(`${baseUrl}${path}`, { method });
  return {
    status: response.status,
    contentType: response.headers.get("content-type"),
    body: await response.text(),
  };
}

/**
 * A scrape of /metrics: each sample's value by its name and labels as exposed, e.g.
 * `west_connections{protocol="json"}` or `west_sent_bytes_total`.
 */
export async function scrape(baseUrl: string): Promise<Map<string, number>> {
  const answer = await httpGet(baseUrl, "/metrics");
  if (answer.status !== 200) throw new Error(`/metrics answered ${answer.status}: ${answer.body}`);
  const samples = new Map<string, number>();
  for (const line of answer.body.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

/** The value of `sample` in `samples`; fails when it was not exposed at all. */
export function sample(samples: Map<string, number>, name: string): number {
  const value = samples.get(name);
  if (value === undefined) throw new Error(`no sample ${name} in /metrics`);
  return value;
}
