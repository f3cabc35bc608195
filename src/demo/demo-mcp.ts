import type { Client } from '@modelcontextprotocol/client';

/** `notifications/resources/updated` URIs as they arrive; `next` waits for one, up to a deadline. */
export class UpdateWaiter {
  private readonly seen = new Set<string>();
  private waiters: { uri: string; resolve: (ok: boolean) => void }[] = [];

  push(uri: string): void {
    this.seen.add(uri);
    for (const w of this.waiters.filter((x) => x.uri === uri)) w.resolve(true);
    this.waiters = this.waiters.filter((x) => x.uri !== uri);
  }

  next(uri: string, timeoutMs: number): Promise<boolean> {
    this.seen.delete(uri);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      timer.unref();
      this.waiters.push({
        uri,
        resolve: (ok) => {
          clearTimeout(timer);
          resolve(ok);
        },
      });
    });
  }
}

/** Subscribes in the connection's era: `subscriptions/listen` (2026-07-28) or `resources/subscribe`. */
export async function subscribe(client: Client, uri: string): Promise<{ close(): Promise<void> }> {
  if (client.getNegotiatedProtocolVersion() === '2026-07-28')
    return client.listen({ resourceSubscriptions: [uri] });
  await client.subscribeResource({ uri });
  return { close: async () => void (await client.unsubscribeResource({ uri })) };
}

/** A one-line summary of the gateway's metrics: tool calls by outcome, webhook deliveries. */
export async function scrapeSummary(url: string, token?: string): Promise<string> {
  try {
    const res = await fetch(url, {
      signal: AbortSignal.timeout(2000),
      ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
    });
    const text = await res.text();
    const sum = (re: RegExp) => {
      const totals = new Map<string, number>();
      for (const m of text.matchAll(re)) totals.set(m[1]!, (totals.get(m[1]!) ?? 0) + Number(m[2]));
      return [...totals].map(([k, v]) => `${k} ${v}`).join(', ');
    };
    const tools = sum(/^conduit_tool_calls_total\{[^}]*outcome="([^"]+)"[^}]*\} (\S+)$/gm);
    const hooks = sum(/^conduit_webhook_deliveries_total\{[^}]*outcome="([^"]+)"[^}]*\} (\S+)$/gm);
    return `tool calls: ${tools || 'none'}; webhook deliveries: ${hooks || 'none'}`;
  } catch {
    return '';
  }
}
