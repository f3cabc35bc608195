/**
 * CPU per call on both sides of a gateway row: the load generator (this process) and the servers'
 * process (read from /proc, so Linux only; elsewhere the server side is left out). Both sides are
 * measured over the same window, warm-up included, and divided by the calls made in it, so a row
 * whose load generator spends as much CPU per call as the server is flagged as measuring the client.
 */
import { readFileSync } from 'node:fs';

/** utime + stime of `pid` in µs, or undefined without /proc. */
export function procCpuUs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat (utime, stime) are 12 and 13 after the command name; in clock ticks.
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100;
  } catch {
    return undefined;
  }
}

/** Starts a CPU window over this process and `serverPid`; `end(calls)` gives µs per call on each side. */
export function cpuWindow(serverPid: number | undefined) {
  const client0 = process.cpuUsage();
  const server0 = serverPid === undefined ? undefined : procCpuUs(serverPid);
  return {
    end(calls: number): { clientUs: number; serverUs: number | undefined } {
      const c = process.cpuUsage(client0);
      const s1 = serverPid === undefined ? undefined : procCpuUs(serverPid);
      return {
        clientUs: (c.user + c.system) / calls,
        serverUs: s1 === undefined || server0 === undefined ? undefined : (s1 - server0) / calls,
      };
    },
  };
}

/** "client 41 µs, server 95 µs CPU per call". */
export function cpuNote(clientUs: number, serverUs: number | undefined): string {
  const server = serverUs === undefined ? '' : `, server ${serverUs.toFixed(0)} µs`;
  return `client ${clientUs.toFixed(0)} µs${server} CPU per call`;
}
