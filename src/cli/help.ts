import { INIT_HELP } from './init-command.js';
import { shippedFile } from './package-refs.js';

/** Help texts: short, with the defaults and an example each. */
export const MAIN_HELP = `conduit — resilient, cached MCP tools in front of HTTP APIs

Usage:
  conduit <command> [options]

Commands:
  serve      Serve the tools of a config over MCP (stdio or Streamable HTTP)
  validate   Check a config and print every problem with its path and line
  demo       Run a scripted session against a bundled example API (start here)
  init       Write a starter config: commented, or from an OpenAPI document

Options:
  -h, --help       Show help (also: conduit <command> --help)
  -v, --version    Print the version

Exit codes: 0 ok, 1 invalid config, 2 usage error, 3 runtime failure, 130 forced shutdown.
Docs (Markdown, shipped with this Conduit):
  the commands      ${shippedFile('docs/cli.md')}
  every config key  ${shippedFile('docs/gateway-config.md')}
`;

export const SERVE_HELP = `conduit serve — serve the tools of a config over MCP

Usage:
  conduit serve [--config conduit.yaml] [--transport stdio|http] [--port N] [--host H] [--log-level L]

Options:
  -c, --config <file>     Config file, YAML or JSON (default: conduit.yaml)
  -t, --transport <t>     stdio (default: what desktop clients spawn) or http (Streamable HTTP)
  -p, --port <n>          HTTP port (default: server.http.port, 3000); 0 picks a free one
      --host <h>          HTTP bind address (default: server.http.host, 127.0.0.1)
  -l, --log-level <l>     trace, debug, info, warn, error, silent (default: $LOG_LEVEL, then logging.level)
  -h, --help              Show this help

Logs go to stderr; with stdio, stdout carries only the protocol, and a serve that cannot start
says why in one JSON line on stderr (its "code" to match on) unless stderr is a terminal. SIGHUP reloads the config (checked as
conduit validate checks it; on a problem the running config stays), sessions stay connected.
SIGINT/SIGTERM shut down gracefully (calls in flight finish up to server.shutdownTimeout) and exit 0;
a second signal exits at once (130).

Example:
  API_TOKEN=... conduit serve --config conduit.yaml --transport http --port 3000
`;

export const VALIDATE_HELP = `conduit validate — check a config

Usage:
  conduit validate [--config conduit.yaml] [--json]

Options:
  -c, --config <file>   Config file, YAML or JSON (default: conduit.yaml)
      --json            Print the result as JSON ({ ok, file, problems: [{ path, line, column, message }] })
  -h, --help            Show this help

Interpolates \${ENV_VAR} from the environment (a missing variable is a problem). Exit 0 when the config
is valid, 1 when it is not.
`;

export const DEMO_HELP = `conduit demo — see the gateway work, in under a minute

Usage:
  conduit demo [--log-level L]

Starts a bundled "assignments" REST API on a free loopback port, the gateway in front of it (memory
cache, or Redis when REDIS_URL is set), and drives a scripted session with the MCP SDK client: cache
miss then hit, an update that invalidates, upstream failures with retries, the circuit breaker
opening, stale answers served from the cache, and recovery. The gateway's config, to copy from:
  ${shippedFile('examples/conduit.yaml')}

Options:
  -l, --log-level <l>   Gateway logs to stderr (default: silent)
  -h, --help            Show this help
`;

export const HELP: Record<string, string> = {
  serve: SERVE_HELP,
  validate: VALIDATE_HELP,
  demo: DEMO_HELP,
  init: INIT_HELP,
};
